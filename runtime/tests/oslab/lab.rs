//! The lab's machinery: images (built by `scripts/lab-image.sh`), containers started from them
//! and removed when dropped, a `podman exec` transport, phases run through the runtime (`lift`
//! with a compute service of this lab), and the record of what ran for real.

use pallet_runtime::BoxFuture;
use pallet_runtime::compute::{ComputeError, ComputeService};
use pallet_runtime::lift::lift;
use pallet_runtime::node::Node;
use pallet_runtime::operation::RunOptions;
use pallet_runtime::plan::Plan;
use pallet_runtime::report::{NodeResult, Status};
use pallet_runtime::spec::GroupSpec;
use pallet_runtime::transport::delivery::drive;
use pallet_runtime::transport::{
    AdminUser, Connector, ExecOutcome, SshOptions, Transport, TransportError, bootstrap_command, bootstrap_stdin,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stevedore::Os;

/// The label of every container of the lab (leftovers of an interrupted run are removed by it).
pub const LABEL: &str = "pallet.oslab";

/// How long one podman command may take (a phase has its own limit, [`PHASE_TIMEOUT`]).
const PODMAN_TIMEOUT: Duration = Duration::from_secs(300);

/// How long one phase may take.
pub const PHASE_TIMEOUT: Duration = Duration::from_secs(600);

/// `podman --runtime runc ARGS`, cut off after `limit` (`timeout` kills it, then its group).
fn podman(args: &[&str], limit: Duration) -> Output {
    Command::new("timeout")
        .args(["-k", "10", &limit.as_secs().to_string(), "podman", "--runtime", "runc"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("timeout and podman run")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the runtime crate lives in the workspace").to_path_buf()
}

/// Image references built in this process, by recipe name.
static IMAGES: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());

/// The image of recipe `name` (`scripts/lab/NAME.recipe`), built when missing or when its recipe
/// changed; the reference carries the recipe's hash.
pub fn image(name: &str) -> String {
    if let Some(r) = IMAGES.lock().unwrap().get(name) {
        return r.clone();
    }
    let script = repo_root().join("scripts/lab-image.sh");
    let started = Instant::now();
    let out = Command::new("timeout")
        .args(["-k", "10", "1800"])
        .arg(&script)
        .arg(name)
        .stdin(Stdio::null())
        .output()
        .expect("scripts/lab-image.sh runs");
    assert!(out.status.success(), "building lab image {name} failed:\n{}", text(&out.stderr));
    let reference = text(&out.stdout).trim().to_string();
    assert!(reference.starts_with("localhost/pallet-lab-"), "lab-image.sh printed {reference:?}");
    if text(&out.stderr).contains("built ") {
        eprintln!("oslab: image {reference} built in {:.0} s", started.elapsed().as_secs_f64());
    }
    IMAGES.lock().unwrap().insert(name.to_string(), reference.clone());
    reference
}

/// What runs as PID 1 of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boot {
    /// `sleep`: no service manager.
    Idle,
    /// systemd (`podman --systemd=always /sbin/init`).
    Systemd,
    /// OpenRC (`/sbin/openrc-init`).
    Openrc,
    /// SysV init (`/sbin/init` of sysvinit-core).
    Sysv,
}

/// How to start a container.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The image recipe name.
    pub image: &'static str,
    /// PID 1.
    pub boot: Boot,
    /// Network access (only the Debian mirror is used); `false`: `--network=none`.
    pub network: bool,
    /// Read-only bind mounts: host path, container path.
    pub mounts: Vec<(PathBuf, &'static str)>,
    /// Extra capabilities (`SYS_ADMIN` for the hostname action).
    pub caps: Vec<&'static str>,
}

impl Setup {
    /// A container of `image` booted with `boot`, no network, no mounts.
    pub fn new(image: &'static str, boot: Boot) -> Setup {
        Setup { image, boot, network: false, mounts: Vec::new(), caps: Vec::new() }
    }

    /// With network access.
    pub fn network(mut self) -> Setup {
        self.network = true;
        self
    }

    /// With `host` mounted read-only at `at`.
    pub fn mount(mut self, host: &Path, at: &'static str) -> Setup {
        self.mounts.push((host.to_path_buf(), at));
        self
    }

    /// With capability `cap`.
    pub fn cap(mut self, cap: &'static str) -> Setup {
        self.caps.push(cap);
        self
    }
}

/// A running container of the lab; removed when dropped.
pub struct Container {
    /// Its name (also the node's name and address).
    pub name: String,
    boot: Boot,
}

impl Container {
    /// Starts a container for case `case` and waits until its PID 1 finished booting.
    pub fn start(case: &str, setup: Setup) -> Container {
        let image = image(setup.image);
        let name = format!("pallet-oslab-{}-{case}", std::process::id());
        let _ = podman(&["rm", "-f", "-t", "0", &name], PODMAN_TIMEOUT);
        let mut args: Vec<String> = ["run", "-d", "--name", &name, "--hostname", case, "--label", LABEL]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"].map(String::from));
        if !setup.network {
            args.push("--network=none".into());
        }
        for (host, at) in &setup.mounts {
            args.push("-v".into());
            args.push(format!("{}:{at}:ro", host.display()));
        }
        for c in &setup.caps {
            args.push(format!("--cap-add={c}"));
        }
        let init: &[&str] = match setup.boot {
            Boot::Idle => &["--systemd=false", "--stop-signal=KILL"],
            Boot::Systemd => &["--systemd=always"],
            // /run is a tmpfs on every boot, as on a real machine (the state of the last boot
            // must not survive a reboot).
            Boot::Openrc | Boot::Sysv => &["--systemd=false", "--tmpfs=/run:rw,mode=755"],
        };
        args.extend(init.iter().map(|s| s.to_string()));
        args.push(image);
        let cmd: &[&str] = match setup.boot {
            Boot::Idle => &["sleep", "86400"],
            Boot::Systemd => &["/sbin/init"],
            Boot::Openrc => &["/sbin/openrc-init"],
            Boot::Sysv => &["/sbin/init"],
        };
        args.extend(cmd.iter().map(|s| s.to_string()));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = podman(&argv, PODMAN_TIMEOUT);
        let c = Container { name, boot: setup.boot };
        assert!(out.status.success(), "podman run {case}: {}", text(&out.stderr));
        c.wait_booted();
        c
    }

    /// Waits until the service manager finished starting the boot services (at most 60 s).
    fn wait_booted(&self) {
        let ready = match self.boot {
            Boot::Idle => return,
            // `running`, or `degraded` when some unit of the image failed (none should).
            Boot::Systemd => {
                "s=$(systemctl is-system-running 2>/dev/null); [ \"$s\" = running ] || [ \"$s\" = degraded ]"
            }
            Boot::Openrc => {
                "[ \"$(cat /run/openrc/softlevel 2>/dev/null)\" = default ] && [ -z \"$(ls -A /run/openrc/starting 2>/dev/null)\" ]"
            }
            Boot::Sysv => "runlevel 2>/dev/null | grep -q ' 2$' && ! ps -eo args | grep -q '^/bin/sh /etc/init.d/rc'",
        };
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            if self.holds(ready) {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let state = self.sh("ps -ef; systemctl --failed 2>&1; rc-status 2>&1; runlevel 2>&1");
        panic!("{} did not finish booting ({:?}) in 60 s:\n{}", self.name, self.boot, text(&state.stdout));
    }

    /// Runs `cmd` with `sh -c` as root in the container (outside pallet: setup and checks).
    pub fn sh(&self, cmd: &str) -> Output {
        podman(&["exec", &self.name, "sh", "-c", cmd], PODMAN_TIMEOUT)
    }

    /// Runs `cmd` with `sh -c` as `user` and returns its stdout (whatever its exit status).
    pub fn stdout_as(&self, user: &str, cmd: &str) -> Vec<u8> {
        podman(&["exec", "--user", user, &self.name, "sh", "-c", cmd], PODMAN_TIMEOUT).stdout
    }

    /// Runs `cmd` and returns its stdout; panics when it fails.
    pub fn ok(&self, cmd: &str) -> String {
        let out = self.sh(cmd);
        assert!(
            out.status.success(),
            "{}: `{cmd}` failed ({:?}):\n{}{}",
            self.name,
            out.status.code(),
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// Does `cmd` succeed?
    pub fn holds(&self, cmd: &str) -> bool {
        self.sh(cmd).status.success()
    }

    /// The content of `path` in the container, trimmed (`None` when it cannot be read).
    pub fn read(&self, path: &str) -> Option<String> {
        let out = podman(&["exec", &self.name, "cat", path], PODMAN_TIMEOUT);
        out.status.success().then(|| text(&out.stdout).trim().to_string())
    }

    /// Reboots the container: a clean halt for systemd (podman sends it SIGRTMIN+3), a power cut
    /// for the others (SysV init and openrc-init ignore podman's SIGTERM); /run starts empty.
    pub fn reboot(&self) {
        let out = match self.boot {
            Boot::Systemd => podman(&["stop", "-t", "30", &self.name], PODMAN_TIMEOUT),
            _ => podman(&["kill", &self.name], PODMAN_TIMEOUT),
        };
        assert!(out.status.success(), "stopping {}: {}", self.name, text(&out.stderr));
        let out = podman(&["wait", &self.name], Duration::from_secs(60));
        assert!(out.status.success(), "{} did not stop: {}", self.name, text(&out.stderr));
        let out = podman(&["start", &self.name], PODMAN_TIMEOUT);
        assert!(out.status.success(), "podman start {}: {}", self.name, text(&out.stderr));
        self.wait_booted();
    }

    /// Runs one phase (`configure`) of plan function `f` on this container through the runtime:
    /// the node carries `os` (no probe) or, with `None`, the runtime probes it. `user` is the
    /// admin user (`root` runs without sudo; another user runs the script with `sudo -n`).
    pub fn phase(&self, os: Option<&Os>, user: &str, f: impl Fn(&mut Plan<'_>) + Send + Sync + 'static) -> NodeResult {
        let mut node = Node::new(self.name.clone(), "lab", self.name.clone());
        if let Some(os) = os {
            node = node.os(os.clone());
        }
        let group = GroupSpec::new("lab").expect("a valid group name").phase("configure", f);
        let options = RunOptions {
            phases: vec!["configure".into()],
            user: AdminUser::new(user),
            phase_timeout: Some(PHASE_TIMEOUT),
            ..RunOptions::default()
        };
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let service = Arc::new(Lab(vec![node]));
        let report = rt
            .block_on(async {
                lift(service, vec![group], options).wait_timeout(PHASE_TIMEOUT + Duration::from_secs(60)).await
            })
            .expect("lift runs");
        report
            .result(&self.name, "configure")
            .cloned()
            .unwrap_or_else(|| panic!("no configure result for {}:\n{}", self.name, report.human()))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman(&["rm", "-f", "-t", "0", &self.name], PODMAN_TIMEOUT);
    }
}

/// Removes every container of the lab (of this run or an interrupted earlier one).
pub fn remove_all_containers() {
    let out = podman(&["ps", "-a", "-q", "--filter", &format!("label={LABEL}")], PODMAN_TIMEOUT);
    for id in text(&out.stdout).split_whitespace() {
        let _ = podman(&["rm", "-f", "-t", "0", id], PODMAN_TIMEOUT);
    }
}

/// The lab's compute service: the given nodes, each a container reached with `podman exec`.
struct Lab(Vec<Node>);

impl ComputeService for Lab {
    fn name(&self) -> &str {
        "oslab"
    }

    fn nodes(&self) -> BoxFuture<'_, Result<Vec<Node>, ComputeError>> {
        let nodes = self.0.clone();
        Box::pin(async move { Ok(nodes) })
    }

    fn connector(&self, _node: &Node) -> Arc<dyn Connector> {
        Arc::new(PodmanExec)
    }
}

/// Opens [`PodmanTransport`]s: the node's address is its container's name.
struct PodmanExec;

impl Connector for PodmanExec {
    fn connect<'a>(
        &'a self,
        node: &'a Node,
        _user: &'a AdminUser,
        _ssh: &'a SshOptions,
    ) -> BoxFuture<'a, Result<Box<dyn Transport>, TransportError>> {
        let container = node.primary_ip.clone();
        Box::pin(async move { Ok(Box::new(PodmanTransport { container }) as Box<dyn Transport>) })
    }
}

/// Runs scripts in a container with `podman exec -i --user USER`, through the same bootstrap
/// command as every transport (the script on stdin, written to a temporary file, run with `sh`).
struct PodmanTransport {
    container: String,
}

impl PodmanTransport {
    async fn exec(
        &self,
        script: &[u8],
        data: &[Arc<[u8]>],
        user: &AdminUser,
        on_stdout: &mut (dyn FnMut(&[u8]) + Send),
    ) -> Result<ExecOutcome, TransportError> {
        let spawn_err =
            |e: std::io::Error| TransportError::Spawn { what: "podman exec".into(), message: e.to_string() };
        let data_len: u64 = data.iter().map(|d| d.len() as u64).sum();
        let mut child = tokio::process::Command::new("podman")
            .args(["--runtime", "runc", "exec", "-i", "--user", &user.username, &self.container, "sh", "-c"])
            .arg(bootstrap_command(script.len(), data_len, user)?)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(spawn_err)?;
        let missing = || TransportError::Spawn { what: "podman exec".into(), message: "a stream is not piped".into() };
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let stderr = child.stderr.take().ok_or_else(missing)?;
        let input = bootstrap_stdin(script, data, user);
        let err = drive(stdin, stdout, stderr, input, on_stdout).await.map_err(spawn_err)?;
        let status = child.wait().await.map_err(spawn_err)?;
        Ok(ExecOutcome { exit_code: status.code(), stderr: err })
    }
}

impl Transport for PodmanTransport {
    fn run<'a>(
        &'a self,
        script: &'a [u8],
        data: &'a [Arc<[u8]>],
        user: &'a AdminUser,
        on_stdout: &'a mut (dyn FnMut(&[u8]) + Send),
    ) -> BoxFuture<'a, Result<ExecOutcome, TransportError>> {
        Box::pin(self.exec(script, data, user, on_stdout))
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

/// The statuses of a phase's actions, in order.
pub fn statuses(r: &NodeResult) -> Vec<Status> {
    r.actions.iter().map(|a| a.status).collect()
}

/// Asserts that the phase ran and every action ended with `want`.
#[track_caller]
pub fn assert_all(r: &NodeResult, want: Status) {
    assert!(
        r.error.is_none() && !r.actions.is_empty() && r.actions.iter().all(|a| a.status == want),
        "{}: expected every action {want:?}, got {:?}\n{r:#?}",
        r.node,
        statuses(r)
    );
}

/// The stderr of action `index` (1-based).
pub fn stderr_of(r: &NodeResult, index: usize) -> String {
    r.actions.iter().find(|a| a.index == index).map(|a| a.stderr.clone()).unwrap_or_default()
}

/// Cells of the matrix that ran for real and passed their checks: (row, column).
static EXECUTED: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

thread_local! {
    /// The case running on this thread and the cells it declares.
    static CASE: std::cell::Cell<(&'static str, &'static [(&'static str, &'static str)])> =
        const { std::cell::Cell::new(("", &[])) };
}

/// Names the case this thread runs (the harness calls it).
pub fn set_case(name: &'static str, cells: &'static [(&'static str, &'static str)]) {
    CASE.with(|c| c.set((name, cells)));
}

/// Records that `column` (an action family) was executed on `row` and its checks passed. Call it
/// after the checks: a case that fails records nothing after its failure. The cell must be one
/// the running case declares.
pub fn executed(row: &str, column: &str) {
    assert!(crate::matrix::ROWS.iter().any(|r| r.name == row), "unknown matrix row {row}");
    assert!(crate::matrix::COLUMNS.iter().any(|c| c.name == column), "unknown matrix column {column}");
    let (case, cells) = CASE.with(|c| c.get());
    assert!(cells.contains(&(row, column)), "case {case} records ({row}, {column}) but does not declare it");
    EXECUTED.lock().unwrap().push((row.to_string(), column.to_string()));
}

/// Every recorded cell.
pub fn executed_cells() -> Vec<(String, String)> {
    EXECUTED.lock().unwrap().clone()
}
