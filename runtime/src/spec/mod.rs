//! The typed model of what to run where: node, server, group and cluster specs, phases and
//! their metadata. The `*_spec!` macros are sugar over these builders.

/// Builder methods that forward to the embedded `server: ServerSpec` field: `phase`, `role`,
/// `roles`, `node_spec`, `extends`.
macro_rules! forward_server_builders {
    ($t:ty) => {
        impl $t {
            /// Adds plan function `f` to `phase` (see [`ServerSpec::phase`](crate::spec::ServerSpec::phase)).
            pub fn phase(
                mut self,
                phase: impl Into<String>,
                f: impl Fn(&mut crate::plan::Plan<'_>) + Send + Sync + 'static,
            ) -> Self {
                self.server = self.server.phase(phase, f);
                self
            }

            /// Adds a role.
            pub fn role(mut self, role: impl Into<String>) -> Self {
                self.server = self.server.role(role);
                self
            }

            /// Adds roles.
            pub fn roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
                self.server = self.server.roles(roles);
                self
            }

            /// Sets the node spec (merged over any already set).
            pub fn node_spec(mut self, spec: crate::spec::NodeSpec) -> Self {
                self.server = self.server.node_spec(spec);
                self
            }

            /// Inherits from `base` (see the type's docs for the order).
            pub fn extends(mut self, base: crate::spec::ServerSpec) -> Self {
                self.server = self.server.extends(base);
                self
            }
        }
    };
}
pub(crate) use forward_server_builders;

pub mod cluster_spec;
pub mod group_spec;
pub mod node_spec;
pub mod phase;
pub mod server_spec;

pub use cluster_spec::ClusterSpec;
pub use group_spec::{GroupNameError, GroupSpec, NodeFilter, check_group_name};
pub use node_spec::{Hardware, HardwarePreference, Image, Location, Network, NodeSpec, Qos};
pub use phase::{BOOTSTRAP, BOOTSTRAPPED, CONFIGURE, FlagPolicy, Partition, PhaseMeta, PlanFn, SETTINGS, plan_fn};
pub use server_spec::{EffectiveSpec, ServerSpec};
