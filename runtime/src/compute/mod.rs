//! Compute services: providers of nodes (Pallet's `ComputeService`).

pub mod containers;
pub mod localhost;
pub mod node_list;

use crate::node::Node;
use crate::spec::GroupSpec;
use std::future::Future;
use std::pin::Pin;

pub use containers::Containers;
pub use localhost::Localhost;
pub use node_list::NodeList;

/// A boxed future, for the object-safe service trait.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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
    /// Configuration (inventory) is invalid.
    #[error("{0}")]
    Config(String),
}

/// A provider of nodes: list them, create and destroy them for groups, record state flags.
pub trait ComputeService: Send + Sync {
    /// The service's name, for messages.
    fn name(&self) -> &str;

    /// All running nodes it knows.
    fn nodes(&self) -> BoxFuture<'_, Result<Vec<Node>, ComputeError>>;

    /// Creates `count` nodes for `group`, named `<group>-<n>` with the lowest free numbers.
    fn create_nodes<'a>(&'a self, group: &'a GroupSpec, count: usize)
    -> BoxFuture<'a, Result<Vec<Node>, ComputeError>>;

    /// Destroys `nodes`.
    fn destroy_nodes<'a>(&'a self, nodes: &'a [Node]) -> BoxFuture<'a, Result<(), ComputeError>>;

    /// Records state flag `flag` on `node` (e.g. `bootstrapped`).
    fn set_flag<'a>(&'a self, node: &'a Node, flag: &'a str) -> BoxFuture<'a, Result<(), ComputeError>>;

    /// Does this service create its nodes (so their host keys are new to this controller and
    /// accepted on first use)? Default: no.
    fn creates_nodes(&self) -> bool {
        false
    }
}
