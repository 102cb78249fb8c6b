//! Facts cached on the controller between runs, so a node whose facts are known is not probed
//! again: its first phase script starts with a guard that probes the node and compares the
//! result with the cached facts, and stops (exit code [`GUARD_EXIT`], before any action) when
//! they differ; the controller then takes the new facts, plans and renders again, and runs the
//! phase once more. A node whose OS changed never runs a script rendered for another OS.
//!
//! Entries live in `<controller_state>/facts/<user>@<address>_<port>` (the facts part of the
//! probe's output, as the node printed it); the guard, not the key, is what makes them safe.

use crate::node::Node;
use std::path::PathBuf;

/// The exit code of a phase script whose node no longer matches its cached facts.
pub const GUARD_EXIT: i32 = 98;

fn file(dir: &Option<PathBuf>, node: &Node, user: &str) -> Option<PathBuf> {
    let key: String = format!("{user}@{}_{}", node.primary_ip, node.ssh_port)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@') { c } else { '_' })
        .collect();
    dir.as_ref().map(|d| d.join("facts").join(key))
}

/// The cached facts output of `node` (logged in as `user`), if any.
pub(crate) fn load(dir: &Option<PathBuf>, node: &Node, user: &str) -> Option<Vec<u8>> {
    std::fs::read(file(dir, node, user)?).ok().filter(|b| !b.is_empty())
}

/// Caches `facts` (the facts part of a probe's output) for `node`, atomically; a failure only
/// costs a probe next time.
pub(crate) fn store(dir: &Option<PathBuf>, node: &Node, user: &str, facts: &[u8]) {
    let Some(path) = file(dir, node, user) else { return };
    let Some(parent) = path.parent() else { return };
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = std::fs::create_dir_all(parent)
        .and_then(|()| std::fs::write(&tmp, facts))
        .and_then(|()| std::fs::rename(&tmp, &path));
    if let Err(e) = written {
        tracing::debug!("cannot cache the facts of {} in {}: {e}", node.name, path.display());
    }
}
