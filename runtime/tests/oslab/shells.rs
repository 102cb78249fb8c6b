//! Whole phases with dash, bash and busybox sh as `/bin/sh` (the delivery command and the
//! phase script both run with it): one large phase of several hundred actions, megabytes of
//! file content (binary, sent as base64; text with long lines and every quoting hazard, sent as
//! `printf` lines), users, system files, scripts and waits; first `changed` with every byte
//! checked, then `ok`.

use crate::lab::{self, Boot, Container, Setup, assert_all};
use crate::{Case, Ctx};
use pallet_runtime::action::*;
use pallet_runtime::plan::Plan;
use pallet_runtime::report::Status;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use stevedore::{Os, script};

/// Per shell: a whole phase of moderate size, and a large one.
pub fn cases() -> Vec<Case> {
    macro_rules! shell {
        ($name:literal, $large:literal, $row:literal, $shell:expr) => {
            [
                Case {
                    name: $name,
                    images: &["deb12"],
                    packages: false,
                    cells: &[($row, "files"), ($row, "user & group"), ($row, "system"), ($row, "exec & wait")],
                    run: |c| scenario(c, $shell, Size::Moderate),
                },
                Case {
                    name: $large,
                    images: &["deb12"],
                    packages: false,
                    cells: &[($row, "large phase")],
                    run: |c| scenario(c, $shell, Size::Large),
                },
            ]
        };
    }
    let mut v = Vec::new();
    v.extend(shell!("shell-dash", "shell-dash-large", "dash", Shell::Dash));
    v.extend(shell!("shell-bash", "shell-bash-large", "bash", Shell::Bash));
    v.extend(shell!("shell-busybox", "shell-busybox-large", "busybox sh", Shell::Busybox));
    v
}

/// How much content a phase carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    /// 256 KiB of binary and of text.
    Moderate,
    /// 4 MiB of binary (base64: 73,000 lines), 2 MiB of text with 100 kB lines, and a file of
    /// 120,000 short lines: several hundred thousand script lines.
    Large,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shell {
    Dash,
    Bash,
    Busybox,
}

impl Shell {
    fn row(self) -> &'static str {
        match self {
            Shell::Dash => "dash",
            Shell::Bash => "bash",
            Shell::Busybox => "busybox sh",
        }
    }

    fn binary(self) -> &'static str {
        match self {
            Shell::Dash => "/bin/dash",
            Shell::Bash => "/bin/bash",
            Shell::Busybox => "/bin/busybox",
        }
    }
}

/// Directories made by small actions.
const SMALL_ACTIONS: usize = 300;

/// Lines of the file of short lines (large phase).
const SHORT_LINES: usize = 120_000;

/// Deterministic bytes (a linear congruential generator).
fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect()
}

/// Text without NUL: every quoting hazard, long and short lines, bytes that are not UTF-8.
fn text(n: usize) -> Vec<u8> {
    let hazards: &[&[u8]] = &[
        b"plain line\n",
        b"'single' \"double\" `tick` $HOME ${X:-y} $(id) \\back\\slash %s %% \\n\n",
        b"\t\ttabs and trailing spaces   \n",
        b"#!/bin/sh -e\nset -- a b; for i; do echo \"$i\"; done\n",
        b"EOF\n'EOF'\n<<EOF\n",
        b"\xff\xfe not utf-8 \xc3\x28\n",
        b"\n\n",
    ];
    let long: Vec<u8> = bytes(100_000, 7).iter().map(|b| b'a' + b % 26).collect();
    let mut out = Vec::with_capacity(n + 200_000);
    let mut i = 0;
    while out.len() < n {
        out.extend_from_slice(hazards[i % hazards.len()]);
        if i % 500 == 0 {
            out.extend_from_slice(&long);
            out.push(b'\n');
        }
        i += 1;
    }
    out.truncate(n);
    // No newline at the end: the last line is written as is.
    out.push(b'x');
    out
}

