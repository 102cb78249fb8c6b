//! Plans: what a plan function sees of the world, and the actions it records for one node
//! (Pallet's session).
//!
//! A plan reads the world ([`World`]): every node of the operation, its facts, the settings
//! nodes published, the values actions captured on nodes, variables. What it reads is recorded
//! (which groups, through which nodes), so the runtime knows which groups depend on which.

mod world;

pub use world::{AdminInfo, NodeValue, Target, Unreachable, World};

use crate::action::Action;
use crate::facts::Facts;
use crate::node::Node;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use stevedore::Os;

/// Why a setting could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The node's settings phase did not run (it could not be reached, or its settings phase
    /// failed or was not part of the operation): its settings are unknown, not empty.
    #[error("node {reader} reads `{facility}` settings of node {node}, whose settings phase did not run: {why}")]
    NotRun {
        /// The node whose plan reads.
        reader: String,
        /// The node read.
        node: String,
        /// The facility.
        facility: String,
        /// Why its settings phase did not run.
        why: String,
    },
    /// The node's settings phase ran and published nothing under that name.
    #[error("node {node} published no `{facility}` settings (its settings phase ran; is the facility name right?)")]
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
    reads: RefCell<BTreeSet<String>>,
}

/// Why a captured value could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    /// No value of that name was captured on the node (yet, or ever).
    #[error("node {reader} reads value `{name}` of node {node}, which has none: {why}")]
    Missing {
        /// The node whose plan reads.
        reader: String,
        /// The node read.
        node: String,
        /// The value's name.
        name: String,
        /// What is known about why.
        why: String,
    },
    /// The value does not parse as the requested type.
    #[error("value `{name}` of node {node} does not parse as {ty}: {message}")]
    Parse {
        /// The node.
        node: String,
        /// The name.
        name: String,
        /// The requested type.
        ty: &'static str,
        /// The parser's message.
        message: String,
    },
}

