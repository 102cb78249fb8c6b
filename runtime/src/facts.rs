//! OS detection: one probe per node per run (`/etc/os-release`, `uname`, the init system, and
//! whether sudo works), parsed into the node's facts.

use serde::Serialize;
use stevedore::os::InitSystem;
use stevedore::{Os, script};

/// What the probe learned about a node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facts {
    /// The OS, with the init system actually running.
    pub os: Os,
    /// `uname -m`.
    pub arch: String,
    /// `uname -r`.
    pub kernel: String,
    /// `hostname`.
    pub hostname: String,
}

/// Why the probe's answer cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FactsError {
    /// No os-release, or unparsable.
    #[error("cannot detect the OS")]
    Os(#[source] stevedore::os::OsError),
    /// sudo refused: the admin user cannot run scripts as root.
    #[error("{cause}: {message}")]
    Sudo {
        /// Why.
        cause: SudoCause,
        /// What sudo said.
        message: String,
    },
}

/// Why sudo refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SudoCause {
    /// `sudo` is not installed on the node.
    #[error("sudo is not installed on the node")]
    Missing,
    /// sudo wants a password and none was given (`admin_user.sudo_password_env`).
    #[error("sudo needs a password for this user and none was given")]
    NeedsPassword,
    /// The given sudo password is wrong.
    #[error("the sudo password is wrong")]
    WrongPassword,
    /// The user may not use sudo at all.
    #[error("the user is not allowed to use sudo")]
    NotAllowed,
    /// Anything else.
    #[error("sudo refused")]
    Other,
}

impl SudoCause {
    /// Reads the cause from sudo's message.
    pub fn classify(message: &str) -> SudoCause {
        let m = message.to_ascii_lowercase();
        if m.contains("incorrect password") || m.contains("sorry, try again") {
            SudoCause::WrongPassword
        } else if m.contains("a password is required") || m.contains("a terminal is required") {
            SudoCause::NeedsPassword
        } else if m.contains("not in the sudoers file")
            || m.contains("is not allowed to run sudo")
            || m.contains("may not run sudo")
            || m.contains("is not allowed to execute")
        {
            SudoCause::NotAllowed
        } else if m.contains("sudo: not found") || m.contains("sudo: command not found") {
            SudoCause::Missing
        } else {
            SudoCause::Other
        }
    }
}

const MARK: &str = "PALLET_FACT";

/// The probe script. With `check_sudo`, it also runs `sudo -n true` and reports the outcome.
pub fn probe_script(check_sudo: bool) -> Vec<u8> {
    let mark = MARK;
    let sudo = if check_sudo {
        script! {
            if ! command -v sudo >/dev/null 2>&1 { echo #mark sudo missing; }
            else if p_sudo=$(sudo -n true 2>&1) { echo #mark sudo ok; }
            else { echo #mark sudo fail $p_sudo; }
        }
    } else {
        stevedore::Script::new()
    };
    let s = script! {
        echo #mark os-release-begin;
        cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null;
        echo;
        echo #mark os-release-end;
        echo #mark arch $(uname -m);
        echo #mark kernel $(uname -r);
        echo #mark hostname $(hostname 2>/dev/null || cat /proc/sys/kernel/hostname);
        if [ -d /run/systemd/system ] { echo #mark init systemd; }
        else if command -v openrc >/dev/null 2>&1 || [ -d /run/openrc ] { echo #mark init openrc; }
        else { echo #mark init sysvinit; }
        #sudo;
    };
    // Every part is a literal or an ASCII constant: rendering cannot fail.
    s.to_bytes().unwrap_or_default()
}

/// Parses the probe's output.
///
/// # Errors
/// [`FactsError`] when the OS is unknown or sudo is refused.
pub fn parse_probe(out: &[u8]) -> Result<Facts, FactsError> {
    let text = String::from_utf8_lossy(out);
    let mut os_release = String::new();
    let mut in_release = false;
    let (mut arch, mut kernel, mut hostname, mut init) = (String::new(), String::new(), String::new(), None);
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(MARK).map(str::trim_start) {
            let (key, value) = rest.split_once(' ').unwrap_or((rest, ""));
            match key {
                "os-release-begin" => in_release = true,
                "os-release-end" => in_release = false,
                "arch" => arch = value.to_string(),
                "kernel" => kernel = value.to_string(),
                "hostname" => hostname = value.to_string(),
                "init" => init = InitSystem::from_name(value),
                "sudo" if value == "missing" => {
                    return Err(FactsError::Sudo { cause: SudoCause::Missing, message: "no `sudo` in PATH".into() });
                }
                "sudo" if value.starts_with("fail") => {
                    let message = value.trim_start_matches("fail").trim().to_string();
                    return Err(FactsError::Sudo { cause: SudoCause::classify(&message), message });
                }
                _ => {}
            }
        } else if in_release {
            os_release.push_str(line);
            os_release.push('\n');
        }
    }
    let mut os = Os::from_os_release(&os_release).map_err(FactsError::Os)?;
    if let (Some(i), Some(_)) = (init, os.family) {
        os = os.with_init(i);
    }
    Ok(Facts { os, arch, kernel, hostname })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_runs_here_and_parses() {
        let script = probe_script(false);
        pallet_testkit::gate::assert_passes(&script);
        let out = std::process::Command::new("sh").arg("-c").arg(String::from_utf8(script).unwrap()).output().unwrap();
        let facts = parse_probe(&out.stdout).unwrap();
        assert!(facts.os.family.is_some(), "{facts:?}");
        assert!(!facts.arch.is_empty() && !facts.kernel.is_empty());
    }

    #[test]
    fn sudo_refusal_is_reported() {
        let out = format!(
            "{MARK} os-release-begin\nID=debian\n{MARK} os-release-end\n{MARK} sudo fail sudo: a password is required\n"
        );
        assert_eq!(
            parse_probe(out.as_bytes()),
            Err(FactsError::Sudo { cause: SudoCause::NeedsPassword, message: "sudo: a password is required".into() })
        );
        let missing = format!("{MARK} os-release-begin\nID=debian\n{MARK} os-release-end\n{MARK} sudo missing\n");
        assert!(matches!(parse_probe(missing.as_bytes()), Err(FactsError::Sudo { cause: SudoCause::Missing, .. })));
        assert_eq!(
            SudoCause::classify("admin is not in the sudoers file.  This incident will be reported."),
            SudoCause::NotAllowed
        );
        assert_eq!(
            SudoCause::classify("Sorry, try again.\nsudo: 1 incorrect password attempt"),
            SudoCause::WrongPassword
        );
    }
}
