//! Plans: what a plan function sees of the world, and the actions it records for one node
//! (Pallet's session).

use crate::action::Action;
use crate::node::Node;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use stevedore::Os;

/// A node being configured in this operation, with what its group spec says about it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The node.
    pub node: Node,
    /// Its OS (detected, or from the provider), with the group's packager override applied.
    pub os: Os,
    /// The roles of its group.
    pub roles: BTreeSet<String>,
}

impl Target {
    /// A target for `node` running `os`, without roles.
    pub fn new(node: Node, os: Os) -> Target {
        Target { node, os, roles: BTreeSet::new() }
    }
}

/// The admin user as plans see it (no secrets).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminInfo {
    /// Login name.
    pub username: String,
    /// Public key (OpenSSH format), when known.
    pub public_key: Option<String>,
}

/// Everything plan functions can read about the operation: every target (including
/// consider-groups), the settings nodes published in earlier phases, and the admin user.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// All targets of the operation.
    pub targets: Vec<Target>,
    /// Settings by node id, then facility.
    pub settings: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// The admin user of the operation.
    pub admin: Option<AdminInfo>,
}

impl World {
    /// A world of `targets` with no settings yet.
    pub fn new(targets: Vec<Target>) -> World {
        World { targets, settings: BTreeMap::new(), admin: None }
    }

    /// Records settings a node published.
    pub fn publish(&mut self, node_id: &str, facility: &str, value: serde_json::Value) {
        self.settings.entry(node_id.to_string()).or_default().insert(facility.to_string(), value);
    }
}

/// Why a setting could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Nothing was published under that name for that node.
    #[error("node {node} published no `{facility}` settings (is the settings phase of its group run?)")]
    Missing {
        /// The node name.
        node: String,
        /// The facility.
        facility: String,
    },
    /// The value does not have the requested type.
    #[error("the `{facility}` settings of node {node} do not have the expected shape: {source}")]
    Shape {
        /// The node name.
        node: String,
        /// The facility.
        facility: String,
        /// The serde error.
        source: serde_json::Error,
    },
}

/// The plan of one node for one phase: the target, the phase, the world, and the actions
/// recorded so far. Plan functions take `&mut Plan`.
///
/// Recording (`add`, `record`, `publish`, `fail`) takes `&self`, so a plan function can record
/// actions while it iterates over what the plan shows it (`for db in ctx.nodes_in_group("db")`).
pub struct Plan<'a> {
    target: &'a Target,
    phase: &'a str,
    world: &'a World,
    actions: RefCell<Vec<Box<dyn Action>>>,
    published: RefCell<BTreeMap<String, serde_json::Value>>,
    errors: RefCell<Vec<String>>,
}

