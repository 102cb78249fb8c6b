//! Actions: idempotent units that render to shell.
//!
//! Every action renders to a script that first checks whether anything needs doing and applies
//! a change only when it does. Inside a phase script (see [`crate::render`]) it runs in a
//! subshell under `set -e` with these helpers defined:
//!
//! | helper | meaning |
//! |---|---|
//! | `p_changed` | this action changed (or, in check mode, would change) the node |
//! | `p_checking` | succeeds in check mode: the action must not apply changes |
//! | `p_flag NAME` / `p_flagged NAME` / `p_handled NAME` | set a flag (pending on the node until handled) / test it / mark it handled by this action (`flag_on_changed`, `if_flag`) |
//! | `p_value NAME FILE SECRET` | hand FILE's content to the controller as value NAME of this node (`capture`) |
//! | `p_retried` | count one retry in the action's result (`retry_until`, waits, package retries) |
//! | `$P_STATE` | the state directory (default `/var/lib/pallet`): checksums of managed files, backups |
//! | `$P_T` | a private temporary directory, removed when the phase ends |
//!
//! The action's status is `failed` when its script exits non-zero, else `changed` when it
//! called `p_changed`, else `ok`.
//!
//! # Values are data
//!
//! Every value an action takes is checked against its rule ([`stevedore::names`]) by
//! [`Action::validate`], which [`Plan`](crate::plan::Plan) calls when the action is recorded (an
//! invalid action is a planning error of its node: nothing runs) and each action's
//! [`Action::script`] calls again. Paths must be absolute (so none is read as an option or a
//! `find` expression); user, group, package and service names, host names, cron schedules,
//! ports, modes and URLs follow the rules of their kind; values written as one line of a
//! line-oriented file (cron, sudoers, `authorized_keys`, `line_in_file`) hold no line break.
//! The error names the action, the field and the value:
//!
//! ```
//! use pallet_runtime::action::{directory, user, wait_for_port, Action};
//! let e = directory("-delete").owner("root").validate().unwrap_err();
//! assert!(e.to_string().starts_with("directory: path: \"-delete\" is not a valid absolute path"), "{e}");
//! assert!(user("root;id").validate().is_err());
//! assert!(wait_for_port(0).validate().is_err());
//! ```

pub mod exec;
pub mod fs;
pub mod package;
pub mod remote_file;
pub mod service;
pub mod system;
pub mod user;
pub mod value;
pub mod wait;

use stevedore::names::{self, Checked};
use stevedore::{Os, Script, ScriptError};

pub use exec::{ExecScript, exec_checked_script, exec_script};
pub use fs::{Directory, File, LineInFile, Sed, SymbolicLink, directory, file, line_in_file, sed, symbolic_link};
pub use package::{
    Package, PackageAction, PackageManager, PackageSource, Packages, package, package_manager, package_source, packages,
};
pub use remote_file::{RemoteDirectory, RemoteFile, remote_directory, remote_file};
pub use service::{Service, service};
pub use system::{AuthorizeKey, Cron, Hostname, Sudoers, authorize_key, cron, hostname, sudoers};
pub use user::{Group, User, UserAction, group, user};
pub use value::{Capture, capture};
pub use wait::{RetryUntil, WaitForFile, WaitForPort, retry_until, wait_for_file, wait_for_port};

/// What an action renders for.
#[derive(Debug, Clone)]
pub struct RenderContext<'a> {
    /// The node's OS.
    pub os: &'a Os,
    /// Replace secret values by a placeholder (dry runs, logs).
    pub redact: bool,
    /// The phase's payload: bytes sent after the script rather than inside it.
    pub payload: &'a std::cell::RefCell<crate::render::Payload>,
}

impl RenderContext<'_> {
    /// Sends `bytes` with the phase (after the script, never inside it) and returns the script
    /// that writes them to its stdout, byte-exact, streaming (`p_data OFFSET LENGTH`): content
    /// of any size, with bounded memory on the node, and nothing of it in the script text,
    /// dry runs or logs.
    pub fn data(&self, bytes: std::sync::Arc<[u8]>) -> Script {
        let (offset, len) = self.payload.borrow_mut().push(bytes);
        stevedore::script! { p_data #offset #len; }
    }

    /// As [`RenderContext::data`], for secret bytes: the same script, and the payload marks them
    /// secret so [`crate::render::Payload::redacted`] never shows them.
    pub fn secret_data(&self, bytes: std::sync::Arc<[u8]>) -> Script {
        let (offset, len) = self.payload.borrow_mut().push_secret(bytes);
        stevedore::script! { p_data #offset #len; }
    }
}

/// Why an action cannot be rendered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActionError {
    /// Its script cannot be produced (NUL in a value, no implementation for the OS).
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// The action is misconfigured.
    #[error("{0}")]
    Invalid(String),
    /// A local file it reads cannot be read.
    #[error("cannot read local file {path}: {message}")]
    LocalFile {
        /// The path.
        path: String,
        /// The I/O error.
        message: String,
    },
}

/// The merged action of one merge key: it absorbs every action of the phase with that key
/// (see [`Action::merge_key`]) and renders them as one.
pub trait Merged: Action {
    /// Takes in `action` (of this merge key) for a node running `os`; `false` when it is not one
    /// this merged action knows, and then stays a separate action.
    fn absorb(&mut self, action: &dyn Action, os: &Os) -> bool;

    /// Is there nothing to do (every absorbed action was empty for this OS)?
    fn is_empty(&self) -> bool;
}

/// An idempotent unit of a plan.
pub trait Action: std::any::Any + Send + Sync {
    /// The action's kind, e.g. `remote_file`.
    fn kind(&self) -> &'static str;