/// Why a variable could not be read.
#[derive(Debug, thiserror::Error)]
pub enum VarError {
    /// No host variable, group variable or environment entry has that name.
    #[error("node {node}: no variable `{name}` (looked in host variables, group variables and the environment)")]
    Missing {
        /// The node.
        node: String,
        /// The name.
        name: String,
    },
    /// The variable does not have the requested shape.
    #[error("node {node}: variable `{name}` does not have the expected shape: {source}")]
    Shape {
        /// The node.
        node: String,
        /// The name.
        name: String,
        /// The serde error.
        source: serde_json::Error,
    },
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
            reads: RefCell::new(BTreeSet::new()),
        }
    }

    /// What the probe learned about the node (OS, arch, kernel, host name, CPUs, memory,
    /// addresses, shell; only the OS when the inventory stated it and nothing was probed).
    pub fn facts(&self) -> &Facts {
        &self.target.facts
    }

    /// Notes that this plan read group `group` (for the dependents report).
    fn read(&self, group: &str) {
        if group != self.target.node.group {
            self.reads.borrow_mut().insert(group.to_string());
        }
    }

    /// Variable `name` as `T`: the node's host variables, then its group's variables (both from
    /// the inventory), then the operation's environment (configuration `[environment]` over the
    /// program's) — the first that has it (Pallet's `:environment`, Ansible's host and group
    /// vars).
    ///
    /// # Errors
    /// [`VarError`] when none has it or it has another shape.
    pub fn var<T: DeserializeOwned>(&self, name: &str) -> Result<T, VarError> {
        let node = &self.target.node;
        let v = node
            .vars
            .get(name)
            .or_else(|| self.world.environment.get(name))
            .ok_or_else(|| VarError::Missing { node: node.name.clone(), name: name.to_string() })?;
        serde_json::from_value(v.clone()).map_err(|source| VarError::Shape {
            node: node.name.clone(),
            name: name.to_string(),
            source,
        })
    }

    /// Value `name` that an action captured on `node` (in an earlier phase of this operation,
    /// or kept from an earlier run), parsed as `T` (`String`, numbers, addresses: any
    /// [`FromStr`]); surrounding white space is trimmed.
    ///
    /// # Errors
    /// [`ValueError`] when the node has no such value (naming both nodes) or it does not parse.
    pub fn value<T: FromStr>(&self, node: &Node, name: &str) -> Result<T, ValueError>
    where
        T::Err: std::fmt::Display,
    {
        self.read(&node.group);
        let missing = |why: String| ValueError::Missing {
            reader: self.target.node.name.clone(),
            node: node.name.clone(),
            name: name.to_string(),
            why,
        };
        let v = match self.world.values.get(&node.id).and_then(|m| m.get(name)) {
            Some(v) => v,
            None => {
                let why = match self.world.unreachable_why(&node.id) {
                    Some(w) => format!("it could not be reached ({w})"),
                    None => "no action captured it in an earlier phase, and none is kept on the node".to_string(),
                };
                return Err(missing(why));
            }
        };
        let text = String::from_utf8_lossy(&v.bytes);
        text.trim().parse::<T>().map_err(|e| ValueError::Parse {
            node: node.name.clone(),
            name: name.to_string(),
            ty: std::any::type_name::<T>(),
            message: if v.secret { "(secret value not shown)".to_string() } else { e.to_string() },
        })
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

    /// Every reachable node of the operation.
    pub fn targets(&self) -> &[Target] {
        &self.world.targets
    }

    /// The nodes of group `group` (every group the program defines takes part), by name;
    /// nodes that could not be reached are listed too (reading their settings is an error).
    pub fn nodes_in_group(&self, group: &str) -> Vec<&Node> {
        self.read(group);
        self.world.all_nodes().into_iter().filter(|(n, _)| n.group == group).map(|(n, _)| n).collect()
    }

    /// The nodes whose group has role `role`, by name (unreachable ones too).
    pub fn nodes_with_role(&self, role: &str) -> Vec<&Node> {
        let nodes: Vec<&Node> =
            self.world.all_nodes().into_iter().filter(|(_, r)| r.contains(role)).map(|(n, _)| n).collect();
        for n in &nodes {
            self.read(&n.group);
        }
        nodes
    }

    /// The settings `node` published under `facility` in an earlier phase.
    ///
    /// # Errors
    /// [`SettingsError`] when none were published or they have another shape.
    pub fn settings<T: DeserializeOwned>(&self, node: &Node, facility: &str) -> Result<T, SettingsError> {
        self.read(&node.group);
        let not_run = |why: String| SettingsError::NotRun {
            reader: self.target.node.name.clone(),
            node: node.name.clone(),
            facility: facility.to_string(),
            why,
        };
        if let Some(why) = self.world.unreachable_why(&node.id) {
            return Err(not_run(format!("it could not be reached ({why})")));
        }
        let published = self.world.settings.get(&node.id).and_then(|m| m.get(facility));
        let v = match published {
            Some(v) => v,
            None if !self.world.settings_ran.contains(&node.id) && node.id != self.target.node.id => {
                return Err(not_run("its settings phase failed or is not part of this operation".to_string()));
            }
            None => return Err(SettingsError::Missing { node: node.name.clone(), facility: facility.to_string() }),
        };
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

    /// Records an action, after checking its values ([`Action::validate`]): an invalid action
    /// is not recorded but a planning error (the node fails before any of its actions run).
    pub fn add(&self, action: impl Action + 'static) {
        self.add_boxed(Box::new(action));
    }

    /// Records a boxed action, as [`Plan::add`].
    pub fn add_boxed(&self, action: Box<dyn Action>) {
        match action.validate() {
            Ok(()) => self.actions.borrow_mut().push(action),
            Err(e) => self.errors.borrow_mut().push(e.to_string()),
        }
    }

    /// Records `value` if it is an action (checked as by [`Plan::add`]); `()` is ignored.
    /// `plan_fn!` wraps every expression statement of a plan function in this call.
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

    /// Consumes the plan: actions, published settings, planning errors, groups read.
    pub fn finish(self) -> PlanOutput {
        PlanOutput {
            actions: self.actions.into_inner(),
            published: self.published.into_inner(),
            errors: self.errors.into_inner(),
            reads: self.reads.into_inner(),
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
    /// Other groups the plan read (nodes, settings, values).
    pub reads: BTreeSet<String>,
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
