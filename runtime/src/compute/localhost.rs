//! `localhost`: this machine as the one node of a group; scripts run with the local `sh`. Its
//! hardware is this machine; it has no images.

use super::{BoxFuture, ComputeError, ComputeService, HardwareInfo};
use crate::node::Node;
use crate::spec::BOOTSTRAPPED;
use crate::transport::{Connector, LocalConnector};
use std::sync::Arc;

/// This machine, as node `localhost` of `group` (Pallet's localhost service). It counts as
/// bootstrapped; it cannot create or destroy nodes.
pub struct Localhost {
    group: String,
}

impl Localhost {
    /// This machine in `group`.
    pub fn new(group: impl Into<String>) -> Localhost {
        Localhost { group: group.into() }
    }
}

impl ComputeService for Localhost {
    fn name(&self) -> &str {
        "localhost"
    }

    fn nodes(&self) -> BoxFuture<'_, Result<Vec<Node>, ComputeError>> {
        Box::pin(async move {
            let mut n = Node::new("localhost", self.group.clone(), "127.0.0.1").flag(BOOTSTRAPPED);
            n.id = "localhost".into();
            Ok(vec![n])
        })
    }

    fn set_flag<'a>(&'a self, _node: &'a Node, _flag: &'a str) -> BoxFuture<'a, Result<(), ComputeError>> {
        // Its one node always counts as bootstrapped; other flags are not kept.
        Box::pin(async move { Ok(()) })
    }

    fn hardware(&self) -> BoxFuture<'_, Result<Vec<HardwareInfo>, ComputeError>> {
        Box::pin(async move { Ok(vec![HardwareInfo::this_machine("this machine")]) })
    }

    fn connector(&self, _node: &Node) -> Arc<dyn Connector> {
        Arc::new(LocalConnector)
    }
}
