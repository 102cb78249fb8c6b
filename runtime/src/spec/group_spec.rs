//! Group specs: a server spec with a name and a node count (Pallet's `group-spec`).

use super::phase::{PhaseMeta, PlanFn};
use super::server_spec::ServerSpec;
use crate::node::Node;
use std::sync::Arc;
use stevedore::os::Packager;

/// Why a group name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid group name `{name}`: {reason} (a group name is a DNS label: 1-63 characters, lowercase letters, digits and `-`, not starting or ending with `-`)"
)]
pub struct GroupNameError {
    /// The name given.
    pub name: String,
    /// What is wrong.
    pub reason: &'static str,
}

/// Checks that `name` is a DNS label (RFC 1123), as node names `<group>-<n>` become host names.
///
/// # Errors
/// [`GroupNameError`] saying what is wrong.
pub fn check_group_name(name: &str) -> Result<(), GroupNameError> {
    let err = |reason| Err(GroupNameError { name: name.to_string(), reason });
    if name.is_empty() {
        return err("it is empty");
    }
    if name.len() > 63 {
        return err("it is longer than 63 characters");
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return err("it has characters other than lowercase letters, digits and `-`");
    }
    if name.starts_with('-') || name.ends_with('-') {
        return err("it starts or ends with `-`");
    }
    Ok(())
}

/// Decides which nodes belong to a group, instead of the group tag.
pub type NodeFilter = Arc<dyn Fn(&Node) -> bool + Send + Sync>;

/// A named server spec with a target node count. Its nodes carry the group name (a tag or
/// label on the compute service); a `node_filter` replaces that membership test.
#[derive(Clone)]
pub struct GroupSpec {
    name: String,
    count: Option<usize>,
    node_filter: Option<NodeFilter>,
    server: ServerSpec,
}

impl std::fmt::Debug for GroupSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupSpec")
            .field("name", &self.name)
            .field("count", &self.count)
            .field("node_filter", &self.node_filter.is_some())
            .field("server", &self.server)
            .finish()
    }
}

impl GroupSpec {
    /// A group named `name`, or why the name is invalid (the `group_spec!` macro checks
    /// literal names at compile time instead).
    ///
    /// # Errors
    /// [`GroupNameError`] when `name` is not a DNS label (see [`check_group_name`]).
    pub fn new(name: impl Into<String>) -> Result<GroupSpec, GroupNameError> {
        let name = name.into();
        check_group_name(&name)?;
        Ok(GroupSpec::from_checked_name(name))
    }

    /// A group whose name the `group_spec!` macro checked at compile time.
    #[doc(hidden)]
    pub fn from_checked_name(name: impl Into<String>) -> GroupSpec {
        GroupSpec { name: name.into(), count: None, node_filter: None, server: ServerSpec::new() }
    }

    /// The group name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The target node count `converge` works towards, if set.
    pub fn node_count(&self) -> Option<usize> {
        self.count
    }

    /// Sets the target node count for `converge`.
    pub fn count(mut self, n: usize) -> Self {
        self.count = Some(n);
        self
    }

    /// Decides membership with `f` instead of the group tag.
    pub fn node_filter(mut self, f: impl Fn(&Node) -> bool + Send + Sync + 'static) -> Self {
        self.node_filter = Some(Arc::new(f));
        self
    }

    /// Is `node` a member of this group?
    pub fn contains(&self, node: &Node) -> bool {
        match &self.node_filter {
            Some(f) => f(node),
            None => node.group == self.name,
        }
    }

    /// The server spec part.
    pub fn server(&self) -> &ServerSpec {
        &self.server
    }

    /// Replaces the server spec part.
    pub fn with_server(mut self, server: ServerSpec) -> Self {
        self.server = server;
        self
    }

    pub(crate) fn rename(mut self, name: String) -> Self {
        self.name = name;
        self
    }

    /// Adds an existing [`PlanFn`] to `phase`.
    pub fn phase_fn(mut self, phase: impl Into<String>, f: PlanFn) -> Self {
        self.server = self.server.phase_fn(phase, f);
        self
    }

    /// Sets the metadata of `phase`.
    pub fn phase_meta(mut self, phase: impl Into<String>, meta: PhaseMeta) -> Self {
        self.server = self.server.phase_meta(phase, meta);
        self
    }

    /// Sets the default phases.
    pub fn default_phases<S: Into<String>>(mut self, phases: impl IntoIterator<Item = S>) -> Self {
        self.server = self.server.default_phases(phases);
        self
    }

    /// Overrides the packager.
    pub fn packager(mut self, p: Packager) -> Self {
        self.server = self.server.packager(p);
        self
    }

    /// Inherits from each of `bases`, in order.
    pub fn extends_all(mut self, bases: impl IntoIterator<Item = ServerSpec>) -> Self {
        self.server = self.server.extends_all(bases);
        self
    }
}

super::forward_server_builders!(GroupSpec);
