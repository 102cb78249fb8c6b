//! SSH server hardening for pallet: `sshd_config` options in a drop-in file checked with
//! `sshd -t` before it replaces the old one, a reload only when it changed, and never a
//! setting that locks out the admin user pallet logs in as.
//!
//! ```
//! use pallet::prelude::*;
//! use pallet_ssh::SshConfig;
//!
//! let hardened = SshConfig { allow_users: vec!["deploy".into()], ..SshConfig::default() };
//! let web = group_spec! { name = "web", count = 2, extends = [pallet_ssh::server_spec(hardened)] };
//! assert!(web.server().effective().has_phase("configure"));
//! ```
//!
//! # What it does
//!
//! `configure` ([`configure`]) checks that the main `sshd_config` includes
//! `/etc/ssh/sshd_config.d/*.conf` before anything else (so the drop-in's values win: sshd keeps
//! the first value it reads), writes `/etc/ssh/sshd_config.d/00-pallet.conf` from
//! [`SshConfig`], checked with `sshd -t` on a configuration that reads the new file first and
//! then the main file (exactly what sshd will read), and reloads sshd only when the file
//! changed. A reload keeps open sessions.
//!
//! Never locked out: planning fails when the configuration would stop the operation's admin
//! user from logging in with its key: `PermitRootLogin no` with `root` as the admin user,
//! public keys turned off through `options`, or `allow_users` without the admin user (it is
//! added). `Port`, `ListenAddress`, `Match`, `Include` and the user and key lists cannot be set
//! through `options`.
//!
//! `settings` publishes [`SshSettings`] under [`FACILITY`] (`ssh`).
//!
//! # OS support
//!
//! Run for real in the tests: [`OS_TESTED`] (Debian 12, OpenSSH 9.2). Rendered and passed
//! through the shell gate: [`OS_RENDERED`]. Any OS whose main `sshd_config` lacks the `Include`
//! fails the check at run time, saying so; other OSes are refused when planning.
//!
//! Replaces Pallet's `ssh-key`/`sshd` configuration pieces (`pallet.crate.ssh-key`).

use pallet::prelude::*;
use pallet::stevedore::os::FamilyGroup;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

/// The settings facility nodes publish [`SshSettings`] under.
pub const FACILITY: &str = "ssh";

/// The flag set when the drop-in changes; the reload runs only then.
pub const CHANGED_FLAG: &str = "pallet-ssh-conf";

/// The drop-in file this crate owns.
pub const DROP_IN: &str = "/etc/ssh/sshd_config.d/00-pallet.conf";

/// OS specs (as in `pallet_testkit::os::ALL`) this crate's tests run for real.
pub const OS_TESTED: &[&str] = &["debian-12"];

/// OS specs whose plans the tests render and pass through the shell gate without running them.
pub const OS_RENDERED: &[&str] =
    &["ubuntu-24.04", "rhel-9", "rocky-9", "alma-9", "oracle-9", "fedora-40", "amazon-2023", "alpine-3.20"];

/// `PermitRootLogin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RootLogin {
    /// `no` (default).
    #[default]
    No,
    /// `prohibit-password`: keys only.
    ProhibitPassword,
    /// `yes`.
    Yes,
}

/// The hardened options. Every field has a default; booleans become `yes`/`no`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SshConfig {
    /// `PermitRootLogin` (default `no`).
    pub permit_root_login: RootLogin,
    /// `PasswordAuthentication` (default `false`).
    pub password_authentication: bool,
    /// `KbdInteractiveAuthentication` (default `false`).
    pub kbd_interactive_authentication: bool,
    /// `X11Forwarding` (default `false`).
    pub x11_forwarding: bool,
    /// `AllowAgentForwarding` (default `false`).
    pub allow_agent_forwarding: bool,
    /// `AllowTcpForwarding` (default `false`).
    pub allow_tcp_forwarding: bool,
    /// `MaxAuthTries` (default 3).
    pub max_auth_tries: u32,
    /// `LoginGraceTime` in seconds (default 30).
    pub login_grace_time: u32,
    /// `ClientAliveInterval` in seconds (default 300).
    pub client_alive_interval: u32,
    /// `ClientAliveCountMax` (default 2).
    pub client_alive_count_max: u32,
    /// `AllowUsers` (default empty: not set). The admin user is always added.
    pub allow_users: Vec<String>,
    /// More options, keyword to value (default none), e.g. `{"Banner": "/etc/issue.net"}`.
    pub options: BTreeMap<String, String>,
}

