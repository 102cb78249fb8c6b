//! Containers as test nodes: converge, check, run commands on them, remove them.

use pallet::compute::{ComputeService, Containers};
use pallet::converge::converge;
use pallet::lift::lift;
use pallet::node::Node;
use pallet::operation::RunOptions;
use pallet::report::Report;
use pallet::spec::GroupSpec;
use pallet::transport::AdminUser;
use pallet::transport::ssh::{HostKeyPolicy, SshOptions};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The base image (`scripts/build-base-image.sh`): Debian 12 minbase with openssh-server.
pub const IMAGE: &str = "localhost/pallet-debian:12";

/// The admin user every lab node gets at bootstrap (`pallet::library::bootstrap`).
pub const ADMIN: &str = "admin";

/// How long one operation of a lab may take before the test fails.
pub const LIMIT: Duration = Duration::from_secs(900);

/// A set of containers for one test: its groups' containers are removed when it is dropped
/// (and before it starts, in case an interrupted run left some).
pub struct Lab {
    /// A private directory: the admin key, known hosts, the provider's state.
    pub dir: PathBuf,
    /// The admin's private key (its public half is authorized on every node).
    pub key: PathBuf,
    groups: Vec<String>,
    run_args: Vec<String>,
    started: Instant,
}

fn sh_ok(cmd: &str) -> bool {
    Command::new("sh").arg("-c").arg(cmd).status().map(|s| s.success()).unwrap_or(false)
}

fn podman(args: &[&str]) -> Output {
    Command::new("podman").args(["--runtime", "runc"]).args(args).output().expect("podman runs")
}

