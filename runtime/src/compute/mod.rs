//! Compute services: providers of nodes (Pallet's `ComputeService`), and the registry that
//! builds them by provider name from configuration ([`Providers`]).
//!
//! A service lists its nodes, may create and destroy nodes for groups and record state flags on
//! them, chooses how the runtime reaches each node ([`ComputeService::connector`]: SSH unless
//! it says otherwise), and may list its images and machine types ([`listing`]). Methods a
//! service cannot support keep their default, which answers [`ComputeError::Unsupported`].

pub mod containers;
pub mod listing;
pub mod localhost;
pub mod node_list;
pub mod registry;

use crate::node::Node;
use crate::spec::GroupSpec;
use crate::transport::{Connector, SshConnector};
use std::sync::Arc;

pub use crate::BoxFuture;
pub use containers::Containers;
pub use listing::{HardwareInfo, ImageInfo, ImageQuery};
pub use localhost::Localhost;
pub use node_list::NodeList;
pub use registry::{ProviderConfig, ProviderFactory, Providers};

/// Why a compute service call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ComputeError {
    /// The service cannot do this (e.g. a node list cannot create nodes).
    #[error("{service} cannot {what}")]
    Unsupported {
        /// The service.
        service: String,
        /// The operation.
        what: String,
    },
    /// The provider failed.
    #[error("{service}: {message}")]
    Provider {
        /// The service.
        service: String,
        /// What went wrong.
        message: String,
    },
    /// Configuration (inventory, provider options) is invalid.
    #[error("{0}")]
    Config(String),
}

impl ComputeError {
    /// [`ComputeError::Unsupported`] for `service` and `what`.
    pub fn unsupported(service: &str, what: impl Into<String>) -> ComputeError {
        ComputeError::Unsupported { service: service.to_string(), what: what.into() }
    }
}

/// A provider of nodes: list them, create and destroy them for groups, record state flags,
/// and say how to reach them.
pub trait ComputeService: Send + Sync {
    /// The service's name, for messages.
    fn name(&self) -> &str;

    /// All nodes it knows (running or not; the runtime uses the running ones).
    fn nodes(&self) -> BoxFuture<'_, Result<Vec<Node>, ComputeError>>;

    /// Creates `count` nodes for `group`, named `<group>-<n>` with the lowest free numbers.
    /// Default: [`ComputeError::Unsupported`].
    fn create_nodes<'a>(
        &'a self,
        group: &'a GroupSpec,
        count: usize,
    ) -> BoxFuture<'a, Result<Vec<Node>, ComputeError>> {
        let _ = count;
        Box::pin(async move {
            Err(ComputeError::unsupported(self.name(), format!("create nodes (group {})", group.name())))
        })
    }

    /// Destroys `nodes`. Default: [`ComputeError::Unsupported`].
    fn destroy_nodes<'a>(&'a self, nodes: &'a [Node]) -> BoxFuture<'a, Result<(), ComputeError>> {
        let _ = nodes;
        Box::pin(async move { Err(ComputeError::unsupported(self.name(), "destroy nodes")) })
    }

    /// Records state flag `flag` on `node` (e.g. `bootstrapped`), so the next operation sees it.
    /// Default: [`ComputeError::Unsupported`].
    fn set_flag<'a>(&'a self, node: &'a Node, flag: &'a str) -> BoxFuture<'a, Result<(), ComputeError>> {
        let _ = (node, flag);
        Box::pin(async move { Err(ComputeError::unsupported(self.name(), "record node flags")) })
    }

    /// Does this service create its nodes (so their host keys are new to this controller and
    /// accepted on first use)? Default: no.
    fn creates_nodes(&self) -> bool {
        false
    }

    /// Brings what the service keeps for `group` as a whole (firewall rules, key pairs) in line
    /// with the group's spec, e.g. the rules of a security group after its inbound ports
    /// changed. Idempotent; services that create nodes call it before creating them.
    /// Default: nothing to do.
    fn prepare_group<'a>(&'a self, group: &'a GroupSpec) -> BoxFuture<'a, Result<(), ComputeError>> {
        let _ = group;
        Box::pin(async move { Ok(()) })
    }

    /// The images the service can create nodes from, filtered by `query`, newest first where
    /// the service knows creation dates. Default: [`ComputeError::Unsupported`].
    fn images<'a>(&'a self, query: &'a ImageQuery) -> BoxFuture<'a, Result<Vec<ImageInfo>, ComputeError>> {
        let _ = query;
        Box::pin(async move { Err(ComputeError::unsupported(self.name(), "list images")) })
    }

    /// The machine types the service offers. Default: [`ComputeError::Unsupported`].
    fn hardware(&self) -> BoxFuture<'_, Result<Vec<HardwareInfo>, ComputeError>> {
        Box::pin(async move { Err(ComputeError::unsupported(self.name(), "list hardware")) })
    }

    /// How the runtime reaches `node`. Default: SSH to `primary_ip:ssh_port`.
    fn connector(&self, node: &Node) -> Arc<dyn Connector> {
        let _ = node;
        Arc::new(SshConnector)
    }
}
