//! What plans can read about an operation: every member node (targets, and the nodes of the
//! other groups the program defines), what each published in `settings`, the values actions
//! captured on nodes, variables, and the admin user.

use crate::facts::Facts;
use crate::node::Node;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use stevedore::Os;

/// A node of the operation, with what its group spec says about it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The node.
    pub node: Node,
    /// Its OS (detected, or from the provider), with the group's packager override applied.
    pub os: Os,
    /// The roles of its group(s).
    pub roles: BTreeSet<String>,
    /// What the probe learned (the OS only when the node was not probed).
    pub facts: Arc<Facts>,
}

impl Target {
    /// A target for `node` running `os`, without roles; facts: the OS only.
    pub fn new(node: Node, os: Os) -> Target {
        Target { facts: Arc::new(Facts::from_os(os.clone())), node, os, roles: BTreeSet::new() }
    }
}

/// A node of the operation that could not be reached: it is listed by `nodes_in_group` and
/// `nodes_with_role`, but reading its settings or values is an error naming why.
#[derive(Debug, Clone)]
pub struct Unreachable {
    /// The node.
    pub node: Node,
    /// The roles of its group(s).
    pub roles: BTreeSet<String>,
    /// Why it could not be reached.
    pub why: String,
}

/// The admin user as plans see it (no secrets).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminInfo {
    /// Login name.
    pub username: String,
    /// Public key (OpenSSH format), when known.
    pub public_key: Option<String>,
}

/// A value an action captured on a node (`capture`).
#[derive(Clone, PartialEq, Eq)]
pub struct NodeValue {
    /// The bytes (a command's stdout, a file's content).
    pub bytes: Vec<u8>,
    /// Masked in every report, log and dry run.
    pub secret: bool,
}

impl std::fmt::Debug for NodeValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.secret {
            write!(f, "NodeValue(<secret: {} bytes>)", self.bytes.len())
        } else {
            write!(f, "NodeValue({:?})", String::from_utf8_lossy(&self.bytes))
        }
    }
}

/// Everything plan functions can read about the operation.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// Every reachable node of the operation: targets and the nodes of other groups.
    pub targets: Vec<Target>,
    /// Nodes that could not be reached.
    pub unreachable: Vec<Unreachable>,
    /// Settings by node id, then facility.
    pub settings: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// Nodes whose `settings` phase ran and succeeded, by id.
    pub settings_ran: BTreeSet<String>,
    /// Values captured on nodes, by node id, then name.
    pub values: BTreeMap<String, BTreeMap<String, NodeValue>>,
    /// Variables of the operation (Pallet's `:environment`): the program's, with the
    /// configuration's `[environment]` on top. Group and host variables live on the nodes.
    pub environment: BTreeMap<String, serde_json::Value>,
    /// The admin user of the operation.
    pub admin: Option<AdminInfo>,
}

impl World {
    /// A world of `targets` with nothing published yet.
    pub fn new(targets: Vec<Target>) -> World {
        World { targets, ..World::default() }
    }

    /// Records settings a node published.
    pub fn publish(&mut self, node_id: &str, facility: &str, value: serde_json::Value) {
        self.settings.entry(node_id.to_string()).or_default().insert(facility.to_string(), value);
    }

    /// Records a value captured on a node.
    pub fn capture(&mut self, node_id: &str, name: &str, value: NodeValue) {
        self.values.entry(node_id.to_string()).or_default().insert(name.to_string(), value);
    }

    /// The reachable node with id `id`.
    pub fn target(&self, id: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.node.id == id)
    }

    /// Why node `id` could not be reached, if it could not.
    pub fn unreachable_why(&self, id: &str) -> Option<&str> {
        self.unreachable.iter().find(|u| u.node.id == id).map(|u| u.why.as_str())
    }

    /// Every node (reachable or not) with its roles, by name.
    pub fn all_nodes(&self) -> Vec<(&Node, &BTreeSet<String>)> {
        let mut v: Vec<(&Node, &BTreeSet<String>)> = self.targets.iter().map(|t| (&t.node, &t.roles)).collect();
        v.extend(self.unreachable.iter().map(|u| (&u.node, &u.roles)));
        v.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        v
    }
}
