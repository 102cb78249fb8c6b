//! The ops binary of the fault suite (`tests/cli.rs`): signals, exit codes and `-q` are
//! properties of the binary, so the suite runs one.
//!
//! - group `app` (existing nodes, e.g. a node-list inventory): `configure` touches
//!   `/srv/app/started`, sleeps `$FAULTS_SLEEP` seconds (default 0) and writes
//!   `/srv/app/state`; `deploy` writes `/srv/app/deployed`.
//! - group `fbox` (3 containers, logged into as root): `bootstrap` and `configure` each write a
//!   file under `/root`.
//!
//! ```sh
//! FAULTS_SLEEP=5 cargo run --example faults -- --config pallet.toml lift --phase configure --phase deploy
//! # Ctrl-C while configure runs: the phase finishes, deploy does not start, exit 1
//! ```

use pallet::prelude::*;

fn sleep_secs() -> u64 {
    std::env::var("FAULTS_SLEEP").ok().and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn app() -> GroupSpec {
    GroupSpec::new("app")
        .expect("a valid name")
        .phase("configure", |ctx: &mut Plan<'_>| {
            let secs = sleep_secs();
            ctx.add(directory("/srv/app").mode(0o755));
            ctx.add(exec_script(script! { touch /srv/app/started; sleep #secs; }));
            ctx.add(remote_file("/srv/app/state").content(format!("configured {}\n", ctx.node().name)).mode(0o644));
        })
        .phase("deploy", |ctx: &mut Plan<'_>| ctx.add(remote_file("/srv/app/deployed").content("deployed\n")))
}

fn fbox() -> GroupSpec {
    GroupSpec::new("fbox")
        .expect("a valid name")
        .count(3)
        .node_spec(NodeSpec::new().login_user("root"))
        .phase("bootstrap", |ctx: &mut Plan<'_>| ctx.add(file("/root/bootstrapped")))
        .phase("configure", |ctx: &mut Plan<'_>| {
            ctx.add(remote_file("/root/configured").content(format!("{}\n", ctx.node().name)));
        })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pallet::cli::run([app(), fbox()]).await
}
