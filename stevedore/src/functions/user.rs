//! Users and groups.
//!
//! Every function dispatches on the family's user-management flavour, a column of the OS table
//! ([`UserManagement`](crate::os::UserManagement)), and covers every flavour (no `_` arm), so a
//! family added to the table gets the right tools or the build fails:
//!
//! - `shadow`: shadow-utils (`useradd`, `usermod`, `groupadd`...) with long options;
//! - `shadow_short`: shadow-utils with short flags (`-r`, `-m`), which every release of the RHEL
//!   family accepts, and an explicit `-m`/`-M` because its `login.defs` creates home directories
//!   by default where Debian's does not (Pallet translated the flags the same way);
//! - `busybox`: busybox `adduser`/`addgroup`/`deluser`/`delgroup` (Alpine).
//!
//! An OS of unknown family has no flavour: rendering fails naming the function.
//!
//! Names are checked with [`names::user_name`] and [`names::group_name`], the options with
//! [`UserOptions::check`]: a value that breaks its rule makes the script carry
//! [`ScriptError::Invalid`](crate::ScriptError::Invalid), so no command ever reads a name as an
//! option (`useradd --help`) or writes a field that splits `/etc/passwd` (`:` or a newline).

use super::checked;
use crate::names::{self, Checked};
use crate::script;
use crate::script::Script;

/// Options of [`create_user`] and [`modify_user`]. `Default` gives a normal user with the
/// system's defaults for everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserOptions {
    /// Home directory path.
    pub home: Option<String>,
    /// Create the home directory (on creation).
    pub create_home: bool,
    /// Login shell path.
    pub shell: Option<String>,
    /// A system account (low uid, no aging).
    pub system: bool,
    /// Primary group name.
    pub group: Option<String>,
    /// Supplementary groups (the full list: on modification it replaces the current list).
    pub groups: Vec<String>,
    /// GECOS comment.
    pub comment: Option<String>,
    /// Password hash (crypt(3) format), never a clear-text password.
    pub password_hash: Option<String>,
    /// Numeric user id.
    pub uid: Option<u32>,
}

/// Flag spelling.
#[derive(Clone, Copy)]
enum Style {
    Long,
    Short,
}

impl UserOptions {
    /// Checks every set field: `home` and `shell` with [`names::login_path`], `group` with
    /// [`names::group`] (name or gid), each of `groups` with [`names::group`], `comment` with
    /// [`names::passwd_field`], `password_hash` with [`names::password_hash`]. Returns
    /// `(field, result)` pairs, failures included.
    pub fn check(&self) -> Vec<(&'static str, Checked)> {
        let mut v = Vec::new();
        if let Some(h) = &self.home {
            v.push(("home", names::login_path(h)));
        }
        if let Some(s) = &self.shell {
            v.push(("shell", names::login_path(s)));
        }
        if let Some(g) = &self.group {
            v.push(("group", names::group(g)));
        }
        for g in &self.groups {
            v.push(("groups", names::group(g)));
        }
        if let Some(c) = &self.comment {
            v.push(("comment", names::passwd_field(c)));
        }
        if let Some(p) = &self.password_hash {
            v.push(("password_hash", names::password_hash(p)));
        }
        v
    }

    fn useradd_args(&self, style: Style, creating: bool) -> Vec<String> {
        let f = |long: &str, short: &str| match style {
            Style::Long => long.to_string(),
            Style::Short => short.to_string(),
        };
        let mut a = Vec::new();
        if creating && self.system {
            a.push(f("--system", "-r"));
        }
        if let Some(h) = &self.home {
            a.push(f("--home-dir", "-d"));
            a.push(h.clone());
        }
        if creating {
            a.push(if self.create_home { f("--create-home", "-m") } else { f("--no-create-home", "-M") });
        }
        if let Some(s) = &self.shell {
            a.push(f("--shell", "-s"));
            a.push(s.clone());
        }
        if let Some(g) = &self.group {
            a.push(f("--gid", "-g"));
            a.push(g.clone());
        }
        if !self.groups.is_empty() {
            a.push(f("--groups", "-G"));
            a.push(self.groups.join(","));
        }
        if let Some(c) = &self.comment {
            a.push(f("--comment", "-c"));
            a.push(c.clone());
        }
        if let Some(p) = &self.password_hash {
            a.push(f("--password", "-p"));
            a.push(p.clone());
        }
        if let Some(u) = self.uid {
            a.push(f("--uid", "-u"));
            a.push(u.to_string());
        }
        a
    }

    fn long(&self, creating: bool) -> Vec<String> {
        self.useradd_args(Style::Long, creating)
    }

    fn short(&self, creating: bool) -> Vec<String> {
        self.useradd_args(Style::Short, creating)
    }

    fn busybox_adduser(&self) -> Vec<String> {
        let mut a = vec!["-D".to_string()];
        if self.system {
            a.push("-S".into());
        }
        if let Some(h) = &self.home {
            a.push("-h".into());
            a.push(h.clone());
        }
        if !self.create_home {
            a.push("-H".into());
        }
        if let Some(s) = &self.shell {
            a.push("-s".into());
            a.push(s.clone());
        }
        if let Some(g) = &self.group {
            a.push("-G".into());
            a.push(g.clone());
        }
        if let Some(c) = &self.comment {
            a.push("-g".into());
            a.push(c.clone());
        }
        if let Some(u) = self.uid {
            a.push("-u".into());
            a.push(u.to_string());
        }
        a
    }
}

/// Options of [`create_group`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupOptions {
    /// A system group.
    pub system: bool,
    /// Numeric group id.
    pub gid: Option<u32>,
}

