//! `lift`: run phases on existing nodes of some groups; never creates or destroys nodes
//! (Pallet's `lift`). `settings` runs first on the targets and on consider-groups.

use crate::compute::{ComputeService, NodeList};
use crate::node::Node;
use crate::operation::members::{Member, Placement, add_considered};
use crate::operation::phases::{check_phases, phases_to_run};
use crate::operation::{Operation, OperationError, RunOptions, run};
use crate::spec::GroupSpec;
use std::sync::Arc;

/// Lifts the running nodes of `groups` found on `compute` (consider-groups from
/// [`RunOptions::consider_groups`], on the same service).
pub fn lift(compute: Arc<dyn ComputeService>, groups: Vec<GroupSpec>, options: RunOptions) -> Operation {
    let consider = vec![Placement::new(compute.clone(), options.consider_groups.clone())];
    lift_across(vec![Placement::new(compute, groups)], consider, options)
}

/// Lifts the groups of `targets`, each on its own service (a hybrid operation); the groups of
/// `consider` run only `settings` (changing nothing) so that plans see them.
pub fn lift_across(targets: Vec<Placement>, consider: Vec<Placement>, options: RunOptions) -> Operation {
    Operation::spawn(options.stop.clone(), move |tx| async move {
        let mut m = Vec::new();
        for p in &targets {
            m.extend(p.members(true).await?);
        }
        if m.is_empty() {
            let groups = targets.iter().map(Placement::names).collect::<Vec<_>>().join(", ");
            let service = targets.iter().map(|p| p.service.name()).collect::<Vec<_>>().join(", ");
            return Err(OperationError::NoTargets { groups, service });
        }
        check_phases(&options.phases, m.iter().map(|m| (m.group.name(), m.spec.as_ref())))?;
        let phases = phases_to_run(&[], &options.phases, m.iter().map(|m| m.spec.as_ref()));
        let m = add_considered(m, &consider).await?;
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
