//! Services: systemd, OpenRC and SysV init scripts.
//!
//! Service names are checked with [`names::service_name`] (no `/`, no leading `-` or `.`): a
//! name that breaks the rule makes the script carry
//! [`ScriptError::Invalid`](crate::ScriptError::Invalid), so `update-rc.d` and `chkconfig`
//! (which take no `--`) never read a name as an option and `/etc/init.d/NAME` never leaves
//! `/etc/init.d`.

use super::checked;
use crate::interpolate::ShellWord;
use crate::names;
use crate::script;
use crate::script::Script;
use std::borrow::Cow;

/// A service control verb. Renders as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceAction {
    /// Start the service.
    Start,
    /// Stop the service.
    Stop,
    /// Stop then start it.
    Restart,
    /// Reload its configuration without stopping it.
    Reload,
    /// Succeed when it is running (prints nothing).
    Status,
}

impl ServiceAction {
    /// The verb as the init systems spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceAction::Start => "start",
            ServiceAction::Stop => "stop",
            ServiceAction::Restart => "restart",
            ServiceAction::Reload => "reload",
            ServiceAction::Status => "status",
        }
    }
}

impl ShellWord for ServiceAction {
    fn shell_word(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.as_str().as_bytes())
    }
}

fn systemctl_verb(a: ServiceAction) -> &'static str {
    match a {
        ServiceAction::Status => "is-active",
        other => other.as_str(),
    }
}

fn sysv_service(name: &str, action: ServiceAction) -> Script {
    if action == ServiceAction::Status {
        script! { /etc/init.d/#name status > /dev/null 2>&1; }
    } else {
        script! { /etc/init.d/#name #action; }
    }
}

/// The per-init-system implementations; the public functions below check the name first.
mod imp {
    use super::*;
    use crate::script_fn;

    script_fn! {
        /// Runs `action` on service `name`. `Status` is a quiet test: it succeeds when the service runs.
        pub(super) fn service(name: &str, action: ServiceAction) {
            systemd => { systemctl #(systemctl_verb(action)) #((action == ServiceAction::Status).then_some("--quiet")) #name; }
            openrc => { rc-service #(if action == ServiceAction::Status { Some("--quiet") } else { None }) #name #action; }
            sysvinit => { #(sysv_service(name, action)); }
        }

        /// Starts service `name` at boot.
        pub(super) fn service_enable(name: &str) {
            systemd => { systemctl enable --quiet #name; }
            openrc => { rc-update add #name default > /dev/null; }
            sysvinit => {
                if command -v update-rc.d > /dev/null 2>&1 {
                    update-rc.d #name defaults > /dev/null;
                } else {
                    chkconfig #name on;
                }
            }
        }

        /// Stops starting service `name` at boot.
        pub(super) fn service_disable(name: &str) {
            systemd => { systemctl disable --quiet #name; }
            openrc => { rc-update del #name default > /dev/null; }
            sysvinit => {
                if command -v update-rc.d > /dev/null 2>&1 {
                    update-rc.d #name disable > /dev/null;
                } else {
                    chkconfig #name off;
                }
            }
        }

        /// Succeeds when service `name` starts at boot.
        pub(super) fn service_enabled(name: &str) {
            systemd => { systemctl is-enabled --quiet #name; }
            openrc => { rc-update show default | awk "{ print $1 }" | grep -qFx -- #name; }
            sysvinit => {
                if command -v chkconfig > /dev/null 2>&1 {
                    chkconfig #name;
                } else {
                    ls /etc/rc2.d/S??#name > /dev/null 2>&1;
                }
            }
        }
    }
}

fn check(s: Script, function: &'static str, name: &str) -> Script {
    checked(s, function, [("name", names::service_name(name))])
}

/// Runs `action` on service `name`. `Status` is a quiet test: it succeeds when the service runs.
pub fn service(name: &str, action: ServiceAction) -> Script {
    check(imp::service(name, action), "service", name)
}

/// Starts service `name` at boot.
pub fn service_enable(name: &str) -> Script {
    check(imp::service_enable(name), "service_enable", name)
}

/// Stops starting service `name` at boot.
pub fn service_disable(name: &str) -> Script {
    check(imp::service_disable(name), "service_disable", name)
}

/// Succeeds when service `name` starts at boot.
pub fn service_enabled(name: &str) -> Script {
    check(imp::service_enabled(name), "service_enabled", name)
}
