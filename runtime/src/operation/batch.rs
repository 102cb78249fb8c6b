//! One group in one phase: which of its nodes run (the phase's flag policy), in which batches
//! (its partition: Pallet's rolling `:partition-f`, or `serial(n)`), at what concurrency.

use super::connect::Connected;
use crate::report::NodeResult;
use crate::spec::{FlagPolicy, PhaseMeta};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// How one group runs one phase.
pub(crate) struct GroupRun<'a> {
    /// Nodes the flag policy leaves out.
    pub skipped: Vec<NodeResult>,
    /// The nodes that run, in batches that run one after another.
    pub batches: Vec<Vec<&'a Connected>>,
    /// The flag to set on nodes whose phase succeeded (`execute_and_flag`).
    pub flag: Option<String>,
    /// The phase's own concurrency cap for this group.
    pub limit: Option<Arc<Semaphore>>,
}

/// Splits `members` (one group's, in one phase) by `meta`.
pub(crate) fn group_run<'a>(phase: &str, members: Vec<&'a Connected>, meta: &PhaseMeta) -> GroupRun<'a> {
    let flag_of_policy = match &meta.flag {
        Some(FlagPolicy::ExecuteAndFlag(f) | FlagPolicy::ExecuteOnUnflagged(f)) => Some(f.as_str()),
        None => None,
    };
    let (skip, runnable): (Vec<&Connected>, Vec<&Connected>) =
        members.into_iter().partition(|c| flag_of_policy.is_some_and(|f| c.target.node.has_flag(f)));
    let skipped = skip.iter().map(|c| NodeResult::skipped(&c.target.node, phase)).collect();
    let batches = match &meta.partition {
        None => vec![runnable],
        Some(p) => {
            let nodes: Vec<_> = runnable.iter().map(|c| c.target.node.clone()).collect();
            p.batches(&nodes)
                .into_iter()
                .map(|b| b.iter().filter_map(|n| runnable.iter().copied().find(|c| c.target.node.id == n.id)).collect())
                .filter(|b: &Vec<&Connected>| !b.is_empty())
                .collect()
        }
    };
    let flag = match &meta.flag {
        Some(FlagPolicy::ExecuteAndFlag(f)) => Some(f.clone()),
        _ => None,
    };
    GroupRun { skipped, batches, flag, limit: meta.concurrency.map(|n| Arc::new(Semaphore::new(n.max(1)))) }
}
