//! Test helpers: run a rendered phase with a local shell and collect its results.
#![allow(dead_code)]

use pallet_runtime::action::Action;
use pallet_runtime::render::{Event, Payload, RecordParser, RenderOptions, render_phase};
use std::path::Path;
use std::process::Command;
use stevedore::Os;

/// What a phase run printed, parsed.
#[derive(Debug)]
pub struct Run {
    pub statuses: Vec<(usize, String, i32)>,
    pub stderr: Vec<(usize, String)>,
    pub output: Vec<String>,
    pub stray: Vec<String>,
    pub values: Vec<(String, String)>,
    pub flags: Vec<String>,
    pub done: bool,
    pub exit: i32,
}

impl Run {
    pub fn status_of(&self, index: usize) -> &str {
        self.statuses.iter().find(|s| s.0 == index).map(|s| s.1.as_str()).unwrap_or("not run")
    }

    pub fn changed(&self) -> usize {
        self.statuses.iter().filter(|s| s.1 == "changed").count()
    }

    pub fn all(&self, status: &str) -> bool {
        !self.statuses.is_empty() && self.statuses.iter().all(|s| s.1 == status)
    }
}

/// Runs `text` with `sh` and its payload (as the transports deliver it: the payload's file as the
/// first argument), optionally chrooted into `root` (in a private mount namespace with /proc
/// mounted), and parses the records.
pub fn run_script(text: &[u8], payload: &Payload, nonce: &str, root: Option<&Path>) -> Run {
    run_script_with("sh", text, payload, nonce, root)
}

/// As [`run_script`], with `shell` (`dash`, `bash`, `busybox sh`...) instead of `sh`.
pub fn run_script_with(shell: &str, text: &[u8], payload: &Payload, nonce: &str, root: Option<&Path>) -> Run {
    let dir = tempfile_dir("phase");
    let script = dir.join("phase.sh");
    let data: Vec<u8> = payload.chunks().concat();
    let out = match root {
        None => {
            std::fs::write(&script, text).unwrap();
            std::fs::write(dir.join("phase.data"), &data).unwrap();
            let mut words = shell.split_whitespace();
            Command::new(words.next().unwrap())
                .args(words)
                .arg(&script)
                .arg(dir.join("phase.data"))
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap()
        }
        Some(r) => {
            let inside = r.join("tmp/pallet-phase.sh");
            std::fs::write(&inside, text).unwrap();
            std::fs::write(r.join("tmp/pallet-phase.data"), &data).unwrap();
            let cmd = format!(
                "mount -t proc proc {r}/proc && exec chroot {r} /bin/sh /tmp/pallet-phase.sh /tmp/pallet-phase.data",
                r = r.display()
            );
            Command::new("unshare")
                .args(["-m", "--propagation", "private", "sh", "-c", &cmd])
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap()
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    parse_output(&out, nonce)
}

/// Parses a finished phase process's output.
pub fn parse_output(out: &std::process::Output, nonce: &str) -> Run {
    let mut p = RecordParser::new(nonce);
    let mut events = p.feed(&out.stdout);
    events.extend(p.finish());
    let mut run = Run {
        statuses: vec![],
        stderr: vec![],
        output: vec![],
        stray: vec![],
        values: vec![],
        flags: vec![],
        done: false,
        exit: out.status.code().unwrap_or(-1),
    };
    for e in events {
        match e {
            Event::Action { index, status, code, .. } => run.statuses.push((index, status.word().to_string(), code)),
            Event::Stderr { index, text } => run.stderr.push((index, String::from_utf8_lossy(&text).into_owned())),
            Event::Output { text, .. } => run.output.extend(String::from_utf8_lossy(&text).lines().map(str::to_string)),
            Event::Stray(l) => run.stray.push(String::from_utf8_lossy(&l).into_owned()),
            Event::Flag(f) => run.flags.push(f),
            Event::Done => run.done = true,
            Event::Facts(_) => {}
            Event::Value { name, bytes, .. } => run.values.push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    if !out.stderr.is_empty() {
        run.stderr.push((0, String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    run
}

/// Renders `actions` for `os` and runs them (state dir `state`).
pub fn run_actions(actions: &[Box<dyn Action>], os: &Os, state: &str, check: bool, root: Option<&Path>) -> Run {
    let mut o = RenderOptions::new("configure", "test-node");
    o.state_dir = state.to_string();
    o.check = check;
    let phase = render_phase(actions, os, &o).unwrap_or_else(|e| panic!("render: {e}"));
    pallet_testkit::gate::assert_passes(&phase.text);
    run_script(&phase.text, &phase.payload, &phase.nonce, root)
}

/// A fresh empty directory under the system temp dir.
pub fn tempfile_dir(name: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "pallet-test-{}-{name}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Boxes actions.
#[macro_export]
macro_rules! actions {
    ($($a:expr),* $(,)?) => { vec![$(Box::new($a) as Box<dyn pallet_runtime::action::Action>),*] };
}
