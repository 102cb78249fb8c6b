//! Facts: one probe per node per run (`/etc/os-release`, `uname`, the init system, CPUs,
//! memory, addresses, what `/bin/sh` is, and whether sudo works), parsed into [`Facts`] that
//! plans read (`Plan::facts`). Nodes whose OS the inventory states are not probed: their facts
//! hold the OS only.

use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use stevedore::os::{InitSystem, Packager};
use stevedore::{Os, script};

/// One address of a network interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IfAddr {
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length (`24` for a /24).
    pub prefix: u8,
}

/// What the probe learned about a node (Pallet's node facts; Ansible's `ansible_facts`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facts {
    /// The OS, with the init system actually running.
    pub os: Os,
    /// Was the node probed? `false` when its OS came from the inventory: then only `os` is known.
    pub probed: bool,
    /// `uname -m` (`x86_64`, `aarch64`).
    pub arch: Option<String>,
    /// `uname -r`.
    pub kernel: Option<String>,
    /// The node's host name.
    pub hostname: Option<String>,
    /// Online CPUs.
    pub cpus: Option<u32>,
    /// Total memory, in KiB (`MemTotal` of `/proc/meminfo`).
    pub memory_kib: Option<u64>,
    /// Addresses by interface (`ip -o addr`, without the `veth*` ends of container links;
    /// interface `-` when only `hostname -I` answered).
    pub addresses: BTreeMap<String, Vec<IfAddr>>,
    /// What `/bin/sh` is (its resolved path, e.g. `/usr/bin/dash`, `/bin/busybox`).
    pub shell: Option<String>,
}

impl Facts {
    /// The facts of a node that was not probed: its OS only.
    pub fn from_os(os: Os) -> Facts {
        Facts {
            os,
            probed: false,
            arch: None,
            kernel: None,
            hostname: None,
            cpus: None,
            memory_kib: None,
            addresses: BTreeMap::new(),
            shell: None,
        }
    }

    /// The init system.
    pub fn init(&self) -> Option<InitSystem> {
        self.os.init
    }

    /// The package manager.
    pub fn packager(&self) -> Option<Packager> {
        self.os.packager
    }

