//! Operations: running phases over nodes, as an async handle the caller can await, cancel,
//! bound with a timeout, and watch through progress events.
//!
//! The phase runner is split by job, in the order a run goes through them:
//!
//! | module | job |
//! |---|---|
//! | [`members`] | which nodes take part, with their group's effective spec and compute service |
//! | [`phases`] | which phases run, in which order (one function for lift, converge, plan, check) |
//! | `connect` | a connection per node and login user; the OS probe |
//! | `batch` | flag policies and rolling batches of one group in one phase |
//! | `node_run` | one node, one phase: plan, render, run, read the records back |
//! | `engine` | the whole run: connect, then each phase as a barrier, then close everything |

mod batch;
mod connect;
mod dependents;
mod engine;
mod facts_cache;
pub mod members;
mod node_run;
mod options;
pub mod phases;

use crate::report::{Report, Status};
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use connect::{ConnectError, detect_facts};
pub(crate) use engine::run;
pub use facts_cache::GUARD_EXIT;
pub use members::Member;
pub use options::{PostPhaseFn, PostPhaseHook, RunOptions, StopFlag, default_controller_state};

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
    /// A requested or default phase that nothing defines.
    #[error(transparent)]
    Phase(#[from] phases::PhaseError),
    /// A group cannot be converged: it has no node count.
    #[error("group {0} has no count to converge to")]
    NoCount(String),
    /// None of the named groups has a running node.
    #[error("no running nodes of group(s) {groups} on {service}")]
    NoTargets {
        /// The groups, comma-separated.
        groups: String,
        /// The compute service(s).
        service: String,
    },
    /// A compute service failed, so the operation could not go on.
    #[error("group(s) {groups}: {step} on {service}: {source}")]
    Compute {
        /// The groups concerned, comma-separated.
        groups: String,
        /// What the operation was doing (`listing nodes`, `destroying nodes`).
        step: &'static str,
        /// The service.
        service: String,
        /// Its error.
        #[source]
        source: crate::compute::ComputeError,
    },
    /// It panicked (a bug).
    #[error("the operation panicked: {0}")]
    Panicked(String),
}

/// A running operation: await it (`.await` or [`Operation::wait`]), bound it
/// ([`Operation::wait_timeout`]), cancel it, or read its [`Event`]s.
pub struct Operation {
    task: JoinHandle<Result<Report, OperationError>>,
    events: mpsc::UnboundedReceiver<Event>,
    stop: StopFlag,
}

impl Operation {
    /// Starts `f` on the tokio runtime; `f` gets the event sender. `stop` is the flag the
    /// operation watches ([`RunOptions::stop`]).
    pub(crate) fn spawn<F, Fut>(stop: StopFlag, f: F) -> Operation
    where
        F: FnOnce(mpsc::UnboundedSender<Event>) -> Fut,
        Fut: Future<Output = Result<Report, OperationError>> + Send + 'static,
    {
        let (tx, events) = mpsc::unbounded_channel();
        Operation { task: tokio::spawn(f(tx)), events, stop }
    }

    /// Asks the operation to stop gracefully: nothing new starts (no phase, batch or node
    /// creation), running phases finish, connections close, and the report says what ran and
    /// what did not. (Ctrl-C in an ops binary does this; a second one cancels.)
    pub fn stop(&self) {
        self.stop.stop();
    }

    /// A handle that can stop or cancel the operation from elsewhere (a signal handler).
    pub fn handle(&self) -> OperationHandle {
        OperationHandle { stop: self.stop.clone(), abort: self.task.abort_handle() }
    }

    /// The progress events (they end when the operation ends).
    pub fn events(&mut self) -> &mut mpsc::UnboundedReceiver<Event> {
        &mut self.events
    }

    /// Cancels the operation at once: running scripts are abandoned, connections close (their
    /// masters are shut down as they are dropped).
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

/// Stops or cancels an [`Operation`] from elsewhere.
#[derive(Debug, Clone)]
pub struct OperationHandle {
    stop: StopFlag,
    abort: tokio::task::AbortHandle,
}

impl OperationHandle {
    /// As [`Operation::stop`].
    pub fn stop(&self) {
        self.stop.stop();
    }

    /// As [`Operation::cancel`].
    pub fn cancel(&self) {
        self.abort.abort();
    }
}

impl IntoFuture for Operation {
    type Output = Result<Report, OperationError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait())
    }
}