impl<'a> Plan<'a> {
    /// An empty plan for `target` in `phase`.
    pub fn new(target: &'a Target, phase: &'a str, world: &'a World) -> Plan<'a> {
        Plan {
            target,
            phase,
            world,
            actions: RefCell::new(Vec::new()),
            published: RefCell::new(BTreeMap::new()),
            errors: RefCell::new(Vec::new()),
        }
    }

    /// The node being planned.
    pub fn node(&self) -> &Node {
        &self.target.node
    }

    /// The node's OS.
    pub fn os(&self) -> &Os {
        &self.target.os
    }

    /// The node's group name.
    pub fn group(&self) -> &str {
        &self.target.node.group
    }

    /// The node's roles.
    pub fn roles(&self) -> &BTreeSet<String> {
        &self.target.roles
    }

    /// The phase being planned.
    pub fn phase(&self) -> &str {
        self.phase
    }

    /// The operation's admin user, when known.
    pub fn admin_user(&self) -> Option<&AdminInfo> {
        self.world.admin.as_ref()
    }

    /// Every target of the operation.
    pub fn targets(&self) -> &[Target] {
        &self.world.targets
    }

    /// The nodes of group `group` (in the operation, consider-groups included), by name.
    pub fn nodes_in_group(&self, group: &str) -> Vec<&Node> {
        let mut v: Vec<&Node> = self.world.targets.iter().filter(|t| t.node.group == group).map(|t| &t.node).collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// The nodes whose group has role `role`, by name.
    pub fn nodes_with_role(&self, role: &str) -> Vec<&Node> {
        let mut v: Vec<&Node> = self.world.targets.iter().filter(|t| t.roles.contains(role)).map(|t| &t.node).collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// The settings `node` published under `facility` in an earlier phase.
    ///
    /// # Errors
    /// [`SettingsError`] when none were published or they have another shape.
    pub fn settings<T: DeserializeOwned>(&self, node: &Node, facility: &str) -> Result<T, SettingsError> {
        let v = self
            .world
            .settings
            .get(&node.id)
            .and_then(|m| m.get(facility))
            .ok_or_else(|| SettingsError::Missing { node: node.name.clone(), facility: facility.to_string() })?;
        serde_json::from_value(v.clone()).map_err(|source| SettingsError::Shape {
            node: node.name.clone(),
            facility: facility.to_string(),
            source,
        })
    }

    /// Publishes settings of this node under `facility`, readable by every node's plan in the
    /// following phases.
    pub fn publish<T: Serialize>(&self, facility: &str, value: &T) {
        match serde_json::to_value(value) {
            Ok(v) => {
                self.published.borrow_mut().insert(facility.to_string(), v);
            }
            Err(e) => self.errors.borrow_mut().push(format!("cannot publish `{facility}`: {e}")),
        }
    }

    /// Records a planning error (the node fails before any of its actions run).
    pub fn fail(&self, message: impl Into<String>) {
        self.errors.borrow_mut().push(message.into());
    }

    /// Records an action.
    pub fn add(&self, action: impl Action + 'static) {
        self.actions.borrow_mut().push(Box::new(action));
    }

    /// Records a boxed action.
    pub fn add_boxed(&self, action: Box<dyn Action>) {
        self.actions.borrow_mut().push(action);
    }

    /// Records `value` if it is an action; `()` is ignored. `plan_fn!` wraps every expression
    /// statement of a plan function in this call.
    pub fn record<R: Recordable>(&self, value: R) {
        value.record(self);
    }

    /// Descriptions of the actions recorded so far.
    pub fn descriptions(&self) -> Vec<String> {
        self.actions.borrow().iter().map(|a| a.describe()).collect()
    }

    /// How many actions are recorded.
    pub fn len(&self) -> usize {
        self.actions.borrow().len()
    }

    /// Is nothing recorded?
    pub fn is_empty(&self) -> bool {
        self.actions.borrow().is_empty()
    }

    /// Consumes the plan: actions, published settings, planning errors.
    pub fn finish(self) -> PlanOutput {
        PlanOutput {
            actions: self.actions.into_inner(),
            published: self.published.into_inner(),
            errors: self.errors.into_inner(),
        }
    }
}

/// What a plan produced.
pub struct PlanOutput {
    /// The actions, in order.
    pub actions: Vec<Box<dyn Action>>,
    /// Settings published by facility.
    pub published: BTreeMap<String, serde_json::Value>,
    /// Planning errors.
    pub errors: Vec<String>,
}

/// Values a plan function statement can evaluate to: actions are recorded, `()` is ignored.
#[diagnostic::on_unimplemented(
    message = "a plan function statement evaluates to `{Self}`, which is neither an action nor `()`",
    label = "this value is not an action",
    note = "bind other values with `let _ = ...;`"
)]
pub trait Recordable {
    /// Records `self` in `plan`.
    fn record(self, plan: &Plan<'_>);
}

impl Recordable for () {
    fn record(self, _: &Plan<'_>) {}
}

impl<A: Action + 'static> Recordable for A {
    fn record(self, plan: &Plan<'_>) {
        plan.add(self);
    }
}

impl Recordable for Vec<Box<dyn Action>> {
    fn record(self, plan: &Plan<'_>) {
        for a in self {
            plan.add_boxed(a);
        }
    }
}

/// Runs plan functions for one target and phase.
pub fn plan_phase(fns: &[crate::spec::PlanFn], target: &Target, phase: &str, world: &World) -> PlanOutput {
    let mut plan = Plan::new(target, phase, world);
    for f in fns {
        f(&mut plan);
    }
    plan.finish()
}
