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

/// The running nodes of `nodes` that belong to `groups`, as members provided by `service`. A
/// node in several groups is one member whose spec merges theirs, in `groups` order (see
/// [`EffectiveSpec::merged`]); its group is the first of them.
pub fn members(nodes: &[Node], groups: &[GroupSpec], service: &Arc<dyn ComputeService>, target: bool) -> Vec<Member> {
    let specs: Vec<Arc<EffectiveSpec>> = groups.iter().map(|g| Arc::new(g.server().effective())).collect();
    let mut out = Vec::new();
    for n in nodes.iter().filter(|n| n.running) {
        let mut of = groups.iter().zip(&specs).filter(|(g, _)| g.contains(n));
        let Some((g, first)) = of.next() else { continue };
        let spec = of.fold(first.clone(), |acc, (_, s)| Arc::new(acc.merged(s)));
        out.push(Member { node: n.clone(), group: g.clone(), spec, service: service.clone(), target });
    }
    out
}

/// Groups and the compute service their nodes come from. An operation may span several
/// (Pallet's hybrid provider): each group's nodes come from its own service, relationships span
/// them all.
#[derive(Clone)]
pub struct Placement {
    /// The service.
    pub service: Arc<dyn ComputeService>,
    /// Its groups in this operation.
    pub groups: Vec<GroupSpec>,
}

impl Placement {
    /// `groups` on `service`.
    pub fn new(service: Arc<dyn ComputeService>, groups: Vec<GroupSpec>) -> Placement {
        Placement { service, groups }
    }

    /// The group names, comma-separated.
    pub fn names(&self) -> String {
        self.groups.iter().map(GroupSpec::name).collect::<Vec<_>>().join(", ")
    }

    /// The running members of this placement's groups on its service.
    ///
    /// # Errors
    /// [`super::OperationError::Compute`] when the service cannot list its nodes.
    pub async fn members(&self, target: bool) -> Result<Vec<Member>, super::OperationError> {
        if self.groups.is_empty() {
            return Ok(Vec::new());
        }
        let nodes = self.service.nodes().await.map_err(|source| super::OperationError::Compute {
            groups: self.names(),
            step: "listing nodes",
            service: self.service.name().to_string(),
            source,
        })?;
        Ok(members(&nodes, &self.groups, &self.service, target))
    }
}

/// The members of `consider` (all placements) that are not in `targets` already, appended.
///
/// # Errors
/// As [`Placement::members`].
pub async fn add_considered(
    mut targets: Vec<Member>,
    consider: &[Placement],
) -> Result<Vec<Member>, super::OperationError> {
    for p in consider {
        for m in p.members(false).await? {
            if !targets.iter().any(|t| t.node.id == m.node.id) {
                targets.push(m);
            }
        }
    }
    Ok(targets)
}
