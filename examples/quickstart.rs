//! The quickstart: a web tier and a database on local containers.
//!
//! ```sh
//! scripts/quickstart.sh                      # installs podman etc., builds the base image, converges
//! cargo run --example quickstart -- converge web=2 db=1
//! cargo run --example quickstart -- plan --os debian-12   # every script, no node touched
//! cargo run --example quickstart -- converge web=0 db=0   # removes everything
//! ```
//!
//! `db` runs redis listening on its private address and publishes that address in `settings`;
//! `web` runs nginx serving a page that names the db node's address, read through the
//! settings of the `db` group. Bootstrap creates the admin user `admin` (sudo, key, NOPASSWD
//! sudoers entry) as the image's `root`; everything after runs as `admin`.

use pallet::compute::Containers;
use pallet::prelude::*;
use pallet::transport::AdminUser;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// What the db node publishes for the others.
#[derive(Serialize, Deserialize)]
struct Redis {
    host: String,
    port: u16,
}

plan_fn! {
    /// Publish where redis listens.
    fn db_settings(ctx) {
        ctx.publish("redis", &Redis { host: ctx.node().private_address().to_string(), port: 6379 });
    }
}

plan_fn! {
    /// redis, listening on the private address.
    fn db_configure(ctx) {
        let bind = format!("bind {} 127.0.0.1", ctx.node().private_address());
        package("redis-server");
        line_in_file("/etc/redis/redis.conf", bind, regexp = "^bind ", flag_on_changed = "redis-conf");
        // Reachable from the web nodes on the private network (no password in this example).
        line_in_file("/etc/redis/redis.conf", "protected-mode no", regexp = "^protected-mode ", flag_on_changed = "redis-conf");
        service("redis-server").restart().if_flag("redis-conf");
        service("redis-server").start();
    }
}

plan_fn! {
    /// nginx serving a page that names the db node.
    fn web_configure(ctx) {
        let mut page = format!("{} serving;", ctx.node().name);
        for db in ctx.nodes_in_group("db") {
            match ctx.settings::<Redis>(db, "redis") {
                Ok(r) => page.push_str(&format!(" db {} at {}:{}", db.name, r.host, r.port)),
                Err(e) => ctx.fail(e.to_string()),
            }
        }
        page.push('\n');
        package("nginx");
        remote_file("/var/www/html/index.html", content = page, mode = 0o644);
        service("nginx").start();
    }
}

fn groups() -> Vec<GroupSpec> {
    let base = server_spec! { phases = { bootstrap = bootstrap } };
    vec![
        group_spec! {
            name = "web", count = 2, extends = [base.clone()],
            node_spec = node_spec! { image = { os_family = Debian, login_user = "root" }, network = { inbound_ports = [22, 80] } },
            phases = { configure = web_configure },
        },
        group_spec! {
            name = "db", count = 1, extends = [base],
            node_spec = node_spec! { image = { os_family = Debian, login_user = "root" }, network = { inbound_ports = [22] } },
            phases = { settings = db_settings, configure = db_configure },
        },
    ]
}

/// The admin key, made on first use.
fn admin_key() -> PathBuf {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let dir = PathBuf::from(home).join(".local/state/pallet/quickstart");
    let key = dir.join("id_ed25519");
    if !key.exists() {
        std::fs::create_dir_all(&dir).expect("state directory");
        let st = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "pallet-quickstart", "-f"])
            .arg(&key)
            .status()
            .expect("ssh-keygen runs");
        assert!(st.success(), "ssh-keygen failed");
    }
    key
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let key = admin_key();
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("public key");
    let engine = std::env::var("PALLET_ENGINE").unwrap_or_else(|_| "podman".into());
    let image = std::env::var("PALLET_BASE_IMAGE").unwrap_or_else(|_| "localhost/pallet-debian:12".into());
    // podman on hosts with hybrid cgroups (like this project's CI machines) needs runc and
    // explicit limits (crun fails there on cgroup setup).
    let containers = Containers::new(engine, image)
        .engine_args(["--runtime", "runc"])
        .run_args(["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"])
        .authorized_key(public);
    pallet::cli::App::new(groups())
        .service("local", Arc::new(containers))
        .admin_user(AdminUser::new("admin").private_key(&key))
        .run()
        .await
}
