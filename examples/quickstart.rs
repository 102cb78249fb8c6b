//! The quickstart: a web tier and a database on local containers, built from plan crates.
//!
//! ```sh
//! scripts/quickstart.sh                      # installs podman etc., builds the base image, converges
//! cargo run --example quickstart -- converge web=2 db=1
//! cargo run --example quickstart -- plan --os debian-12   # every script, no node touched
//! cargo run --example quickstart -- check                 # what would change, with diffs
//! cargo run --example quickstart -- converge web=0 db=0   # removes everything
//! ```
//!
//! - `db` extends [`pallet_redis::server_spec`]: Redis on the node's private address with a
//!   password (made on first use and kept in the state directory; a secret, so `plan`, `check`
//!   and reports never show it), and publishes its address under the `redis` facility.
//!   (`pallet_firewall::server_spec` would close everything else and admit Redis from the
//!   nodes with role `web` only; it is left out to keep the quickstart as fast as it was.)
//! - `web` extends [`pallet_nginx::server_spec`]: nginx serving a page that names the db node's
//!   address, read from the `redis` settings of the `db` group.
//! - Both extend [`pallet_ssh::server_spec`] (no passwords, no root login, no forwarding) and
//!   the bootstrap, which creates the admin user `admin` (sudo, key, NOPASSWD sudoers entry) as
//!   the image's `root`; everything after runs as `admin`.

use pallet::compute::Containers;
use pallet::prelude::*;
use pallet::transport::AdminUser;
use pallet_nginx::NginxConfig;
use pallet_redis::{Password, RedisConfig, RedisSettings};
use pallet_ssh::SshConfig;
use std::path::{Path, PathBuf};
use std::sync::Arc;

plan_fn! {
    /// The page names the db node, from its published Redis settings.
    fn page(ctx) {
        let mut page = format!("{} serving;", ctx.node().name);
        for db in ctx.nodes_in_group("db") {
            match ctx.settings::<RedisSettings>(db, pallet_redis::FACILITY) {
                Ok(r) => page.push_str(&format!(" db {} at {}:{}", db.name, r.host, r.port)),
                Err(e) => ctx.fail(e.to_string()),
            }
        }
        page.push('\n');
        remote_file("/var/www/html/index.html", content = page, mode = 0o644);
    }
}

fn groups(redis_password: Password) -> Vec<GroupSpec> {
    let base = server_spec! {
        phases = { bootstrap = bootstrap },
        extends = [pallet_ssh::server_spec(SshConfig::default())],
    };
    let redis = RedisConfig { password: Some(redis_password), ..RedisConfig::default() };
    vec![
        group_spec! {
            name = "web", count = 2, roles = [web], extends = [base.clone(), pallet_nginx::server_spec(NginxConfig::default())],
            node_spec = node_spec! { image = { os_family = Debian, login_user = "root" }, network = { inbound_ports = [22, 80] } },
            phases = { configure = page },
        },
        group_spec! {
            name = "db", count = 1,
            extends = [base, pallet_redis::server_spec(redis)],
            node_spec = node_spec! { image = { os_family = Debian, login_user = "root" }, network = { inbound_ports = [22] } },
        },
    ]
}

/// The state directory of the quickstart: its admin key and Redis password.
fn state_dir() -> PathBuf {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let dir = PathBuf::from(home).join(".local/state/pallet/quickstart");
    std::fs::create_dir_all(&dir).expect("state directory");
    dir
}

/// The admin key, made on first use.
fn admin_key(dir: &Path) -> PathBuf {
    let key = dir.join("id_ed25519");
    if !key.exists() {
        let st = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "pallet-quickstart", "-f"])
            .arg(&key)
            .status()
            .expect("ssh-keygen runs");
        assert!(st.success(), "ssh-keygen failed");
    }
    key
}

/// The Redis password: 32 letters and digits from the system's random source, made on first use
/// and kept (mode 0600) next to the key.
fn redis_password(dir: &Path) -> Password {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join("redis-password");
    if let Ok(p) = std::fs::read_to_string(&path) {
        return Password::new(p.trim());
    }
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).expect("/dev/urandom");
    let p: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
    let mut f =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).expect("password file");
    std::io::Write::write_all(&mut f, p.as_bytes()).expect("password written");
    Password::new(p)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let dir = state_dir();
    let key = admin_key(&dir);
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("public key");
    let engine = std::env::var("PALLET_ENGINE").unwrap_or_else(|_| "podman".into());
    let image = std::env::var("PALLET_BASE_IMAGE").unwrap_or_else(|_| "localhost/pallet-debian:12".into());
    // podman on hosts with hybrid cgroups (like this project's CI machines) needs runc and
    // explicit limits (crun fails there on cgroup setup). Debian's init scripts need SYS_PTRACE
    // to find non-root daemons (Redis) in a container (to restart them); nftables (the firewall
    // crate) would need NET_ADMIN.
    let containers = Containers::new(engine, image)
        .engine_args(["--runtime", "runc"])
        .run_args(["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--cap-add", "SYS_PTRACE"])
        .authorized_key(public);
    pallet::cli::App::new(groups(redis_password(&dir)))
        .service("local", Arc::new(containers))
        .admin_user(AdminUser::new("admin").private_key(&key))
        .run()
        .await
}
