//! Who takes part in an operation: nodes matched to groups, each with its group's effective
//! spec (computed once per group) and the compute service that provides it.

use crate::compute::ComputeService;
use crate::node::Node;
use crate::spec::{EffectiveSpec, GroupSpec};
use std::sync::Arc;

/// A node in an operation with its group. `target` is false for nodes of consider-groups: they
/// run only `settings`, so that the targets' plans can read them.
#[derive(Clone)]
pub struct Member {
    /// The node.
    pub node: Node,
    /// Its group spec.
    pub group: GroupSpec,
    /// The group's effective spec (its `extends` merged).
    pub spec: Arc<EffectiveSpec>,
    /// The service the node comes from: it records flags and chooses the transport.
    pub service: Arc<dyn ComputeService>,
    /// Does the operation run its phases (rather than only `settings`)?
    pub target: bool,
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member")
            .field("node", &self.node.name)
            .field("group", &self.group.name())
            .field("service", &self.service.name())
            .field("target", &self.target)
            .finish()
    }
}

impl Member {
    /// `node` of `group`, provided by `service`.
    pub fn new(node: Node, group: &GroupSpec, service: Arc<dyn ComputeService>, target: bool) -> Member {
        Member { node, spec: Arc::new(group.server().effective()), group: group.clone(), service, target }
    }
}

/// The running nodes of `nodes` that belong to one of `groups` (the first that contains each),
/// as members provided by `service`.
pub fn members(nodes: &[Node], groups: &[GroupSpec], service: &Arc<dyn ComputeService>, target: bool) -> Vec<Member> {
    let specs: Vec<Arc<EffectiveSpec>> = groups.iter().map(|g| Arc::new(g.server().effective())).collect();
    let mut out = Vec::new();
    for n in nodes.iter().filter(|n| n.running) {
        if let Some((g, spec)) = groups.iter().zip(&specs).find(|(g, _)| g.contains(n)) {
            out.push(Member {
                node: n.clone(),
                group: g.clone(),
                spec: spec.clone(),
                service: service.clone(),
                target,
            });
        }
    }
    out
}

/// `targets` plus the members of `consider` found in `nodes` that are not targets already.
pub fn with_considered(
    mut targets: Vec<Member>,
    nodes: &[Node],
    consider: &[GroupSpec],
    service: &Arc<dyn ComputeService>,
) -> Vec<Member> {
    let considered: Vec<Member> = members(nodes, consider, service, false)
        .into_iter()
        .filter(|c| !targets.iter().any(|t| t.node.id == c.node.id))
        .collect();
    targets.extend(considered);
    targets
}
