//! Options of `lift` and `converge` (Pallet's operation options).

use crate::report::NodeResult;
use crate::spec::GroupSpec;
use crate::transport::AdminUser;
use crate::transport::ssh::SshOptions;
use std::sync::Arc;
use std::time::Duration;

/// Options of `lift` and `converge` (Pallet's operation options).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Phases to run after `settings`; empty means each group's default phases (`configure`).
    pub phases: Vec<String>,
    /// The admin user.
    pub user: AdminUser,
    /// The user of phases with image credentials (`bootstrap`), for nodes not yet bootstrapped:
    /// the image's login user, with the admin user's key. `None` uses the admin user.
    pub image_user: Option<AdminUser>,
    /// SSH settings.
    pub ssh: SshOptions,
    /// At most this many nodes run a phase at once (default 100).
    pub concurrency: usize,
    /// At most this many SSH handshakes at once (default 20; sshd's `MaxStartups` defaults to 10
    /// unauthenticated connections per server, so one bastion wants less).
    pub handshake_concurrency: usize,
    /// Each node's OS probe is cut off after this long (default 20 s): a login that hangs
    /// (a slow shell start-up, a stuck PAM module) fails its node, not the run.
    pub probe_timeout: Duration,
    /// Each node's phase is cut off after this long (default 30 min; `None`: no limit).
    pub phase_timeout: Option<Duration>,
    /// The whole operation is cut off after this long (default: no limit): phases still running
    /// then fail on their nodes, naming the deadline, and no later phase starts.
    pub deadline: Option<Duration>,
    /// Connection attempts after the first that failed for a transient cause (refused, timed
    /// out, lost during the handshake), default 2; authentication and host key failures are
    /// never retried.
    pub connect_retries: u32,
    /// The wait before the first connection retry, doubled before each next one (default 1 s).
    pub connect_retry_delay: Duration,
    /// Detect the OS of nodes whose OS is not known (default on); a node that carries its OS
    /// (e.g. `os = "debian-12"` in an inventory) is not probed. Off, every node must carry it.
    pub os_detect: bool,
    /// Groups that only run `settings` (in check mode: it changes nothing on their nodes), so
    /// the targets' plans can read them; their plans are planned (not run) to learn which
    /// groups they read. The command line puts every group the program defines here.
    pub consider_groups: Vec<GroupSpec>,
    /// Also run, in the same operation, the default phases of consider-groups whose plans read
    /// a group that changed (`--with-dependents`); without it they are reported as stale.
    pub with_dependents: bool,
    /// Variables plans read with `Plan::var` after host and group variables (Pallet's
    /// `:environment`; the command line puts the configuration's `[environment]` over these).
    pub environment: std::collections::BTreeMap<String, serde_json::Value>,
    /// Where the controller keeps what it learned between runs: nodes' facts (so they are not
    /// probed again: one exec per node per phase from the second run) and what each group read
    /// (for stale dependents). `None` (the library's default) keeps nothing; the command line
    /// uses [`default_controller_state`].
    pub controller_state: Option<std::path::PathBuf>,
    /// Check mode: report what would change, change nothing.
    pub check: bool,
    /// Where pallet keeps state on nodes (default `/var/lib/pallet`).
    pub state_dir: String,
    /// Called after each phase with its results (Pallet's `:post-phase-f`).
    pub post_phase: Option<PostPhaseHook>,
    /// Asks the operation to stop gracefully ([`super::Operation::stop`]): no new phase, batch or
    /// node creation starts; running phases finish; the rest is reported as not run.
    pub stop: StopFlag,
}

/// A graceful stop request, shared by an operation and whoever may interrupt it (a signal
/// handler).
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<std::sync::atomic::AtomicBool>);

impl StopFlag {
    /// Requests the stop.
    pub fn stop(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Was a stop requested?
    pub fn is_stopped(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A function called after each phase with the phase name and its node results.
#[derive(Clone)]
pub struct PostPhaseHook(pub Arc<PostPhaseFn>);

/// The function of a [`PostPhaseHook`]: phase name, node results.
pub type PostPhaseFn = dyn Fn(&str, &[NodeResult]) + Send + Sync;

impl PostPhaseHook {
    /// Wraps `f`.
    pub fn new(f: impl Fn(&str, &[NodeResult]) + Send + Sync + 'static) -> PostPhaseHook {
        PostPhaseHook(Arc::new(f))
    }
}

impl std::fmt::Debug for PostPhaseHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostPhaseHook(..)")
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            phases: Vec::new(),
            user: AdminUser::new(std::env::var("USER").unwrap_or_else(|_| "root".into())),
            image_user: None,
            ssh: SshOptions::default(),
            concurrency: 100,
            handshake_concurrency: 20,
            probe_timeout: Duration::from_secs(20),
            phase_timeout: Some(Duration::from_secs(30 * 60)),
            deadline: None,
            connect_retries: 2,
            connect_retry_delay: Duration::from_secs(1),
            os_detect: true,
            consider_groups: Vec::new(),
            with_dependents: false,
            environment: std::collections::BTreeMap::new(),
            controller_state: None,
            check: false,
            state_dir: "/var/lib/pallet".to_string(),
            post_phase: None,
            stop: StopFlag::default(),
        }
    }
}

/// `$XDG_STATE_HOME/pallet`, else `$HOME/.local/state/pallet`.
pub fn default_controller_state() -> Option<std::path::PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/state")))?;
    Some(base.join("pallet"))
}