fn sha(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// The contents of a phase: (path, bytes).
type Contents = Arc<Vec<(&'static str, Vec<u8>)>>;

fn contents(size: Size) -> Contents {
    let (binary, text_bytes) = match size {
        Size::Moderate => (256 << 10, 256 << 10),
        Size::Large => (4 << 20, 2 << 20),
    };
    let mut v = vec![("/srv/big/binary", bytes(binary, 42)), ("/srv/big/text", text(text_bytes))];
    if size == Size::Large {
        let short: String = (0..SHORT_LINES).map(|i| format!("line {i}\n")).collect();
        v.push(("/srv/big/short-lines", short.into_bytes()));
    }
    assert!(v[0].1.contains(&0), "the binary content holds NUL bytes (the base64 path)");
    Arc::new(v)
}

fn big(p: &mut Plan<'_>, contents: &Contents) {
    p.add(directory("/srv/big"));
    for (path, bytes) in contents.iter() {
        p.add(remote_file(*path).content(bytes.as_slice()).mode(0o600));
    }
    for i in 0..SMALL_ACTIONS {
        p.add(directory(format!("/srv/many/d{i:03}")));
    }
    p.add(group("lab-shell"));
    p.add(user("shelluser").home("/home/shelluser").create_home(true).groups(["lab-shell"]));
    p.add(authorize_key("shelluser", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPalletShellLab shell@lab"));
    p.add(sudoers("shelluser", ["shelluser ALL=(ALL) NOPASSWD: /bin/true"]));
    p.add(cron("lab-shell", "0 * * * *", "root", "/bin/true"));
    p.add(line_in_file("/srv/big/lines", "key=value"));
    p.add(
        exec_checked_script(
            "shell features",
            script! {
                set -- a "b c" d;
                [ $# -eq 3 ];
                n=0;
                for w in $@ { n=$(($n + 1)); }
                [ $n -eq 3 ];
                case $2 {
                    "b c" => { :; }
                    _ => { false; }
                }
            },
        )
        .unchanged(),
    );
    p.add(wait_for_file("/srv/big/binary"));
    p.add(retry_until("text in place", script! { test -s /srv/big/text; }));
}

fn scenario(_: &Ctx, shell: Shell, size: Size) {
    let suffix = if size == Size::Large { "-large" } else { "" };
    let name = format!("shell-{}{suffix}", shell.row().replace(' ', "-"));
    let c = Container::start(&name, Setup::new("deb12", Boot::Idle));
    c.ok(&format!("ln -sf {} /bin/sh", shell.binary()));
    // `sh` is now that shell: the running `sh -c` is its binary.
    let exe = c.ok("readlink /proc/$$/exe; true");
    let binary = shell.binary().rsplit('/').next().unwrap();
    assert_eq!(exe.trim().rsplit('/').next(), Some(binary), "/bin/sh runs {exe}");
    let contents = contents(size);
    let os = Os::parse("debian-12").unwrap();

    let all = contents.clone();
    let first = c.phase(Some(&os), "root", move |p| big(p, &all));
    assert!(first.actions.len() > SMALL_ACTIONS, "{first:#?}");
    // Every problem at once: a status that is not the expected one, and content that did not
    // arrive byte for byte (whatever its action reported).
    let never_change = ["exec_checked_script", "wait_for_file", "retry_until"];
    let mut problems = Vec::new();
    if let Some(e) = &first.error {
        problems.push(format!("phase: {e}"));
    }
    let not_run = first.actions.iter().filter(|a| a.status == Status::NotRun).count();
    if not_run > 0 {
        problems.push(format!("{not_run} actions not run"));
    }
    for a in first.actions.iter().filter(|a| a.status != Status::NotRun) {
        let want = if never_change.contains(&a.kind.as_str()) { Status::Ok } else { Status::Changed };
        if a.status != want {
            problems.push(format!(
                "action {} ({}): {:?}, expected {want:?} {:?}",
                a.index, a.description, a.status, a.stderr
            ));
        }
    }
    for (i, (path, bytes)) in contents.iter().enumerate() {
        let sum = c.ok(&format!("sha256sum {path} 2>/dev/null || true"));
        if sum.split_whitespace().next() != Some(sha(bytes).as_str()) {
            let size = c.ok(&format!("stat -c %s {path} 2>/dev/null || echo missing"));
            let status = first.actions.iter().find(|a| a.index == i + 2).map(|a| a.status);
            problems.push(format!(
                "{path}: {} bytes sent, {} on the node, action status {status:?}",
                bytes.len(),
                size.trim()
            ));
        }
    }
    assert!(problems.is_empty(), "with {} as /bin/sh:\n{}", shell.row(), problems.join("\n"));
    assert_eq!(c.ok("ls /srv/many | wc -l").trim(), SMALL_ACTIONS.to_string());
    assert!(c.ok("id -Gn shelluser").split_whitespace().any(|g| g == "lab-shell"));

    let all = contents.clone();
    assert_all(&c.phase(Some(&os), "root", move |p| big(p, &all)), Status::Ok);
    let columns: &[&str] =
        if size == Size::Large { &["large phase"] } else { &["files", "user & group", "system", "exec & wait"] };
    for column in columns {
        lab::executed(shell.row(), column);
    }
}
