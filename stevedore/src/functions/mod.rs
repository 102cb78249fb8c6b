//! The core library of script functions (Pallet's `pallet.script.lib`): package managers,
//! users and groups, services, files, downloads.
//!
//! Functions that differ between systems are `script_fn!`s, resolved per node; the others are
//! plain functions returning a [`Script`](crate::Script). Every one is rendered for every OS it
//! supports and checked by the shell gate (`pallet_testkit::gate`) in the test suite.
//!
//! Values never become options: every name a function takes (user, group, package, service) is
//! checked against its rule in [`crate::names`] (none can start with `-`), and a script holding a
//! value that breaks it carries [`ScriptError::Invalid`](crate::ScriptError::Invalid), so
//! rendering fails before anything runs. Paths and URLs go after `--`.

pub mod file;
pub mod net;
pub mod package;
pub mod service;
pub mod user;

pub use file::*;
pub use net::*;
pub use package::*;
pub use service::*;
pub use user::*;

use crate::names::Checked;
use crate::script::{Script, ScriptError};

/// `s`, carrying [`ScriptError::Invalid`] for the first check that failed.
pub(crate) fn checked(
    s: Script,
    function: &'static str,
    checks: impl IntoIterator<Item = (&'static str, Checked)>,
) -> Script {
    match checks.into_iter().find_map(|(argument, c)| c.err().map(|e| (argument, e))) {
        Some((argument, error)) => s.with_error(ScriptError::Invalid { function, argument, error: Box::new(error) }),
        None => s,
    }
}