/// Succeeds when user `name` exists.
pub fn user_exists(name: &str) -> Script {
    checked(script! { id -u #name > /dev/null 2>&1; }, "user_exists", [("name", names::user_name(name))])
}

/// busybox: add the user to each supplementary group (nothing when there are none).
fn busybox_add_groups(name: &str, groups: &[String]) -> Script {
    let lines: Vec<Script> = groups.iter().map(|g| script! { addgroup #name #g; }).collect();
    Script::join(&lines)
}

/// busybox: set a password hash with `chpasswd -e` (nothing when there is none).
fn set_password_hash(name: &str, opts: &UserOptions) -> Script {
    match &opts.password_hash {
        Some(h) => {
            let line = format!("{name}:{h}");
            script! { printf "%s\\n" #line | chpasswd -e; }
        }
        None => Script::new(),
    }
}

/// The per-flavour implementations; the public functions below check their values first.
mod imp {
    use super::*;
    use crate::script_fn;

    script_fn! {
        /// Creates user `name` (fails if it exists; pair it with [`user_exists`]).
        pub(super) fn create_user(name: &str, opts: &UserOptions) {
            shadow => { useradd #(opts.long(true)) #name; }
            shadow_short => { useradd #(opts.short(true)) #name; }
            busybox => {
                adduser #(opts.busybox_adduser()) #name;
                #(busybox_add_groups(name, &opts.groups));
                #(set_password_hash(name, opts));
            }
        }

        /// Changes user `name` to match `opts` (only the fields that are set).
        pub(super) fn modify_user(name: &str, opts: &UserOptions) {
            shadow => { usermod #(opts.long(false)) #name; }
            shadow_short => { usermod #(opts.short(false)) #name; }
            busybox => {
                if command -v usermod > /dev/null 2>&1 {
                    usermod #(opts.long(false)) #name;
                } else {
                    echo "modify_user: install the shadow package on Alpine (busybox has no usermod)" >&2;
                    false;
                }
            }
        }

        /// Removes user `name`, and its home directory when `remove_home` is set.
        pub(super) fn remove_user(name: &str, remove_home: bool) {
            shadow | shadow_short => { userdel #(remove_home.then_some("-r")) #name; }
            busybox => { deluser #(remove_home.then_some("--remove-home")) #name; }
        }

        /// Succeeds when group `name` exists.
        pub(super) fn group_exists(name: &str) {
            shadow | shadow_short => { getent group #name > /dev/null; }
            busybox => { cut -d: -f1 /etc/group | grep -qFx -- #name; }
        }

        /// Creates group `name`.
        pub(super) fn create_group(name: &str, opts: &GroupOptions) {
            shadow => { groupadd #(opts.system.then_some("--system")) #(opts.gid.map(|g| format!("--gid={g}"))) #name; }
            shadow_short => {
                groupadd #(opts.system.then_some("-r")) #(opts.gid.map(|g| format!("-g{g}"))) #name;
            }
            busybox => { addgroup #(opts.system.then_some("-S")) #(opts.gid.map(|g| format!("-g{g}"))) #name; }
        }

        /// Changes the id of group `name`.
        pub(super) fn modify_group(name: &str, gid: u32) {
            shadow | shadow_short => { groupmod -g #gid #name; }
            busybox => {
                if command -v groupmod > /dev/null 2>&1 {
                    groupmod -g #gid #name;
                } else {
                    echo "modify_group: install the shadow package on Alpine (busybox has no groupmod)" >&2;
                    false;
                }
            }
        }

        /// Removes group `name`.
        pub(super) fn remove_group(name: &str) {
            shadow | shadow_short => { groupdel #name; }
            busybox => { delgroup #name; }
        }
    }
}

/// Creates user `name` (fails if it exists; pair it with [`user_exists`]).
pub fn create_user(name: &str, opts: &UserOptions) -> Script {
    let mut checks = vec![("name", names::user_name(name))];
    checks.extend(opts.check());
    checked(imp::create_user(name, opts), "create_user", checks)
}

/// Changes user `name` to match `opts` (only the fields that are set).
pub fn modify_user(name: &str, opts: &UserOptions) -> Script {
    let mut checks = vec![("name", names::user_name(name))];
    checks.extend(opts.check());
    checked(imp::modify_user(name, opts), "modify_user", checks)
}

/// Removes user `name`, and its home directory when `remove_home` is set.
pub fn remove_user(name: &str, remove_home: bool) -> Script {
    checked(imp::remove_user(name, remove_home), "remove_user", [("name", names::user_name(name))])
}

/// Succeeds when group `name` exists.
pub fn group_exists(name: &str) -> Script {
    checked(imp::group_exists(name), "group_exists", [("name", names::group_name(name))])
}

/// Creates group `name`.
pub fn create_group(name: &str, opts: &GroupOptions) -> Script {
    checked(imp::create_group(name, opts), "create_group", [("name", names::group_name(name))])
}

/// Changes the id of group `name`.
pub fn modify_group(name: &str, gid: u32) -> Script {
    checked(imp::modify_group(name, gid), "modify_group", [("name", names::group_name(name))])
}

/// Removes group `name`.
pub fn remove_group(name: &str) -> Script {
    checked(imp::remove_group(name), "remove_group", [("name", names::group_name(name))])
}

/// Locks the password of user `name` (`passwd -l`; key logins still work).
pub fn lock_user(name: &str) -> Script {
    checked(script! { passwd -l #name > /dev/null; }, "lock_user", [("name", names::user_name(name))])
}

/// Unlocks the password of user `name`.
pub fn unlock_user(name: &str) -> Script {
    checked(script! { passwd -u #name > /dev/null; }, "unlock_user", [("name", names::user_name(name))])
}