    /// Every address outside loopback, in interface order.
    pub fn non_loopback_addresses(&self) -> Vec<IpAddr> {
        self.addresses.values().flatten().map(|a| a.addr).filter(|a| !a.is_loopback()).collect()
    }
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
    let facts = facts_script();
    let sudo = if check_sudo {
        script! {
            if ! command -v sudo >/dev/null 2>&1 { echo #mark sudo missing; }
            else if p_sudo=$(sudo -n true 2>&1) { echo #mark sudo ok; }
            else { echo #mark sudo fail $p_sudo; }
        }
    } else {
        stevedore::Script::new()
    };
    let s = script! { #facts; #sudo; };
    // Every part is a literal or an ASCII constant: rendering cannot fail.
    s.to_bytes().unwrap_or_default()
}

/// The part of the probe that prints the facts (no sudo check): its output for an unchanged
/// node is the same from run to run, so a phase script can check that a node is still what its
/// cached facts say (`render::RenderOptions::guard`).
///
/// It runs at the top of every guarded phase, so it spawns little: `cat` (os-release),
/// `uname -m`, `readlink -f /bin/sh`, `ip` and one `awk` for the CPUs, memory and addresses;
/// kernel release and host name are read from `/proc/sys/kernel` by the shell itself.
pub fn facts_script() -> stevedore::Script {
    let mark = MARK;
    // One awk reads /proc/meminfo, /proc/cpuinfo and then `ip -o addr` on stdin. veth* are the
    // host ends of container links: they come and go with the containers and would make every
    // cached copy of the facts stale.
    let awk_prog = format!(
        "FILENAME == \"/proc/meminfo\" {{ if ($1 == \"MemTotal:\") m = $2; next }} \
         FILENAME == \"/proc/cpuinfo\" {{ if ($1 == \"processor\") c++; next }} \
         $2 !~ /^veth/ {{ print \"{MARK} addr\", $2, $4 }} \
         END {{ print \"{MARK} cpus\", c; print \"{MARK} memory\", m }}"
    );
    script! {
        echo #mark os-release-begin;
        cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null;
        echo;
        echo #mark os-release-end;
        echo #mark arch $(uname -m);
        p_k="";
        read -r p_k 2>/dev/null </proc/sys/kernel/osrelease || p_k=$(uname -r);
        echo #mark kernel $p_k;
        p_h="";
        read -r p_h 2>/dev/null </proc/sys/kernel/hostname || p_h=$(hostname 2>/dev/null);
        echo #mark hostname $p_h;
        if [ -d /run/systemd/system ] { echo #mark init systemd; }
        else if command -v openrc >/dev/null 2>&1 || [ -d /run/openrc ] { echo #mark init openrc; }
        else { echo #mark init sysvinit; }
        echo #mark shell $(readlink -f /bin/sh 2>/dev/null);
        if command -v ip >/dev/null 2>&1 {
            ip -o addr show 2>/dev/null | awk #awk_prog /proc/meminfo /proc/cpuinfo -;
        } else {
            awk #awk_prog /proc/meminfo /proc/cpuinfo </dev/null;
            echo #mark addr - $(hostname -I 2>/dev/null);
        }
    }
}

/// The lines of a probe's output that [`facts_script`] printed (without the sudo check).
pub fn facts_part(out: &[u8]) -> Vec<u8> {
    let sudo = format!("{MARK} sudo ");
    let mut v = Vec::with_capacity(out.len());
    for line in out.split_inclusive(|&b| b == b'\n') {
        if !line.starts_with(sudo.as_bytes()) {
            v.extend_from_slice(line);
        }
    }
    v
}

/// Parses the probe's output.
///
/// # Errors
/// [`FactsError`] when the OS is unknown or sudo is refused.
pub fn parse_probe(out: &[u8]) -> Result<Facts, FactsError> {
    let text = String::from_utf8_lossy(out);
    let mut os_release = String::new();
    let mut in_release = false;
    let mut facts = Facts::from_os(Os::new(stevedore::os::Family::Debian, None));
    facts.probed = true;
    let mut init = None;
    let some = |v: &str| (!v.is_empty()).then(|| v.to_string());
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(MARK).map(str::trim_start) {
            let (key, value) = rest.split_once(' ').unwrap_or((rest, ""));
            match key {
                "os-release-begin" => in_release = true,
                "os-release-end" => in_release = false,
                "arch" => facts.arch = some(value),
                "kernel" => facts.kernel = some(value),
                "hostname" => facts.hostname = some(value),
                "cpus" => facts.cpus = value.trim().parse().ok(),
                "memory" => facts.memory_kib = value.trim().parse().ok(),
                "shell" => facts.shell = some(value),
                "addr" => {
                    let mut words = value.split_whitespace();
                    let iface = words.next().unwrap_or("-").to_string();
                    for w in words {
                        let (a, p) = w.split_once('/').unwrap_or((w, ""));
                        if let Ok(addr) = a.parse::<IpAddr>() {
                            let prefix = p.parse().unwrap_or(if addr.is_ipv4() { 32 } else { 128 });
                            facts.addresses.entry(iface.clone()).or_default().push(IfAddr { addr, prefix });
                        }
                    }
                }
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
    facts.os = os;
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_runs_here_and_parses() {
        let script = probe_script(false);
        pallet_testkit::gate::assert_passes(&script);
        let text = String::from_utf8(script).unwrap();
        let out = std::process::Command::new("sh").arg("-c").arg(&text).output().unwrap();
        let facts = parse_probe(&out.stdout).unwrap();
        // The guard compares this output byte for byte, whatever /bin/sh is.
        for shell in [&["bash", "-c"][..], &["busybox", "sh", "-c"]] {
            let other = std::process::Command::new(shell[0]).args(&shell[1..]).arg(&text).output().unwrap();
            assert_eq!(String::from_utf8_lossy(&other.stdout), String::from_utf8_lossy(&out.stdout), "{shell:?}");
        }
        assert!(facts.os.family.is_some(), "{facts:?}");
        assert!(facts.arch.is_some() && facts.kernel.is_some() && facts.hostname.is_some(), "{facts:?}");
        assert!(facts.cpus.is_some_and(|c| c >= 1) && facts.memory_kib.is_some_and(|m| m > 1024), "{facts:?}");
        assert!(facts.shell.as_deref().is_some_and(|s| s.starts_with('/')), "{facts:?}");
        assert!(facts.addresses.values().flatten().any(|a| a.addr.is_loopback()), "{facts:?}");
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