impl Default for SshConfig {
    fn default() -> Self {
        SshConfig {
            permit_root_login: RootLogin::No,
            password_authentication: false,
            kbd_interactive_authentication: false,
            x11_forwarding: false,
            allow_agent_forwarding: false,
            allow_tcp_forwarding: false,
            max_auth_tries: 3,
            login_grace_time: 30,
            client_alive_interval: 300,
            client_alive_count_max: 2,
            allow_users: Vec::new(),
            options: BTreeMap::new(),
        }
    }
}

/// Keywords `options` may not set: they move sshd, change who may log in or how keys are
/// found, or change how the file is read.
const RESERVED: &[&str] = &[
    "port",
    "listenaddress",
    "match",
    "include",
    "pubkeyauthentication",
    "authorizedkeysfile",
    "authorizedkeyscommand",
    "authenticationmethods",
    "allowusers",
    "denyusers",
    "allowgroups",
    "denygroups",
    "permitrootlogin",
];

/// What a node publishes under [`FACILITY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshSettings {
    /// Is password authentication on?
    pub password_authentication: bool,
    /// The users allowed (empty: not restricted).
    pub allow_users: Vec<String>,
}

fn user_name(u: &str) -> bool {
    !u.is_empty() && u.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@*?".contains(&b))
}

impl SshConfig {
    /// Checks the values and that `admin` (the operation's admin user, when known) can still
    /// log in with a key: user names, option keywords (letters only, not [`RESERVED`]) and values
    /// (printable, no `#`), `MaxAuthTries` at least 1, root not refused while it is the admin.
    ///
    /// # Errors
    /// Every problem, one per line.
    pub fn validate(&self, admin: Option<&str>) -> Result<(), String> {
        let mut e = Vec::new();
        for u in &self.allow_users {
            if !user_name(u) {
                e.push(format!("allow_users: `{u}` is not a user name or pattern"));
            }
        }
        for (k, v) in &self.options {
            if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphabetic()) {
                e.push(format!("option `{k}`: a keyword is letters only"));
            } else if RESERVED.contains(&k.to_ascii_lowercase().as_str()) {
                e.push(format!("option `{k}` cannot be set here (it could lock pallet out or move sshd)"));
            }
            if v.is_empty() || v.contains('#') || v.chars().any(char::is_control) {
                e.push(format!("option {k}: the value must be non-empty, printable, without `#`"));
            }
        }
        if self.max_auth_tries == 0 {
            e.push("max_auth_tries 0 would refuse everyone".into());
        }
        if admin == Some("root") && self.permit_root_login == RootLogin::No {
            e.push("permit_root_login `no` would lock out the admin user root; use `prohibit-password`".into());
        }
        if e.is_empty() { Ok(()) } else { Err(e.join("\n")) }
    }

    /// The drop-in file. `admin` is added to a non-empty `allow_users`.
    pub fn drop_in(&self, admin: Option<&str>) -> String {
        let yn = |b: bool| if b { "yes" } else { "no" };
        let root = match self.permit_root_login {
            RootLogin::No => "no",
            RootLogin::ProhibitPassword => "prohibit-password",
            RootLogin::Yes => "yes",
        };
        let mut s = String::from(
            "# Managed by pallet-ssh: changes made here are replaced on the next run.\n\
             # Read before the rest of sshd_config, so these values win.\n",
        );
        let _ = writeln!(s, "PermitRootLogin {root}");
        let _ = writeln!(s, "PubkeyAuthentication yes");
        let _ = writeln!(s, "PasswordAuthentication {}", yn(self.password_authentication));
        let _ = writeln!(s, "KbdInteractiveAuthentication {}", yn(self.kbd_interactive_authentication));
        let _ = writeln!(s, "X11Forwarding {}", yn(self.x11_forwarding));
        let _ = writeln!(s, "AllowAgentForwarding {}", yn(self.allow_agent_forwarding));
        let _ = writeln!(s, "AllowTcpForwarding {}", yn(self.allow_tcp_forwarding));
        let _ = writeln!(s, "MaxAuthTries {}", self.max_auth_tries);
        let _ = writeln!(s, "LoginGraceTime {}", self.login_grace_time);
        let _ = writeln!(s, "ClientAliveInterval {}", self.client_alive_interval);
        let _ = writeln!(s, "ClientAliveCountMax {}", self.client_alive_count_max);
        let users = self.allowed(admin);
        if !users.is_empty() {
            let _ = writeln!(s, "AllowUsers {}", users.join(" "));
        }
        for (k, v) in &self.options {
            let _ = writeln!(s, "{k} {v}");
        }
        s
    }

    fn allowed(&self, admin: Option<&str>) -> Vec<String> {
        let mut users = self.allow_users.clone();
        if let Some(a) = admin
            && !users.is_empty()
            && !users.iter().any(|u| u == a)
        {
            users.push(a.to_string());
        }
        users
    }
}

