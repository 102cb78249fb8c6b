//! The typed model of what to run where: node, server, group and cluster specs, phases and
//! their metadata. The `*_spec!` macros are sugar over these builders.

pub mod cluster_spec;
pub mod group_spec;
pub mod node_spec;
pub mod phase;
pub mod server_spec;

pub use cluster_spec::ClusterSpec;
pub use group_spec::{check_group_name, GroupNameError, GroupSpec, NodeFilter};
pub use node_spec::{Hardware, HardwarePreference, Image, Location, Network, NodeSpec, Qos};
pub use phase::{plan_fn, FlagPolicy, Partition, PhaseMeta, PlanFn, BOOTSTRAP, BOOTSTRAPPED, CONFIGURE, SETTINGS};
pub use server_spec::ServerSpec;
