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
    /// A cluster named `name` (its groups' names become `<name>-<group>`), or why the name is
    /// invalid (the `cluster_spec!` macro checks literal names at compile time instead).
    ///
    /// # Errors
    /// [`GroupNameError`] when `name` is not a DNS label.
    pub fn new(name: impl Into<String>) -> Result<ClusterSpec, GroupNameError> {
        let name = name.into();
        check_group_name(&name)?;
        Ok(ClusterSpec::from_checked_name(name))
    }

    /// A cluster whose name the `cluster_spec!` macro checked at compile time.
    #[doc(hidden)]
    pub fn from_checked_name(name: impl Into<String>) -> ClusterSpec {
        ClusterSpec { name: name.into(), groups: Vec::new(), server: ServerSpec::new() }
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
                let mut server = g.server().flattened();
                for (phase, fns) in self.server.own_phases() {
                    for f in fns {
                        server = server.phase_fn(phase.clone(), f);
                    }
                }
                for base in self.server.own_extends() {
                    let base = base.effective();
                    for phase in base.phase_names() {
                        for f in base.phase_fns(phase) {
                            server = server.phase_fn(phase.clone(), f.clone());
                        }
                    }
                    server = server.roles(base.roles().clone());
                }
                let cluster = self.server.effective();
                let node_spec = cluster.node_spec().merge(server.effective().node_spec());
                let server = server.roles(cluster.roles().clone()).node_spec(node_spec);
                g.clone().rename(name).with_server(server)
            })
            .collect()
    }
}

super::forward_server_builders!(ClusterSpec);
