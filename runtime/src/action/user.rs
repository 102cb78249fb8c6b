//! Users and groups.

use super::{Action, ActionError, RenderContext, check};
use stevedore::functions::{self as f, GroupOptions, UserOptions};
use stevedore::names;
use stevedore::{Script, script};

/// What to do with a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserAction {
    /// Create it if missing, else bring the given attributes in line (default).
    #[default]
    Manage,
    /// Create it if missing; leave an existing user alone.
    Create,
    /// Lock its password.
    Lock,
    /// Unlock its password.
    Unlock,
    /// Remove it.
    Remove,
}

/// A user account (Pallet's `user`).
#[derive(Debug, Clone)]
pub struct User {
    name: String,
    action: UserAction,
    opts: UserOptions,
    remove_home: bool,
}

/// The user `name` (created when missing; see [`UserAction`]). The name follows
/// [`stevedore::names::user_name`]; home and shell are absolute paths without `:`, groups are
/// group names or gids, the comment holds no `:` or line break ([`UserOptions::check`]).
pub fn user(name: impl Into<String>) -> User {
    User { name: name.into(), action: UserAction::Manage, opts: UserOptions::default(), remove_home: false }
}

impl User {
    /// Sets the action.
    pub fn action(mut self, a: UserAction) -> Self {
        self.action = a;
        self
    }

    /// Home directory.
    pub fn home(mut self, path: impl Into<String>) -> Self {
        self.opts.home = Some(path.into());
        self
    }

    /// Create the home directory with the user.
    pub fn create_home(mut self, on: bool) -> Self {
        self.opts.create_home = on;
        self
    }

    /// Login shell.
    pub fn shell(mut self, shell: impl Into<String>) -> Self {
        self.opts.shell = Some(shell.into());
        self
    }

    /// A system account.
    pub fn system(mut self, on: bool) -> Self {
        self.opts.system = on;
        self
    }

    /// Primary group.
    pub fn primary_group(mut self, g: impl Into<String>) -> Self {
        self.opts.group = Some(g.into());
        self
    }

    /// Supplementary groups (the full list).
    pub fn groups<S: Into<String>>(mut self, gs: impl IntoIterator<Item = S>) -> Self {
        self.opts.groups = gs.into_iter().map(Into::into).collect();
        self
    }

    /// GECOS comment.
    pub fn comment(mut self, c: impl Into<String>) -> Self {
        self.opts.comment = Some(c.into());
        self
    }

    /// Password hash (crypt(3) format).
    pub fn password_hash(mut self, h: impl Into<String>) -> Self {
        self.opts.password_hash = Some(h.into());
        self
    }

    /// Numeric user id.
    pub fn uid(mut self, uid: u32) -> Self {
        self.opts.uid = Some(uid);
        self
    }

    /// With `.action(UserAction::Remove)`: remove the home directory too.
    pub fn remove_home(mut self, on: bool) -> Self {
        self.remove_home = on;
        self
    }

