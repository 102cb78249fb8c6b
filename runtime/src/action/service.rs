//! Services: start, stop, restart, reload, enable at boot.

use super::{Action, ActionError, RenderContext, check, check_flag};
use stevedore::functions::{self as f, ServiceAction};
use stevedore::names;
use stevedore::{Script, script};

/// A service (Pallet's `service`).
///
/// `start` and `stop` act only when the service is not already in that state; `restart` and
/// `reload` always act (and report `changed`) unless restricted with `if_flag`, in which case
/// they act only when an earlier action of the phase set that flag (`remote_file(...)
/// .flag_on_changed("site")` then `service("nginx").restart().if_flag("site")`). `enable` and
/// `disable` act only when the boot setting differs.
#[derive(Debug, Clone)]
pub struct Service {
    name: String,
    action: Option<ServiceAction>,
    enable: Option<bool>,
    if_flag: Option<String>,
}

/// The service `name` ([`stevedore::names::service_name`]: a systemd unit name, no `/`, not
/// starting with `-` or `.`); choose `.start()`, `.stop()`, `.restart()`, `.reload()`,
/// `.enable(bool)`.
pub fn service(name: impl Into<String>) -> Service {
    Service { name: name.into(), action: None, enable: None, if_flag: None }
}

impl Service {
    /// Sets the action.
    pub fn action(mut self, a: ServiceAction) -> Self {
        self.action = Some(a);
        self
    }

    /// Starts it if it is not running.
    pub fn start(self) -> Self {
        self.action(ServiceAction::Start)
    }

    /// Stops it if it is running.
    pub fn stop(self) -> Self {
        self.action(ServiceAction::Stop)
    }

    /// Restarts it.
    pub fn restart(self) -> Self {
        self.action(ServiceAction::Restart)
    }

    /// Reloads its configuration.
    pub fn reload(self) -> Self {
        self.action(ServiceAction::Reload)
    }

    /// Starts it at boot (`true`) or not (`false`).
    pub fn enable(mut self, on: bool) -> Self {
        self.enable = Some(on);
        self
    }

    /// Acts only when `flag` is pending: set by a change earlier in this phase, in an earlier
    /// phase, or in an earlier run whose handler did not run (a failure in between). The flag is
    /// handled (cleared) when the phase that ran this action ends without a failure (Ansible's
    /// handlers with `--force-handlers` semantics: the change happened, the restart is owed).
    pub fn if_flag(mut self, flag: impl Into<String>) -> Self {
        self.if_flag = Some(flag.into());
        self
    }
}

impl Action for Service {
    fn kind(&self) -> &'static str {
        "service"
    }

    fn describe(&self) -> String {
        let mut s = format!("service {}", self.name);
        if let Some(a) = self.action {
            s.push(' ');
            s.push_str(a.as_str());
        }
        match self.enable {
            Some(true) => s.push_str(" enable"),
            Some(false) => s.push_str(" disable"),
            None => {}
        }
        if let Some(f) = &self.if_flag {
            s.push_str(&format!(" if {f} changed"));
        }
        s
    }

    fn validate(&self) -> Result<(), ActionError> {
        check("service", "name", names::service_name(&self.name))?;
        check_flag("service", "if_flag", self.if_flag.as_deref())?;
        if self.action.is_none() && self.enable.is_none() {
            return Err(ActionError::Invalid(format!(
                "service {}: nothing to do (no action and no enable)",
                self.name
            )));
        }
        Ok(())
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let name = self.name.as_str();
        let mut s = Script::new();
        if let Some(on) = self.enable {
            let enabled = f::service_enabled(name);
            s.push(&if on {
                let enable = f::service_enable(name);
                script! { if ! #enabled { p_changed; p_checking || #enable; } }
            } else {
                let disable = f::service_disable(name);
                script! { if #enabled { p_changed; p_checking || #disable; } }
            });
        }
        if let Some(a) = self.action {
            let status = f::service(name, ServiceAction::Status);
            let run = f::service(name, a);
            let body = match a {
                ServiceAction::Start => script! { if ! #status { p_changed; p_checking || #run; } },
                ServiceAction::Stop => script! { if #status { p_changed; p_checking || #run; } },
                ServiceAction::Status => script! { #status; },
                ServiceAction::Restart | ServiceAction::Reload => script! { p_changed; p_checking || #run; },
            };
            s.push(&match &self.if_flag {
                Some(flag) => script! { if p_flagged #flag { #body; p_handled #flag; } },
                None => body,
            });
        }
        if s.is_empty() {
            return Err(ActionError::Invalid(format!("service {name}: nothing to do (no action and no enable)")));
        }
        Ok(s)
    }
}