impl Lab {
    /// A lab named `name` whose containers belong to `groups`. `None` (after saying why) when
    /// not root or without podman and mmdebstrap, unless `CI` is set: then it panics. Builds the
    /// base image when missing.
    pub fn new(name: &str, groups: &[&str]) -> Option<Lab> {
        let have = sh_ok("command -v podman >/dev/null && command -v mmdebstrap >/dev/null && [ \"$(id -u)\" = 0 ]");
        if !have {
            assert!(!pallet_testkit::required(), "CI must run the container tests (root, podman, mmdebstrap)");
            eprintln!("skipping: needs root, podman and mmdebstrap");
            return None;
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/build-base-image.sh");
        assert!(sh_ok(script), "building the base image failed");
        let dir = std::env::temp_dir().join(format!("pallet-plan-lab-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("lab directory");
        let key = dir.join("id_ed25519");
        assert!(sh_ok(&format!("ssh-keygen -q -t ed25519 -N '' -C pallet-lab -f {}", key.display())), "ssh-keygen");
        let lab = Lab {
            dir,
            key,
            groups: groups.iter().map(|g| (*g).to_string()).collect(),
            // Debian's init scripts find non-root daemons (redis) through /proc/PID/exe, which
            // root in a container reads only with CAP_SYS_PTRACE: without it they cannot stop
            // them, and a restart starts a second server.
            run_args: ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--cap-add", "SYS_PTRACE"]
                .map(String::from)
                .to_vec(),
            started: Instant::now(),
        };
        lab.remove_containers();
        Some(lab)
    }

    /// Adds arguments to `podman run` (e.g. `--cap-add NET_ADMIN` for nftables).
    pub fn run_args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Lab {
        self.run_args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The compute service: podman with runc and the limits this machine needs.
    pub fn service(&self) -> Arc<dyn ComputeService> {
        let public = std::fs::read_to_string(self.key.with_extension("pub")).expect("public key");
        Arc::new(
            Containers::new("podman", IMAGE)
                .engine_args(["--runtime", "runc"])
                .run_args(self.run_args.clone())
                .authorized_key(public)
                .state_dir(self.dir.join("state")),
        )
    }

    /// Run options: the admin user [`ADMIN`] with the lab key; bootstrap as the image's root.
    pub fn options(&self) -> RunOptions {
        RunOptions {
            user: AdminUser::new(ADMIN).private_key(&self.key),
            image_user: Some(AdminUser::new("root").private_key(&self.key)),
            ssh: SshOptions {
                host_keys: HostKeyPolicy::AcceptNew(self.dir.join("known_hosts")),
                ..SshOptions::default()
            },
            ..RunOptions::default()
        }
    }

    /// Converges `groups`; panics (with the report) when anything failed.
    pub async fn converge(&self, groups: Vec<GroupSpec>) -> Report {
        let t = Instant::now();
        let r = converge(self.service(), groups, self.options()).wait_timeout(LIMIT).await.expect("converge runs");
        self.note(&format!("converge: {} changed, {} ok", r.summary.changed, r.summary.ok), t);
        assert!(!r.failed(), "{}", r.human());
        r
    }

    /// Converges `groups` expecting a failure; returns the report.
    pub async fn converge_failing(&self, groups: Vec<GroupSpec>) -> Report {
        let t = Instant::now();
        let r = converge(self.service(), groups, self.options()).wait_timeout(LIMIT).await.expect("converge runs");
        self.note("converge (expected to fail)", t);
        assert!(r.failed(), "expected a failure: {}", r.human());
        r
    }

    /// Check mode over the running nodes of `groups` (`settings` and the default phases).
    pub async fn check(&self, groups: Vec<GroupSpec>) -> Report {
        let t = Instant::now();
        let o = RunOptions { check: true, ..self.options() };
        let r = lift(self.service(), groups, o).wait_timeout(LIMIT).await.expect("check runs");
        self.note(&format!("check: {} would change", r.summary.changed), t);
        assert!(!r.failed(), "{}", r.human());
        r
    }

    /// The property every plan crate proves: the first converge of `groups()` changes
    /// something, a second converge changes nothing, and check mode then reports no change.
    /// Returns the three reports.
    pub async fn converge_twice_and_check(&self, groups: impl Fn() -> Vec<GroupSpec>) -> [Report; 3] {
        let first = self.converge(groups()).await;
        assert!(first.summary.changed > 0, "the first run changes the node: {}", first.human());
        let second = self.converge(groups()).await;
        assert_eq!(second.summary.changed, 0, "the second run changes nothing:\n{}", second.changes_text());
        assert!(second.created.is_empty() && second.destroyed.is_empty());
        let check = self.check(groups()).await;
        assert_eq!(check.summary.changed, 0, "check mode reports no change: {}", check.changes_text());
        [first, second, check]
    }

    /// The lab's running nodes.
    pub async fn nodes(&self) -> Vec<Node> {
        let mut v: Vec<Node> = self
            .service()
            .nodes()
            .await
            .expect("listing nodes")
            .into_iter()
            .filter(|n| self.groups.contains(&n.group))
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// The node named `name`.
    pub async fn node(&self, name: &str) -> Node {
        self.nodes().await.into_iter().find(|n| n.name == name).unwrap_or_else(|| panic!("no node {name}"))
    }

    /// Runs `cmd` with `sh -c` as root in container `name` (`podman exec`).
    pub fn exec(&self, name: &str, cmd: &str) -> Output {
        podman(&["exec", name, "sh", "-c", cmd])
    }

    /// Runs `cmd` with `bash -c` as root in container `name` (for `/dev/tcp`).
    pub fn bash(&self, name: &str, cmd: &str) -> Output {
        podman(&["exec", name, "bash", "-c", cmd])
    }

    /// Runs `cmd` on `node` over a fresh SSH connection as `user`, with the lab key.
    pub fn ssh(&self, node: &Node, user: &str, cmd: &str) -> Output {
        let addr = node.published.get(&22).expect("published SSH port");
        let (host, port) = addr.rsplit_once(':').expect("address:port");
        Command::new("ssh")
            .arg("-i")
            .arg(&self.key)
            .args(["-p", port, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10"])
            .args(["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"])
            .arg(format!("{user}@{host}"))
            .arg(cmd)
            .output()
            .expect("ssh runs")
    }

    /// Prints a step's duration (to stderr; `cargo test -- --nocapture` shows it).
    pub fn note(&self, what: &str, since: Instant) {
        eprintln!(
            "[lab] {what}: {:.1} s (lab total {:.1} s)",
            since.elapsed().as_secs_f64(),
            self.started.elapsed().as_secs_f64()
        );
    }

    fn remove_containers(&self) {
        for g in &self.groups {
            let out = podman(&["ps", "-a", "-q", "--filter", &format!("label=pallet.group={g}")]);
            let ids: Vec<String> = String::from_utf8_lossy(&out.stdout).split_whitespace().map(String::from).collect();
            if !ids.is_empty() {
                let mut args = vec!["rm", "-f", "-t", "0"];
                args.extend(ids.iter().map(String::as_str));
                podman(&args);
            }
        }
    }
}

impl Drop for Lab {
    /// Removes the lab's containers and directory; with `PALLET_KEEP_LAB` set both stay, for
    /// a look after a failure (the next run of the test removes the containers).
    fn drop(&mut self) {
        eprintln!("[lab] done in {:.1} s", self.started.elapsed().as_secs_f64());
        if std::env::var("PALLET_KEEP_LAB").is_err() {
            self.remove_containers();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
