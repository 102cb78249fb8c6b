//! Nodes: the machines a compute service provides.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use stevedore::Os;

/// One machine (Pallet's node): where to reach it and what it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// A stable id from the compute service (container id, instance id, `name-address`).
    pub id: String,
    /// The node's name (`web-1`).
    pub name: String,
    /// The group it belongs to (from the group tag or label).
    pub group: String,
    /// The address the controller connects to (IP or host name).
    pub primary_ip: String,
    /// The address other nodes use to reach it, when different.
    pub private_ip: Option<String>,
    /// The SSH port.
    pub ssh_port: u16,
    /// The OS, when the provider knows it or after detection.
    pub os: Option<Os>,
    /// Is it running?
    pub running: bool,
    /// State flags recorded on the provider (`bootstrapped`, ...).
    pub flags: BTreeSet<String>,
    /// Host and group variables from the inventory (host variables over group variables),
    /// read by plans with `Plan::var`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, serde_json::Value>,
    /// Ports published on the controller's side: node port → address:port to reach it
    /// (containers publish their ports on 127.0.0.1).
    #[serde(default)]
    pub published: BTreeMap<u16, String>,
}

impl Node {
    /// A running node `name` of `group` at `address`, port 22, OS unknown, no flags.
    pub fn new(name: impl Into<String>, group: impl Into<String>, address: impl Into<String>) -> Node {
        let name = name.into();
        let address = address.into();
        Node {
            id: format!("{name}-{}", address.replace(['.', ':'], "-")),
            name,
            group: group.into(),
            primary_ip: address,
            private_ip: None,
            ssh_port: 22,
            os: None,
            running: true,
            flags: BTreeSet::new(),
            published: BTreeMap::new(),
            vars: BTreeMap::new(),
        }
    }

    /// Sets the SSH port.
    pub fn ssh_port(mut self, port: u16) -> Node {
        self.ssh_port = port;
        self
    }

    /// Sets the private address.
    pub fn private_ip(mut self, ip: impl Into<String>) -> Node {
        self.private_ip = Some(ip.into());
        self
    }

    /// Sets the OS.
    pub fn os(mut self, os: Os) -> Node {
        self.os = Some(os);
        self
    }

    /// Adds a state flag.
    pub fn flag(mut self, f: impl Into<String>) -> Node {
        self.flags.insert(f.into());
        self
    }

    /// The address other nodes should use: the private address when there is one.
    pub fn private_address(&self) -> &str {
        self.private_ip.as_deref().unwrap_or(&self.primary_ip)
    }

    /// Does the node carry state flag `f`?
    pub fn has_flag(&self, f: &str) -> bool {
        self.flags.contains(f)
    }
}
