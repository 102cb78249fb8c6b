//! Waiting for a port or a file, with retries and a standoff (Pallet's `wait-for-file` and
//! `network-service/wait-for-port-listen`). Waiting is never a change.

use super::{Action, ActionError, RenderContext, check};
use stevedore::names;
use stevedore::{Script, script};

/// How often and how far apart a wait checks.
#[derive(Debug, Clone, Copy)]
struct Retry {
    retries: u32,
    standoff_secs: u32,
}

impl Default for Retry {
    fn default() -> Self {
        Retry { retries: 5, standoff_secs: 2 }
    }
}

macro_rules! retry_builders {
    ($t:ty) => {
        impl $t {
            /// How many checks after the first.
            pub fn retries(mut self, n: u32) -> Self {
                self.retry.retries = n;
                self
            }

            /// Seconds between checks.
            pub fn standoff(mut self, secs: u32) -> Self {
                self.retry.standoff_secs = secs;
                self
            }
        }
    };
}

/// Waits until something listens on a TCP port.
#[derive(Debug, Clone)]
pub struct WaitForPort {
    port: u16,
    host: Option<String>,
    retry: Retry,
}

retry_builders!(WaitForPort);

/// Waits until a local process listens on TCP `port` (1 to 65535; 0 is refused) (read from
/// `/proc/net/tcp*`); with `.host(h)` (a host name or IP address,
/// [`stevedore::names::host`]), until `nc -z h port` connects. Defaults: 5 retries, 2 s apart.
pub fn wait_for_port(port: u16) -> WaitForPort {
    WaitForPort { port, host: None, retry: Retry::default() }
}

impl WaitForPort {
    /// Checks a remote host with `nc -z` instead of local listeners.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }
}

impl Action for WaitForPort {
    fn kind(&self) -> &'static str {
        "wait_for_port"
    }

    fn describe(&self) -> String {
        format!(
            "wait_for_port {}{} ({} retries, {} s apart)",
            self.host.as_deref().map(|h| format!("{h}:")).unwrap_or_default(),
            self.port,
            self.retry.retries,
            self.retry.standoff_secs
        )
    }

    fn validate(&self) -> Result<(), ActionError> {
        check("wait_for_port", "port", names::port(u64::from(self.port)))?;
        if let Some(h) = &self.host {
            check("wait_for_port", "host", names::host(h))?;
        }
        Ok(())
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let check = match &self.host {
            Some(h) => {
                let port = self.port;
                script! { nc -z #h #port; }
            }
            None => {
                let pattern = format!("^ *[0-9]+: [0-9A-F]+:{:04X} [0-9A-F]+:[0-9A-F]+ 0A ", self.port);
                script! { cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -Eq #pattern; }
            }
        };
        Ok(retry_loop(check, self.retry, &self.describe()))
    }
}

/// Waits until a file exists (or is gone).
#[derive(Debug, Clone)]
pub struct WaitForFile {
    path: String,
    absent: bool,
    retry: Retry,
}

retry_builders!(WaitForFile);

/// Waits until `path` (absolute) exists. Defaults: 5 retries, 2 s apart.
pub fn wait_for_file(path: impl Into<String>) -> WaitForFile {
    WaitForFile { path: path.into(), absent: false, retry: Retry::default() }
}

impl WaitForFile {
    /// Waits until the file is gone instead.
    pub fn absent(mut self) -> Self {
        self.absent = true;
        self
    }
}

impl Action for WaitForFile {
    fn kind(&self) -> &'static str {
        "wait_for_file"
    }

    fn describe(&self) -> String {
        format!(
            "wait_for_file {}{} ({} retries, {} s apart)",
            self.path,
            if self.absent { " absent" } else { "" },
            self.retry.retries,
            self.retry.standoff_secs
        )
    }

    fn validate(&self) -> Result<(), ActionError> {
        check("wait_for_file", "path", names::absolute_path(&self.path))
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let path = &self.path;
        let check = if self.absent {
            script! { [ ! -e #path ]; }
        } else {
            script! { [ -e #path ]; }
        };
        Ok(retry_loop(check, self.retry, &self.describe()))
    }
}

fn retry_loop(check: Script, retry: Retry, what: &str) -> Script {
    let fail = format!("{what}: gave up after {} retries", retry.retries);
    let (retries, standoff) = (retry.retries, retry.standoff_secs);
    script! {
        p_n=0;
        until #check {
            if [ $p_n -ge #retries ] { printf "%s\\n" #fail >&2; exit 1; }
            p_n=$(($p_n + 1));
            p_retried;
            sleep #standoff;
        }
    }
}

/// Runs a check until it passes (Pallet's `retry-until`), inside the one phase script.
#[derive(Debug, Clone)]
pub struct RetryUntil {
    name: String,
    check: Script,
    retry: Retry,
}

retry_builders!(RetryUntil);

/// Runs `check` until it succeeds, as step `name`: each failure waits `standoff` seconds and
/// tries again, up to `retries` more times (defaults: 5 retries, 2 s apart); every retry is
/// counted in the report; the action fails when the last try fails. It is never a change.
///
/// ```
/// # use pallet_runtime::action::retry_until;
/// # use stevedore::script;
/// let ready = retry_until("api answers", script! { curl -fsS "http://127.0.0.1:8080/health"; }).retries(10).standoff(3);
/// ```
pub fn retry_until(name: impl Into<String>, check: Script) -> RetryUntil {
    RetryUntil { name: name.into(), check, retry: Retry::default() }
}

impl Action for RetryUntil {
    fn kind(&self) -> &'static str {
        "retry_until"
    }

    fn describe(&self) -> String {
        format!("retry_until {} ({} retries, {} s apart)", self.name, self.retry.retries, self.retry.standoff_secs)
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        let check = &self.check;
        // The check runs in a subshell of its own under `set -e`, so its first failing command
        // fails the try.
        Ok(retry_loop(script! { ( set -e; #check; ); }, self.retry, &self.describe()))
    }
}
