//! The matrix of README.md's testing section: OS or manager × action family, each cell
//! `executed` (a lab case ran it for real and its checks passed, recorded with
//! [`crate::lab::executed`]), `fails` (the lab case that executes it fails), `rendered` (it renders for that OS and passes the shell gate, but
//! no lab case runs it), `not supported` (rendering fails: the library has no implementation for
//! that OS), or empty (the family does not depend on that row).

use crate::lab;
use pallet_runtime::action::*;
use pallet_runtime::render::{RenderOptions, render_phase};
use stevedore::Os;
use stevedore::os::InitSystem;

/// What a row varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// A whole distribution (every family applies).
    Distribution,
    /// A package manager.
    Packager,
    /// An init system.
    Init,
    /// A user-management flavour.
    Users,
    /// The program `/bin/sh` is.
    Shell,
}

/// A row of the matrix.
pub struct Row {
    /// Its name (also what [`lab::executed`] takes).
    pub name: &'static str,
    /// What it varies.
    pub axis: Axis,
    /// The OS its cells are rendered for.
    pub os: fn() -> Os,
}

/// A column: an action family.
pub struct Column {
    /// Its name (also what [`lab::executed`] takes).
    pub name: &'static str,
    /// The axes whose rows it applies to.
    pub axes: &'static [Axis],
    /// Actions of the family, rendered for a row's OS to tell `rendered` from `not supported`
    /// (empty: nothing to render).
    pub sample: fn() -> Vec<Box<dyn Action>>,
}

fn os(spec: &str) -> Os {
    Os::parse(spec).expect("a known OS spec")
}

/// The rows, in order.
pub static ROWS: &[Row] = &[
    Row { name: "Debian 12", axis: Axis::Distribution, os: || os("debian-12").with_init(InitSystem::Sysvinit) },
    Row { name: "Debian 13", axis: Axis::Distribution, os: || os("debian-13").with_init(InitSystem::Sysvinit) },
    Row { name: "apt", axis: Axis::Packager, os: || os("debian-12") },
    Row { name: "dnf", axis: Axis::Packager, os: || os("fedora-40") },
    Row { name: "yum", axis: Axis::Packager, os: || os("centos-7") },
    Row { name: "zypper", axis: Axis::Packager, os: || os("opensuse-15.6") },
    Row { name: "pacman", axis: Axis::Packager, os: || os("arch") },
    Row { name: "apk", axis: Axis::Packager, os: || os("alpine-3.20") },
    Row { name: "systemd", axis: Axis::Init, os: || os("debian-12").with_init(InitSystem::Systemd) },
    Row { name: "openrc", axis: Axis::Init, os: || os("debian-12").with_init(InitSystem::Openrc) },
    Row { name: "sysvinit", axis: Axis::Init, os: || os("debian-12").with_init(InitSystem::Sysvinit) },
    Row { name: "shadow", axis: Axis::Users, os: || os("debian-12") },
    Row { name: "shadow_short", axis: Axis::Users, os: || os("fedora-40") },
    Row { name: "busybox adduser", axis: Axis::Users, os: || os("alpine-3.20") },
    Row { name: "dash", axis: Axis::Shell, os: || os("debian-12") },
    Row { name: "bash", axis: Axis::Shell, os: || os("debian-12") },
    Row { name: "busybox sh", axis: Axis::Shell, os: || os("debian-12") },
];

const PACKAGES: &[Axis] = &[Axis::Distribution, Axis::Packager];
const SERVICES: &[Axis] = &[Axis::Distribution, Axis::Init];
const USERS: &[Axis] = &[Axis::Distribution, Axis::Users, Axis::Shell];
const GENERIC: &[Axis] = &[Axis::Distribution, Axis::Shell];

fn boxed(v: Vec<Box<dyn Action>>) -> Vec<Box<dyn Action>> {
    v
}

