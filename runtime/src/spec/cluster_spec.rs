//! Cluster specs: named sets of groups (Pallet's `cluster-spec`).

use super::group_spec::{GroupNameError, GroupSpec, check_group_name};
use super::server_spec::ServerSpec;

/// A named set of group specs with cluster-wide roles, phases, extends and node spec.
///
/// [`ClusterSpec::groups`] expands it as Pallet's `cluster-spec` did: each group is renamed
/// `<cluster>-<group>`; the cluster's roles are added to each group's; the node spec is the
/// cluster's merged under the group's (the group wins); and each phase runs, in this order,
/// **the group's own plan functions (with what the group extends first), then the cluster's
/// `phases`, then the plan functions of the specs the cluster extends**. (That is the reverse of
/// `extends` inside a server or group spec, where inherited functions run first; it is kept for
/// compatibility with Pallet.)
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    name: String,
    groups: Vec<GroupSpec>,
    server: ServerSpec,
}

impl ClusterSpec {
    /// A cluster named `name` (its groups' names become `<name>-<group>`).
    ///
    /// # Panics
    /// When `name` is not a DNS label; see [`ClusterSpec::try_new`].
    pub fn new(name: impl Into<String>) -> ClusterSpec {
        ClusterSpec::try_new(name).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A cluster named `name`, or why the name is invalid.
    ///
    /// # Errors
    /// [`GroupNameError`].
    pub fn try_new(name: impl Into<String>) -> Result<ClusterSpec, GroupNameError> {
        let name = name.into();
        check_group_name(&name)?;
        Ok(ClusterSpec { name, groups: Vec::new(), server: ServerSpec::new() })
    }

    /// The cluster name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a group.
    pub fn group(mut self, g: GroupSpec) -> Self {
        self.groups.push(g);
        self
    }

    /// Adds groups.
    pub fn groups(mut self, gs: impl IntoIterator<Item = GroupSpec>) -> Self {
        self.groups.extend(gs);
        self
    }

    /// The expanded group specs.
    pub fn group_specs(&self) -> Vec<GroupSpec> {
        self.groups
            .iter()
            .map(|g| {
                let name = format!("{}-{}", self.name, g.name());
                let mut server = g.server().effective();
                for (phase, fns) in self.server.own_phases() {
                    for f in fns {
                        server = server.phase_fn(phase.clone(), f);
                    }
                }
                for base in self.server.own_extends() {
                    let base = base.effective();
                    for phase in base.phase_names() {
                        for f in base.phase_fns(&phase) {
                            server = server.phase_fn(phase.clone(), f);
                        }
                    }
                    server = server.roles(base.get_roles());
                }
                let node_spec = self.server.get_node_spec().merge(&server.get_node_spec());
                let server = server.roles(self.server.get_roles()).node_spec(node_spec);
                g.clone().rename(name).with_server(server)
            })
            .collect()
    }
}

super::forward_server_builders!(ClusterSpec);
