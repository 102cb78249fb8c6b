//! `lift`: run phases on existing nodes of some groups; never creates or destroys nodes
//! (Pallet's `lift`). `settings` runs first on the targets and on consider-groups.

use crate::compute::ComputeService;
use crate::node::Node;
use crate::operation::{Member, Operation, OperationError, RunOptions, members, run};
use crate::spec::GroupSpec;
use std::sync::Arc;

/// Lifts the running nodes of `groups` found on `compute`.
pub fn lift(compute: Arc<dyn ComputeService>, groups: Vec<GroupSpec>, options: RunOptions) -> Operation {
    Operation::spawn(move |tx| async move {
        let nodes = compute.nodes().await.map_err(|e| OperationError::Failed(e.to_string()))?;
        let mut m = members(&nodes, &groups, true);
        if m.is_empty() {
            let names: Vec<&str> = groups.iter().map(|g| g.name()).collect();
            return Err(OperationError::Failed(format!(
                "no running nodes of group(s) {} on {}",
                names.join(", "),
                compute.name()
            )));
        }
        let considered: Vec<Member> = members(&nodes, &options.consider_groups, false)
            .into_iter()
            .filter(|c| !m.iter().any(|t| t.node.id == c.node.id))
            .collect();
        m.extend(considered);
        run("lift", m, Some(compute), options, tx).await
    })
}

/// Lifts explicit nodes, each with its group spec (Pallet's `lift-nodes`).
pub fn lift_nodes(targets: Vec<(Node, GroupSpec)>, options: RunOptions) -> Operation {
    Operation::spawn(move |tx| async move {
        let m = targets.into_iter().map(|(node, group)| Member { node, group, target: true }).collect();
        run("lift", m, None, options, tx).await
    })
}