/// The columns, in order.
pub static COLUMNS: &[Column] = &[
    Column {
        name: "package",
        axes: PACKAGES,
        sample: || {
            boxed(vec![
                Box::new(package("a")),
                Box::new(package("b").remove()),
                Box::new(package("c").upgrade()),
                Box::new(package("d").purge()),
            ])
        },
    },
    Column { name: "version pin", axes: PACKAGES, sample: || boxed(vec![Box::new(package("a").version("1.0-1"))]) },
    Column {
        name: "package_source",
        axes: PACKAGES,
        sample: || {
            boxed(vec![Box::new(
                package_source("lab")
                    .apt("http://deb.example/debian", "stable", ["main"], None)
                    .yum("http://rpm.example/repo", None)
                    .zypper("http://rpm.example/repo", None)
                    .pacman("http://pkg.example/$arch", None),
            )])
        },
    },
    Column {
        name: "package_manager",
        axes: PACKAGES,
        sample: || {
            boxed(vec![
                Box::new(package_manager(PackageManager::Update)),
                Box::new(package_manager(PackageManager::Upgrade)),
            ])
        },
    },
    Column {
        name: "service",
        axes: SERVICES,
        sample: || {
            boxed(vec![
                Box::new(service("s").start().enable(true)),
                Box::new(service("s").reload().if_flag("f")),
                Box::new(service("s").restart()),
                Box::new(service("s").stop().enable(false)),
            ])
        },
    },
    Column {
        name: "user & group",
        axes: USERS,
        sample: || {
            boxed(vec![
                Box::new(group("g").system(true)),
                Box::new(user("u").home("/home/u").create_home(true).groups(["g"])),
                Box::new(user("u").action(UserAction::Lock)),
                Box::new(user("u").action(UserAction::Remove).remove_home(true)),
                Box::new(group("g").remove()),
            ])
        },
    },
    Column {
        name: "files",
        axes: GENERIC,
        sample: || {
            boxed(vec![
                Box::new(directory("/srv/d").mode(0o750)),
                Box::new(file("/srv/d/f")),
                Box::new(symbolic_link("/srv/d", "/srv/l")),
                Box::new(remote_file("/srv/d/c").content("c\n")),
                Box::new(line_in_file("/srv/d/c", "x=1")),
                Box::new(sed("/srv/d/c", [("^c$", "d")])),
            ])
        },
    },
    Column {
        name: "system",
        axes: GENERIC,
        sample: || {
            boxed(vec![
                Box::new(sudoers("u", ["u ALL=(ALL) NOPASSWD:ALL"])),
                Box::new(authorize_key("u", "ssh-ed25519 AAAA u@h")),
                Box::new(hostname("h")),
                Box::new(cron("c", "* * * * *", "root", "true")),
            ])
        },
    },
    Column {
        name: "exec & wait",
        axes: GENERIC,
        sample: || {
            boxed(vec![
                Box::new(exec_script(stevedore::script! { true; })),
                Box::new(wait_for_file("/srv/d/f")),
                Box::new(wait_for_port(22)),
                Box::new(retry_until("r", stevedore::script! { true; })),
            ])
        },
    },
    Column { name: "OS detection", axes: &[Axis::Distribution, Axis::Init, Axis::Users], sample: Vec::new },
    Column {
        name: "large phase",
        axes: &[Axis::Shell],
        sample: || boxed(vec![Box::new(remote_file("/srv/big").content(vec![b'x'; 1 << 20]))]),
    },
];

/// What a cell says when nothing executed it.
fn unexecuted(row: &Row, column: &Column) -> &'static str {
    let actions = (column.sample)();
    if actions.is_empty() {
        return "not run";
    }
    let o = RenderOptions::new("configure", "matrix");
    match render_phase(&actions, &(row.os)(), &o) {
        Ok(p) if pallet_testkit::gate::check(&p.text).is_ok() => "rendered",
        Ok(_) => "fails the shell gate",
        Err(_) => "not supported",
    }
}

/// The markdown table from the recorded cells; `failing` are cells of cases that failed
/// (shown as failing unless another case executed them).
pub fn render(failing: &[(&str, &str)]) -> String {
    let cells = lab::executed_cells();
    let mut out = String::from("| OS, manager, init, users or shell |");
    for c in COLUMNS {
        out.push_str(&format!(" {} |", c.name));
    }
    out.push_str("\n|---|");
    for _ in COLUMNS {
        out.push_str("---|");
    }
    out.push('\n');
    for row in ROWS {
        out.push_str(&format!("| {} |", row.name));
        for column in COLUMNS {
            let cell = if !column.axes.contains(&row.axis) {
                ""
            } else if cells.iter().any(|(r, c)| r == row.name && c == column.name) {
                "**executed**"
            } else if failing.contains(&(row.name, column.name)) {
                "**fails**"
            } else {
                unexecuted(row, column)
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

/// The markers around the generated table in README.md.
pub const BEGIN: &str = "<!-- oslab matrix: generated by `cargo test -p pallet-runtime --test oslab`; do not edit -->";
/// The end marker.
pub const END: &str = "<!-- end of oslab matrix -->";

/// Compares README.md's table with `table`; with `PALLET_OSLAB_WRITE_README=1`, rewrites it.
pub fn check_readme(table: &str) -> Result<(), String> {
    let path = lab::repo_root().join("README.md");
    let readme = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (Some(b), Some(e)) = (readme.find(BEGIN), readme.find(END)) else {
        return Err(format!("README.md has no matrix markers ({BEGIN} ... {END})"));
    };
    let current = &readme[b + BEGIN.len()..e];
    let want = format!("\n{table}");
    if current == want {
        return Ok(());
    }
    if std::env::var("PALLET_OSLAB_WRITE_README").is_ok_and(|v| v == "1") {
        let updated = format!("{}{BEGIN}{want}{}", &readme[..b], &readme[e..]);
        std::fs::write(&path, updated).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("oslab: README.md's matrix rewritten");
        return Ok(());
    }
    Err(format!(
        "README.md's matrix differs from what the lab ran; rerun with PALLET_OSLAB_WRITE_README=1 and review the diff.\nGenerated:\n{table}\nIn README.md:\n{}",
        current.trim_start()
    ))
}