    /// Tests that succeed when a set attribute differs from the account.
    fn drift(&self) -> Script {
        let name = self.name.as_str();
        // The account's /etc/passwd fields that are set, read by one awk and joined by `:` (no
        // field holds one), compared with the wanted ones joined alike.
        let mut fields: Vec<(u32, String)> = Vec::new();
        if let Some(h) = &self.opts.home {
            fields.push((6, h.clone()));
        }
        if let Some(sh) = &self.opts.shell {
            fields.push((7, sh.clone()));
        }
        if let Some(c) = &self.opts.comment {
            fields.push((5, c.clone()));
        }
        if let Some(u) = self.opts.uid {
            fields.push((3, u.to_string()));
        }
        let mut tests: Vec<Script> = Vec::new();
        if !fields.is_empty() {
            let prints: Vec<String> = fields.iter().map(|(n, _)| format!("${n}")).collect();
            let prog = format!("$1 == u {{ print {} }}", prints.join(" \":\" "));
            let want: Vec<&str> = fields.iter().map(|(_, w)| w.as_str()).collect();
            let want = want.join(":");
            let var = format!("u={name}");
            tests.push(script! { [ $(awk -F: -v #var #prog /etc/passwd) != #want ] });
        }
        if let Some(g) = &self.opts.group {
            tests.push(script! { [ $(id -gn #name) != #g ] });
        }
        for g in &self.opts.groups {
            tests.push(script! { ! id -Gn #name | tr " " "\n" | grep -qxF -- #g });
        }
        if let Some(h) = &self.opts.password_hash {
            let var = format!("u={name}");
            tests.push(script! { [ $(awk -F: -v #var "$1 == u { print $2 }" /etc/shadow) != #h ] });
        }
        let mut s: Option<Script> = None;
        for t in tests {
            s = Some(match s {
                None => t,
                Some(prev) => script! { #prev || #t; },
            });
        }
        s.unwrap_or_else(|| script! { false; })
    }
}

impl Action for User {
    fn kind(&self) -> &'static str {
        "user"
    }

    fn describe(&self) -> String {
        format!("user {} {:?}", self.name, self.action).to_lowercase()
    }

    fn validate(&self) -> Result<(), ActionError> {
        check("user", "name", names::user_name(&self.name))?;
        for (field, checked) in self.opts.check() {
            check("user", field, checked)?;
        }
        Ok(())
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let name = self.name.as_str();
        let exists = f::user_exists(name);
        let create = f::create_user(name, &self.opts);
        let var = format!("u={name}");
        let locked = script! { awk -F: -v #var "$1 == u && $2 ~ /^!/ { f = 1 } END { exit !f }" /etc/shadow; };
        Ok(match self.action {
            UserAction::Create => script! { if ! #exists { p_changed; p_checking || #create; } },
            UserAction::Manage => {
                let drift = self.drift();
                let modify =
                    f::modify_user(name, &UserOptions { create_home: false, system: false, ..self.opts.clone() });
                script! {
                    if ! #exists { p_changed; p_checking || #create; }
                    else if #drift { p_changed; p_checking || #modify; }
                }
            }
            UserAction::Lock => {
                let lock = f::lock_user(name);
                script! { if ! #locked { p_changed; p_checking || #lock; } }
            }
            UserAction::Unlock => {
                let unlock = f::unlock_user(name);
                script! { if #locked { p_changed; p_checking || #unlock; } }
            }
            UserAction::Remove => {
                let remove = f::remove_user(name, self.remove_home);
                script! { if #exists { p_changed; p_checking || #remove; } }
            }
        })
    }
}

/// A group (Pallet's `group`).
#[derive(Debug, Clone)]
pub struct Group {
    name: String,
    remove: bool,
    opts: GroupOptions,
}

/// The group `name` (created when missing; [`stevedore::names::group_name`]).
pub fn group(name: impl Into<String>) -> Group {
    Group { name: name.into(), remove: false, opts: GroupOptions::default() }
}

impl Group {
    /// A system group.
    pub fn system(mut self, on: bool) -> Self {
        self.opts.system = on;
        self
    }

    /// Numeric group id (changed when it differs).
    pub fn gid(mut self, gid: u32) -> Self {
        self.opts.gid = Some(gid);
        self
    }

    /// Removes the group instead.
    pub fn remove(mut self) -> Self {
        self.remove = true;
        self
    }
}

impl Action for Group {
    fn kind(&self) -> &'static str {
        "group"
    }

    fn describe(&self) -> String {
        format!("group {}{}", self.name, if self.remove { " remove" } else { "" })
    }

    fn validate(&self) -> Result<(), ActionError> {
        check("group", "name", names::group_name(&self.name))
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let name = self.name.as_str();
        let exists = f::group_exists(name);
        if self.remove {
            let remove = f::remove_group(name);
            return Ok(script! { if #exists { p_changed; p_checking || #remove; } });
        }
        let create = f::create_group(name, &self.opts);
        let gid = match self.opts.gid {
            Some(gid) => {
                let modify = f::modify_group(name, gid);
                let var = format!("g={name}");
                script! {
                    if [ $(awk -F: -v #var "$1 == g { print $3 }" /etc/group) != #gid ] {
                        p_changed; p_checking || #modify;
                    }
                }
            }
            None => Script::new(),
        };
        Ok(script! {
            if ! #exists { p_changed; p_checking || #create; }
            else { #gid; }
        })
    }
}