    /// One line saying what it does, for dry runs and reports (no secret values).
    fn describe(&self) -> String;

    /// The script: check, then apply only if needed.
    ///
    /// # Errors
    /// [`ActionError`] when it cannot be rendered for this node (the library's actions start
    /// with [`Action::validate`]).
    fn script(&self, cx: &RenderContext<'_>) -> Result<Script, ActionError>;

    /// Checks every value of the action against its rule ([`stevedore::names`]) without
    /// rendering anything: paths absolute, names valid for their kind, no line break in a value
    /// written as one line. [`Plan::add`](crate::plan::Plan::add) calls it, so an invalid
    /// action is a planning error of its node before any script runs. Checks that need the
    /// node's OS (package names per package manager) are made by [`Action::script`].
    ///
    /// The default accepts everything.
    ///
    /// # Errors
    /// [`ActionError::Invalid`] naming the action, the field and the value, and the rule.
    fn validate(&self) -> Result<(), ActionError> {
        Ok(())
    }

    /// Actions with the same merge key are merged by the phase into one action, which runs
    /// before the phase's other actions, in the order the keys first appear (Pallet's aggregated
    /// actions: `package`, `packages`, `package_manager` and `package_source` share the key
    /// `packages`). `None` (the default): the action runs on its own.
    fn merge_key(&self) -> Option<&'static str> {
        None
    }

    /// The empty merged action for this action's merge key (asked of the first action with the
    /// key). `None` (the default) when [`Action::merge_key`] is `None`.
    fn start_merge(&self) -> Option<Box<dyn Merged>> {
        None
    }
}

/// `Err(ActionError::Invalid("ACTION: FIELD: VALUE is not a valid KIND: ... (rule: ...)"))`
/// when `checked` failed.
pub(crate) fn check(action: &str, field: &str, checked: Checked) -> Result<(), ActionError> {
    checked.map_err(|e| ActionError::Invalid(format!("{action}: {field}: {e}")))
}

/// Checks a flag name (`flag_on_changed`, `if_flag`): it names a file in the phase's temporary
/// directory and a line of the record channel, so it is a plain file name
/// ([`names::file_name`]).
pub(crate) fn check_flag(action: &str, field: &str, flag: Option<&str>) -> Result<(), ActionError> {
    match flag {
        Some(f) => check(action, field, names::file_name(f)),
        None => Ok(()),
    }
}

/// Checks owner ([`names::owner`]), group ([`names::group`]) and mode ([`names::file_mode`]).
pub(crate) fn check_attributes(
    action: &str,
    owner: Option<&str>,
    group: Option<&str>,
    mode: Option<u32>,
) -> Result<(), ActionError> {
    if let Some(o) = owner {
        check(action, "owner", names::owner(o))?;
    }
    if let Some(g) = group {
        check(action, "group", names::group(g))?;
    }
    if let Some(m) = mode {
        check(action, "mode", names::file_mode(u64::from(m)))?;
    }
    Ok(())
}

/// Renders owner, group and mode checks for `path`: each is applied (and reported as a change)
/// only when it differs, on every run. Numeric owner/group compare against the numeric id.
/// `path` is absolute and owner and group are checked ([`check_attributes`]), so `find` reads
/// the path as a starting point, never as an expression (`find` has no `--`).
pub(crate) fn ensure_attributes(
    path: &str,
    owner: Option<&str>,
    group: Option<&str>,
    mode: Option<u32>,
    recursive: bool,
) -> Script {
    use stevedore::script;
    let mut s = Script::new();
    let numeric = |v: &str| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
    if let Some(o) = owner {
        if recursive {
            s.push(&script! {
                if [ -n $(find #path ! -user #o -print | head -n 1) ] { p_changed; p_checking || chown -R #o -- #path; }
            });
        } else {
            let fmt = if numeric(o) { "%u" } else { "%U" };
            s.push(&script! {
                if [ $(stat -c #fmt -- #path) != #o ] { p_changed; p_checking || chown #o -- #path; }
            });
        }
    }
    if let Some(g) = group {
        if recursive {
            s.push(&script! {
                if [ -n $(find #path ! -group #g -print | head -n 1) ] { p_changed; p_checking || chgrp -R #g -- #path; }
            });
        } else {
            let fmt = if numeric(g) { "%g" } else { "%G" };
            s.push(&script! {
                if [ $(stat -c #fmt -- #path) != #g ] { p_changed; p_checking || chgrp #g -- #path; }
            });
        }
    }
    if let Some(m) = mode {
        let m = format!("{m:o}");
        s.push(&script! {
            if [ $(stat -c "%a" -- #path) != #m ] { p_changed; p_checking || chmod #m -- #path; }
        });
    }
    s
}

/// `0644`-style text of a mode.
pub(crate) fn mode_text(mode: u32) -> String {
    format!("{mode:04o}")
}

/// `body` retried on transient failures: it runs in a subshell under `set -e`; when it fails and
/// its stderr matches the extended regular expression `transient` (case-insensitive), it runs
/// again after 5, 10, ... seconds, at most `retries` more times, each retry counted in the report;
/// otherwise its status is the action's. Its stderr goes on to the action's.
pub(crate) fn retrying(body: &Script, transient: &str, retries: u32) -> Script {
    use stevedore::script;
    script! {
        p_try=0;
        while : {
            set +e;
            ( set -e; #body; ) 2> $P_T/try_err;
            p_try_rc=$?;
            set -e;
            cat $P_T/try_err >&2;
            if [ $p_try_rc -eq 0 ] { break; }
            if [ $p_try -ge #retries ] || ! grep -qiE -- #transient $P_T/try_err { exit $p_try_rc; }
            p_try=$(($p_try + 1));
            p_retried;
            sleep $(($p_try * 5));
        }
    }
}
