//! `lift`: run phases on existing nodes of some groups; never creates or destroys nodes
//! (Pallet's `lift`). `settings` runs first on the targets and on consider-groups.

use crate::compute::{ComputeService, NodeList};
use crate::node::Node;
use crate::operation::members::{Member, members, with_considered};
use crate::operation::phases::{check_phases, phases_to_run};
use crate::operation::{Operation, OperationError, RunOptions, run};
use crate::spec::GroupSpec;
use std::sync::Arc;

/// Lifts the running nodes of `groups` found on `compute`.
pub fn lift(compute: Arc<dyn ComputeService>, groups: Vec<GroupSpec>, options: RunOptions) -> Operation {
    Operation::spawn(options.stop.clone(), move |tx| async move {
        let groups_text = || groups.iter().map(GroupSpec::name).collect::<Vec<_>>().join(", ");
        let nodes = compute.nodes().await.map_err(|source| OperationError::Compute {
            groups: groups_text(),
            step: "listing nodes",
            service: compute.name().to_string(),
            source,
        })?;
        let targets = members(&nodes, &groups, &compute, true);
        if targets.is_empty() {
            return Err(OperationError::NoTargets { groups: groups_text(), service: compute.name().to_string() });
        }
        check_phases(&options.phases, targets.iter().map(|m| (m.group.name(), m.spec.as_ref())))?;
        let phases = phases_to_run(&[], &options.phases, targets.iter().map(|m| m.spec.as_ref()));
        let m = with_considered(targets, &nodes, &options.consider_groups, &compute);
        let name = if options.check { "check" } else { "lift" };
        Ok(run(name, m, phases, options, tx).await)
    })
}

/// Lifts explicit nodes, each with its group spec (Pallet's `lift-nodes`), reached over SSH.
pub fn lift_nodes(targets: Vec<(Node, GroupSpec)>, options: RunOptions) -> Operation {
    Operation::spawn(options.stop.clone(), move |tx| async move {
        let service: Arc<dyn ComputeService> = Arc::new(NodeList::new(targets.iter().map(|(n, _)| n.clone())));
        let m: Vec<Member> =
            targets.into_iter().map(|(node, group)| Member::new(node, &group, service.clone(), true)).collect();
        check_phases(&options.phases, m.iter().map(|m| (m.group.name(), m.spec.as_ref())))?;
        let phases = phases_to_run(&[], &options.phases, m.iter().map(|m| m.spec.as_ref()));
        Ok(run("lift", m, phases, options, tx).await)
    })
}
