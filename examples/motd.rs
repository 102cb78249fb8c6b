//! A small ops binary: every node of group `app` gets a message of the day and a state
//! directory. Use it with any configured service, e.g. a node-list inventory:
//!
//! ```sh
//! cargo run --example motd -- --config pallet.toml lift
//! cargo run --example motd -- check          # what would change, with diffs; exit 2 if anything
//! ```

use pallet::prelude::*;

plan_fn! {
    /// The message of the day, naming the node and its group.
    fn motd(ctx) {
        let text = format!("Welcome to {} ({} group), managed by pallet.\n", ctx.node().name, ctx.group());
        directory("/srv/app", mode = 0o755);
        remote_file("/srv/app/motd", content = text, mode = 0o644);
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let app = group_spec! { name = "app", phases = { configure = motd } };
    pallet::cli::run([app]).await
}
