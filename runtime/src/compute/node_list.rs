//! `node_list`: existing hosts, from code or a TOML inventory (Pallet's `node-list` service).
//! Its nodes count as bootstrapped, and it cannot create or destroy nodes.

use super::{BoxFuture, ComputeError, ComputeService};
use crate::node::Node;
use crate::spec::BOOTSTRAPPED;
use serde::Deserialize;
use std::sync::Mutex;
use stevedore::Os;

/// A fixed list of hosts.
pub struct NodeList {
    nodes: Mutex<Vec<Node>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Inventory {
    #[serde(default, rename = "node")]
    nodes: Vec<InventoryNode>,
    /// Variables of every node of a group, by group.
    #[serde(default)]
    group_vars: std::collections::BTreeMap<String, toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InventoryNode {
    name: String,
    group: String,
    address: String,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    private_ip: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    vars: toml::Table,
}

impl NodeList {
    /// A service over `nodes`. Each is marked bootstrapped.
    pub fn new(nodes: impl IntoIterator<Item = Node>) -> NodeList {
        NodeList { nodes: Mutex::new(nodes.into_iter().map(|n| n.flag(BOOTSTRAPPED)).collect()) }
    }

    /// Reads a TOML inventory:
    ///
    /// ```toml
    /// [[node]]
    /// name = "web-1"
    /// group = "web"
    /// address = "192.0.2.10"
    /// port = 22             # optional
    /// private_ip = "10.0.0.10"  # optional
    /// os = "debian-12"      # optional: skips OS detection
    /// vars = { listen_port = 8080 }   # optional: host variables
    ///
    /// [group_vars.web]      # optional: variables of every node of group web
    /// listen_port = 80
    /// region = "eu"
    /// ```
    ///
    /// Plans read variables with `Plan::var`: host variables over group variables over the
    /// operation's environment.
    ///
    /// # Errors
    /// [`ComputeError::Config`] naming the line and what was expected.
    pub fn from_toml(text: &str) -> Result<NodeList, ComputeError> {
        let inv: Inventory = toml::from_str(text).map_err(|e| ComputeError::Config(format!("inventory: {e}")))?;
        let mut nodes = Vec::new();
        for n in inv.nodes {
            let mut node = Node::new(n.name, n.group, n.address);
            if let Some(p) = n.port {
                node = node.ssh_port(p);
            }
            if let Some(ip) = n.private_ip {
                node = node.private_ip(ip);
            }
            if let Some(os) = n.os {
                let parsed =
                    Os::parse(&os).map_err(|e| ComputeError::Config(format!("inventory node {}: {e}", node.name)))?;
                node = node.os(parsed);
            }
            if let Some(id) = n.id {
                node.id = id;
            }
            let group_vars = inv.group_vars.get(&node.group).cloned().unwrap_or_default();
            for (k, v) in group_vars.into_iter().chain(n.vars) {
                let v = serde_json::to_value(v)
                    .map_err(|e| ComputeError::Config(format!("inventory node {}: variable {k}: {e}", node.name)))?;
                node.vars.insert(k, v);
            }
            nodes.push(node);
        }
        Ok(NodeList::new(nodes))
    }

    /// Reads a TOML inventory file.
    ///
    /// # Errors
    /// [`ComputeError::Config`] when it cannot be read or parsed.
    pub fn from_file(path: &std::path::Path) -> Result<NodeList, ComputeError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ComputeError::Config(format!("{}: {e}", path.display())))?;
        NodeList::from_toml(&text).map_err(|e| ComputeError::Config(format!("{}: {e}", path.display())))
    }
}

impl ComputeService for NodeList {
    fn name(&self) -> &str {
        "node-list"
    }

    fn nodes(&self) -> BoxFuture<'_, Result<Vec<Node>, ComputeError>> {
        Box::pin(async move { Ok(self.nodes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()) })
    }

    fn set_flag<'a>(&'a self, node: &'a Node, flag: &'a str) -> BoxFuture<'a, Result<(), ComputeError>> {
        Box::pin(async move {
            let mut nodes = self.nodes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(n) = nodes.iter_mut().find(|n| n.id == node.id) {
                n.flags.insert(flag.to_string());
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inventory_parses_and_rejects_typos() {
        let l = NodeList::from_toml(
            "[[node]]\nname = \"web-1\"\ngroup = \"web\"\naddress = \"127.0.0.2\"\nport = 2222\nos = \"debian-12\"\n",
        )
        .unwrap();
        let n = l.nodes.lock().unwrap()[0].clone();
        assert_eq!((n.name.as_str(), n.ssh_port, n.has_flag("bootstrapped")), ("web-1", 2222, true));
        let e = NodeList::from_toml("[[node]]\nname = \"a\"\ngroup = \"g\"\nadress = \"x\"\n").err().unwrap();
        assert!(e.to_string().contains("adress"), "{e}");
    }
}