/// The SSH service's name on `os`.
///
/// # Errors
/// The refusal, naming this crate, for an OS it does not support.
pub fn service_name(os: &Os) -> Result<&'static str, String> {
    if os.in_group(FamilyGroup::DebianLike) {
        Ok("ssh")
    } else if (os.is_rhel_like() && os.packager == Some(Packager::Dnf)) || os.in_group(FamilyGroup::AlpineLike) {
        Ok("sshd")
    } else {
        Err(format!(
            "pallet-ssh does not support {os}: it supports the Debian family, the RHEL family with dnf, and Alpine"
        ))
    }
}

plan_fn! {
    /// Publishes [`SshSettings`] under [`FACILITY`] (`ssh`). Run it in `settings`.
    pub fn settings(ctx, config: &SshConfig) {
        let admin = ctx.admin_user().map(|a| a.username.clone());
        ctx.publish(FACILITY, &SshSettings {
            password_authentication: config.password_authentication,
            allow_users: config.allowed(admin.as_deref()),
        });
    }
}

plan_fn! {
    /// Checks the main configuration includes the drop-in directory first, writes the drop-in
    /// (checked with `sshd -t` as sshd will read it) and reloads sshd only when it changed.
    /// Fails the plan when the configuration would lock out the admin user.
    pub fn configure(ctx, config: &SshConfig) {
        let service_name = match service_name(ctx.os()) {
            Ok(s) => s,
            Err(e) => return ctx.fail(e),
        };
        let admin = ctx.admin_user().map(|a| a.username.clone());
        if let Err(e) = config.validate(admin.as_deref()) {
            return ctx.fail(format!("pallet-ssh: refused:\n{e}"));
        }
        let missing = "pallet-ssh: /etc/ssh/sshd_config does not start by including /etc/ssh/sshd_config.d/*.conf; add `Include /etc/ssh/sshd_config.d/*.conf` as its first directive";
        exec_checked_script("sshd_config reads sshd_config.d first", script! {
            p_first=$(grep -v -E "^[[:space:]]*(#|$)" /etc/ssh/sshd_config | head -n 1);
            case $p_first {
                "Include /etc/ssh/sshd_config.d/*.conf" => { :; }
                _ => { echo #missing >&2; exit 1; }
            }
        }).unchanged();
        directory("/etc/ssh/sshd_config.d", mode = 0o755);
        remote_file(DROP_IN, content = config.drop_in(admin.as_deref()), mode = 0o644,
                    verify = check_first_argument(), flag_on_changed = CHANGED_FLAG);
        service(service_name).reload().if_flag(CHANGED_FLAG);
    }
}

/// Checks the drop-in `$1` with `sshd -t` on a configuration made of `Include $1` followed by
/// the main `sshd_config`: the values of `$1` come first and win, as the installed drop-in's
/// will.
pub fn check_first_argument() -> Script {
    script! {
        p_sc=$(mktemp);
        { printf "Include %s\n" $1; cat /etc/ssh/sshd_config; } > $p_sc;
        if /usr/sbin/sshd -t -f $p_sc { rm -f -- $p_sc; } else { rm -f -- $p_sc; exit 1; }
    }
}

/// A server spec to extend: `settings` publishes [`SshSettings`], `configure` applies
/// `config`.
pub fn server_spec(config: SshConfig) -> ServerSpec {
    let config = Arc::new(config);
    let (s, c) = (config.clone(), config);
    server_spec! {
        phases = {
            settings = move |ctx: &mut Plan<'_>| settings(ctx, &s),
            configure = move |ctx: &mut Plan<'_>| configure(ctx, &c),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_is_never_locked_out() {
        let c = SshConfig { allow_users: vec!["deploy".into()], ..SshConfig::default() };
        assert!(c.drop_in(Some("admin")).contains("\nAllowUsers deploy admin\n"));
        assert!(SshConfig::default().validate(Some("root")).unwrap_err().contains("lock out the admin user root"));
        let opts = SshConfig {
            options: [
                ("PubkeyAuthentication".to_string(), "no".to_string()),
                ("Banner".into(), "/etc/issue # x".into()),
            ]
            .into(),
            ..SshConfig::default()
        };
        let e = opts.validate(Some("admin")).unwrap_err();
        assert!(e.contains("option `PubkeyAuthentication` cannot be set here") && e.contains("without `#`"), "{e}");
        let parsed: SshConfig = serde_json::from_str(r#"{"permit_root_login": "prohibit-password"}"#).unwrap();
        assert_eq!(parsed.permit_root_login, RootLogin::ProhibitPassword);
        assert_eq!(parsed.max_auth_tries, 3);
    }
}
