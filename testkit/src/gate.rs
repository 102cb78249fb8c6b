//! The shell gate: checks script text with every shell and linter on the machine.
//!
//! Test machinery for every crate that renders shell (stevedore's functions, pallet's actions
//! and phase scripts); it uses only `std`, so any crate can take it as a dev-dependency.
//!
//! A script passes when `dash -n`, `bash -n`, `busybox sh -n` accept it and
//! `shellcheck -s sh -S warning` reports nothing. Two shellcheck warnings are excluded because
//! fragments trip them by design: SC2034 (a variable assigned here is used by another fragment)
//! and SC2154 (a variable used here is set by the caller or the environment).
//!
//! A tool that is not installed is skipped, unless `PALLET_GATE_STRICT=1` or `CI` is set, in
//! which case its absence is a failure (so CI can never pass by skipping).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// One tool's objection.
#[derive(Debug, Clone)]
pub struct GateFailure {
    /// The command that objected, e.g. `dash -n`.
    pub tool: String,
    /// What it printed.
    pub output: String,
}

const SHELLCHECK_EXCLUDE: &str = "SC2034,SC2154";

fn strict() -> bool {
    std::env::var("PALLET_GATE_STRICT").is_ok_and(|v| v == "1")
        || std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn temp_path() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!("pallet-gate-{}-{}.sh", std::process::id(), N.fetch_add(1, Ordering::Relaxed)))
}

/// Runs every available checker on `script` (the bytes of a shell script), in the order
/// dash, bash, busybox sh, shellcheck, and collects every objection.
///
/// ```
/// assert!(pallet_testkit::gate::check(b"echo ok\n").is_ok());
/// assert!(pallet_testkit::gate::check(b"if true; then\n").is_err());
/// ```
///
/// # Errors
/// Each tool that rejected the script (or, in strict mode, is missing), with its output.
pub fn check(script: &[u8]) -> Result<(), Vec<GateFailure>> {
    let path = temp_path();
    let mut failures = Vec::new();
    if let Err(e) = std::fs::write(&path, script) {
        return Err(vec![GateFailure { tool: "write".into(), output: e.to_string() }]);
    }
    let checks: [(&str, &[&str]); 4] = [
        ("dash", &["-n"]),
        ("bash", &["-n"]),
        ("busybox", &["sh", "-n"]),
        ("shellcheck", &["-s", "sh", "-S", "warning", "-e", SHELLCHECK_EXCLUDE]),
    ];
    for (tool, args) in checks {
        let name = format!("{tool} {}", args.join(" "));
        match Command::new(tool).args(args).arg(&path).stdin(Stdio::null()).output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => failures.push(GateFailure {
                tool: name,
                output: format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !strict() => {}
            Err(e) => failures.push(GateFailure { tool: name, output: format!("cannot run: {e}") }),
        }
    }
    let _ = std::fs::remove_file(&path);
    if failures.is_empty() { Ok(()) } else { Err(failures) }
}

/// Panics with every tool's output unless `script` passes the gate. For tests and doc examples.
#[track_caller]
pub fn assert_passes(script: impl AsRef<[u8]>) {
    let script = script.as_ref();
    if let Err(failures) = check(script) {
        let mut msg = String::from("script fails the shell gate:\n");
        for f in failures {
            msg.push_str(&format!("--- {}\n{}\n", f.tool, f.output));
        }
        msg.push_str("--- script:\n");
        for (n, line) in String::from_utf8_lossy(script).lines().enumerate() {
            msg.push_str(&format!("{:4} | {line}\n", n + 1));
        }
        let _ = std::io::stderr().flush();
        panic!("{msg}");
    }
}
