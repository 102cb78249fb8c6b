//! Renders a small provisioning script for an OS, without touching any host.
//!
//! ```sh
//! cargo run --example render -- ubuntu-24.04
//! cargo run --example render -- alpine-3.20
//! ```

use pallet::prelude::*;
use pallet::stevedore::functions::{self, ServiceAction, UserOptions};

fn main() {
    let spec = std::env::args().nth(1).unwrap_or_else(|| "debian-12".to_string());
    let os = match Os::parse(&spec) {
        Ok(os) => os,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(3);
        }
    };
    let user = UserOptions { create_home: true, shell: Some("/bin/sh".into()), ..UserOptions::default() };
    let s = script! {
        /// Provision a web node.
        #(functions::update_package_list());
        if ! #(functions::package_installed("nginx")) {
            #(functions::install_packages(&["nginx"]));
        }
        if ! #(functions::user_exists("deploy")) {
            #(functions::create_user("deploy", &user));
        }
        #(functions::service("nginx", ServiceAction::Status)) || #(functions::service("nginx", ServiceAction::Start));
    };
    match s.render(&os) {
        Ok(text) => print!("{}", String::from_utf8_lossy(&text)),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
