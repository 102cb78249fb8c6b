//! Phases, plan functions and phase metadata.

use crate::node::Node;
use crate::plan::Plan;
use std::fmt;
use std::sync::Arc;

/// The phase that prepares new nodes (runs once per node, as the image's login user).
pub const BOOTSTRAP: &str = "bootstrap";
/// The phase that runs first on every target and on consider-groups: it computes and publishes
/// settings other nodes read.
pub const SETTINGS: &str = "settings";
/// The default phase.
pub const CONFIGURE: &str = "configure";
/// The flag [`BOOTSTRAP`] sets on nodes whose bootstrap succeeded.
pub const BOOTSTRAPPED: &str = "bootstrapped";

/// A plan function: records actions for one node. Plain `fn(&mut Plan)` items and closures
/// convert into it.
pub type PlanFn = Arc<dyn Fn(&mut Plan<'_>) + Send + Sync>;

/// Makes a [`PlanFn`] from a function or closure.
pub fn plan_fn(f: impl Fn(&mut Plan<'_>) + Send + Sync + 'static) -> PlanFn {
    Arc::new(f)
}

/// Which nodes a phase runs on, by node state flag (Pallet's `execute-and-flag-metadata` and
/// `execute-on-unflagged-metadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagPolicy {
    /// Run only on nodes without the flag, and set it on nodes whose phase succeeded.
    ExecuteAndFlag(String),
    /// Run only on nodes without the flag; never set it.
    ExecuteOnUnflagged(String),
}

/// A function from a phase's targets to its batches.
pub type PartitionFn = dyn Fn(&[Node]) -> Vec<Vec<Node>> + Send + Sync;

/// How a phase's targets are split into batches that run one after another (rolling restarts).
#[derive(Clone)]
pub enum Partition {
    /// Batches of at most `n` nodes.
    Serial(usize),
    /// A function from the targets to the batches.
    Custom(Arc<PartitionFn>),
}

impl fmt::Debug for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Partition::Serial(n) => write!(f, "Serial({n})"),
            Partition::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl Partition {
    /// Splits `nodes` into batches, in order.
    pub fn batches(&self, nodes: &[Node]) -> Vec<Vec<Node>> {
        match self {
            Partition::Serial(n) => nodes.chunks((*n).max(1)).map(<[Node]>::to_vec).collect(),
            Partition::Custom(f) => f(nodes),
        }
    }
}

/// Metadata of a phase (Pallet's `:phases-meta`).
#[derive(Debug, Clone, Default)]
pub struct PhaseMeta {
    /// Run only on nodes without a flag (and maybe set it).
    pub flag: Option<FlagPolicy>,
    /// Log in as the image's login user instead of the admin user.
    pub image_credentials: bool,
    /// Run the targets in batches.
    pub partition: Option<Partition>,
    /// At most this many nodes at once in this phase.
    pub concurrency: Option<usize>,
    /// Ansible's `max_fail_percentage`: the share of a batch's nodes (of the phase's nodes,
    /// without batches) that may fail before the operation stops; `None` (default) stops at the
    /// first failure. Within it, later batches and phases go on without the failed nodes.
    pub max_fail_percentage: Option<u8>,
}

impl PhaseMeta {
    /// No metadata.
    pub fn new() -> PhaseMeta {
        PhaseMeta::default()
    }

    /// The default metadata of `bootstrap`: image credentials, and the `bootstrapped` flag.
    pub fn bootstrap() -> PhaseMeta {
        PhaseMeta {
            flag: Some(FlagPolicy::ExecuteAndFlag(BOOTSTRAPPED.to_string())),
            image_credentials: true,
            ..PhaseMeta::default()
        }
    }

    /// Runs only on nodes without `flag` and sets it where the phase succeeds.
    pub fn execute_and_flag(mut self, flag: impl Into<String>) -> Self {
        self.flag = Some(FlagPolicy::ExecuteAndFlag(flag.into()));
        self
    }

    /// Runs only on nodes without `flag`.
    pub fn execute_on_unflagged(mut self, flag: impl Into<String>) -> Self {
        self.flag = Some(FlagPolicy::ExecuteOnUnflagged(flag.into()));
        self
    }

    /// Logs in with the image's credentials.
    pub fn execute_with_image_credentials(mut self) -> Self {
        self.image_credentials = true;
        self
    }

    /// Runs the targets in batches of `n`.
    pub fn serial(mut self, n: usize) -> Self {
        self.partition = Some(Partition::Serial(n));
        self
    }

    /// Runs the targets in the batches `f` returns.
    pub fn partition(mut self, f: impl Fn(&[Node]) -> Vec<Vec<Node>> + Send + Sync + 'static) -> Self {
        self.partition = Some(Partition::Custom(Arc::new(f)));
        self
    }

    /// At most `n` nodes at once.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n);
        self
    }

    /// Tolerates up to `percent` (0..=100, clamped) failed nodes per batch before stopping.
    pub fn max_fail_percentage(mut self, percent: u8) -> Self {
        self.max_fail_percentage = Some(percent.min(100));
        self
    }

    /// Does a batch of `total` nodes with `failed` failures stop the operation?
    pub fn stops_at(&self, failed: usize, total: usize) -> bool {
        match self.max_fail_percentage {
            _ if failed == 0 => false,
            None => true,
            Some(p) => failed * 100 > usize::from(p) * total.max(1),
        }
    }

    /// `self` with the fields `over` sets replaced.
    pub fn merge(&self, over: &PhaseMeta) -> PhaseMeta {
        PhaseMeta {
            flag: over.flag.clone().or_else(|| self.flag.clone()),
            image_credentials: self.image_credentials || over.image_credentials,
            partition: over.partition.clone().or_else(|| self.partition.clone()),
            concurrency: over.concurrency.or(self.concurrency),
            max_fail_percentage: over.max_fail_percentage.or(self.max_fail_percentage),
        }
    }
}
