//! Operations: running phases over nodes, as an async handle the caller can await, cancel,
//! bound with a timeout, and watch through progress events.

mod engine;
mod node_run;

use crate::report::{Report, Status};
use crate::spec::GroupSpec;
use crate::transport::AdminUser;
use crate::transport::ssh::SshOptions;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub(crate) use engine::{Member, members, run};

/// Connects to `node` as the admin user and detects its OS (one probe).
///
/// # Errors
/// The connection or detection error, as text.
pub async fn detect_os(node: &crate::node::Node, o: &RunOptions) -> Result<stevedore::Os, String> {
    let t = engine::open(node, &o.user, o).await?;
    let probe = crate::facts::probe_script(false);
    let mut out = Vec::new();
    let user = o.user.clone().no_sudo(true);
    let r = t.run(&probe, &user, &mut |c: &[u8]| out.extend_from_slice(c)).await.map_err(|e| e.to_string());
    t.close().await;
    r?;
    crate::facts::parse_probe(&out).map(|f| f.os).map_err(|e| e.to_string())
}

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
    /// Each node's phase is cut off after this long.
    pub phase_timeout: Option<Duration>,
    /// Detect the OS of nodes whose OS is not known (default on); a node that carries its OS
    /// (e.g. `os = "debian-12"` in an inventory) is not probed. Off, every node must carry it.
    pub os_detect: bool,
    /// Groups that only run `settings`, so the targets' plans can read them.
    pub consider_groups: Vec<GroupSpec>,
    /// Check mode: report what would change, change nothing.
    pub check: bool,
    /// Where pallet keeps state on nodes (default `/var/lib/pallet`).
    pub state_dir: String,
    /// Called after each phase with its results (Pallet's `:post-phase-f`).
    pub post_phase: Option<PostPhaseHook>,
}

/// A function called after each phase with the phase name and its node results.
#[derive(Clone)]
pub struct PostPhaseHook(pub std::sync::Arc<dyn Fn(&str, &[crate::report::NodeResult]) + Send + Sync>);

impl PostPhaseHook {
    /// Wraps `f`.
    pub fn new(f: impl Fn(&str, &[crate::report::NodeResult]) + Send + Sync + 'static) -> PostPhaseHook {
        PostPhaseHook(std::sync::Arc::new(f))
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
            phase_timeout: None,
            os_detect: true,
            consider_groups: Vec::new(),
            check: false,
            state_dir: "/var/lib/pallet".to_string(),
            post_phase: None,
        }
    }
}

/// Progress of an operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A node is connected and its OS known.
    Connected {
        /// The node.
        node: String,
        /// Its OS.
        os: String,
    },
    /// A phase starts on `nodes` nodes.
    PhaseStarted {
        /// The phase.
        phase: String,
        /// How many nodes run it.
        nodes: usize,
    },
    /// A node finished a phase (or failed to connect: phase `connect`).
    NodeFinished {
        /// The phase.
        phase: String,
        /// The node.
        node: String,
        /// How it went.
        status: Status,
    },
    /// A phase ended on every node.
    PhaseFinished {
        /// The phase.
        phase: String,
    },
    /// Nodes were created or destroyed (converge).
    Nodes {
        /// What happened, e.g. `created web-1`.
        message: String,
    },
}

/// Why an operation produced no report.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OperationError {
    /// It was cancelled.
    #[error("the operation was cancelled")]
    Cancelled,
    /// It did not finish in time (and was cancelled).
    #[error("the operation did not finish within {0:?} and was cancelled")]
    Timeout(Duration),
    /// It could not start (no targets, compute service failure).
    #[error("{0}")]
    Failed(String),
    /// It panicked (a bug).
    #[error("the operation panicked: {0}")]
    Panicked(String),
}

/// A running operation: await it (`.await` or [`Operation::wait`]), bound it
/// ([`Operation::wait_timeout`]), cancel it, or read its [`Event`]s.
pub struct Operation {
    task: JoinHandle<Result<Report, OperationError>>,
    events: mpsc::UnboundedReceiver<Event>,
}

impl Operation {
    /// Starts `f` on the tokio runtime; `f` gets the event sender.
    pub(crate) fn spawn<F, Fut>(f: F) -> Operation
    where
        F: FnOnce(mpsc::UnboundedSender<Event>) -> Fut,
        Fut: Future<Output = Result<Report, OperationError>> + Send + 'static,
    {
        let (tx, events) = mpsc::unbounded_channel();
        Operation { task: tokio::spawn(f(tx)), events }
    }

    /// The progress events (they end when the operation ends).
    pub fn events(&mut self) -> &mut mpsc::UnboundedReceiver<Event> {
        &mut self.events
    }

    /// Cancels the operation: connections close, running scripts are abandoned.
    pub fn cancel(&self) {
        self.task.abort();
    }

    /// Waits for the report.
    ///
    /// # Errors
    /// [`OperationError`].
    pub async fn wait(self) -> Result<Report, OperationError> {
        match self.task.await {
            Ok(r) => r,
            Err(e) if e.is_cancelled() => Err(OperationError::Cancelled),
            Err(e) => Err(OperationError::Panicked(e.to_string())),
        }
    }

    /// Waits at most `limit`, then cancels.
    ///
    /// # Errors
    /// [`OperationError::Timeout`], or as [`Operation::wait`].
    pub async fn wait_timeout(self, limit: Duration) -> Result<Report, OperationError> {
        let abort = self.task.abort_handle();
        match tokio::time::timeout(limit, self.wait()).await {
            Ok(r) => r,
            Err(_) => {
                abort.abort();
                Err(OperationError::Timeout(limit))
            }
        }
    }
}

impl IntoFuture for Operation {
    type Output = Result<Report, OperationError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait())
    }
}
