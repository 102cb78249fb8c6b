//! dnf, zypper and pacman for real: the package, package_source and package_manager actions,
//! rendered for Fedora, openSUSE and Arch, run in containers of the `pkg` image against local
//! repositories of the test packages (see `fixtures.rs`). Each manager gets a container of its
//! own with the node's repository (`lab`, holding `pallet-hello` 1.0) configured as the
//! distribution's own repositories would be.

use crate::lab::{self, Boot, Container, Setup, assert_all, stderr_of};
use crate::{Case, Ctx};
use pallet_runtime::action::*;
use pallet_runtime::plan::Plan;
use pallet_runtime::report::Status;
use stevedore::Os;

/// One case per package manager.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "dnf",
            images: &["pkg"],
            packages: true,
            cells: &[("dnf", "package"), ("dnf", "version pin"), ("dnf", "package_source"), ("dnf", "package_manager")],
            run: |c| scenario(c, Manager::Dnf),
        },
        Case {
            name: "zypper",
            images: &["pkg"],
            packages: true,
            cells: &[
                ("zypper", "package"),
                ("zypper", "version pin"),
                ("zypper", "package_source"),
                ("zypper", "package_manager"),
            ],
            run: |c| scenario(c, Manager::Zypper),
        },
        Case {
            name: "pacman",
            images: &["pkg"],
            packages: true,
            cells: &[("pacman", "package"), ("pacman", "package_source"), ("pacman", "package_manager")],
            run: |c| scenario(c, Manager::Pacman),
        },
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Manager {
    Dnf,
    Zypper,
    Pacman,
}

impl Manager {
    fn os(self) -> Os {
        let spec = match self {
            Manager::Dnf => "fedora-40",
            Manager::Zypper => "opensuse-15.6",
            Manager::Pacman => "arch",
        };
        Os::parse(spec).unwrap()
    }

    fn row(self) -> &'static str {
        match self {
            Manager::Dnf => "dnf",
            Manager::Zypper => "zypper",
            Manager::Pacman => "pacman",
        }
    }

    fn rpm(self) -> bool {
        self != Manager::Pacman
    }

    /// The file of package `name` at `version` under the test packages' directory.
    fn file(self, name: &str, version: &str) -> String {
        if self.rpm() {
            format!("rpm/{name}-{version}-1.noarch.rpm")
        } else {
            format!("pacman/{name}-{version}-1-any.pkg.tar.gz")
        }
    }

    /// Puts package `name` at `version` into the repository at `dir` (named `repo`) and indexes it.
    fn publish(self, c: &Container, dir: &str, repo: &str, name: &str, version: &str) {
        let file = self.file(name, version);
        let base = file.rsplit('/').next().unwrap();
        let index = if self.rpm() {
            format!("createrepo_c -q --update {dir}")
        } else {
            format!("repo-add -q {dir}/{repo}.db.tar.gz {dir}/{base}")
        };
        c.ok(&format!("mkdir -p {dir} && cp /lab/{file} {dir}/ && {index}"));
    }

    /// The node's own repository configuration, as the distribution would ship it (pointing at
    /// the lab's local repository; unsigned test packages, so no signature checks).
    fn configure_node(self, c: &Container) {
        let cmd = match self {
            Manager::Dnf => {
                "printf '[lab]\\nname=lab\\nbaseurl=file:///srv/repo\\nenabled=1\\ngpgcheck=0\\n' >/etc/yum.repos.d/lab.repo"
            }
            Manager::Zypper => {
                "printf '[lab]\\nname=lab\\nbaseurl=file:///srv/repo\\nenabled=1\\nautorefresh=1\\ngpgcheck=0\\ntype=rpm-md\\n' >/etc/zypp/repos.d/lab.repo"
            }
            Manager::Pacman => "printf '\\n[lab]\\nSigLevel = Never\\nServer = file:///srv/repo\\n' >>/etc/pacman.conf",
        };
        c.ok(cmd);
    }

    /// The installed version of `name` as the package database tells it (`None`: not installed).
    fn installed(self, c: &Container, name: &str) -> Option<String> {
        let cmd = if self.rpm() {
            format!("rpm -q --qf '%{{VERSION}}-%{{RELEASE}}' {name}")
        } else {
            format!("q=$(pacman -Q {name}) && echo \"${{q#* }}\"")
        };
        let out = c.sh(&cmd);
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// The package source of the second repository (`/srv/extra`).
    fn extra_source(self) -> PackageSource {
        let s = package_source("pallet-extra");
        match self {
            Manager::Dnf => s.yum("file:///srv/extra", None),
            Manager::Zypper => s.zypper("file:///srv/extra", None),
            Manager::Pacman => s.pacman("file:///srv/extra", Some("Never".into())),
        }
    }
}

/// Installed at `version`: the package database and the installed file agree.
#[track_caller]
fn assert_installed(m: Manager, c: &Container, name: &str, version: &str) {
    assert_eq!(m.installed(c, name).as_deref(), Some(format!("{version}-1").as_str()), "{name} in the database");
    assert_eq!(c.read(&format!("/opt/{name}/version")).as_deref(), Some(version), "{name}'s file");
}

#[track_caller]
fn assert_absent(m: Manager, c: &Container, name: &str) {
    assert_eq!(m.installed(c, name), None, "{name} still in the database");
    assert_eq!(c.read(&format!("/opt/{name}/version")), None, "{name}'s file still there");
}

fn scenario(ctx: &Ctx, m: Manager) {
    let dir = ctx.packages.as_ref().expect("the test packages");
    let c = Container::start(m.row(), Setup::new("pkg", Boot::Idle).mount(dir, "/lab"));
    let os = m.os();
    m.publish(&c, "/srv/repo", "lab", "pallet-hello", "1.0");
    m.configure_node(&c);
    let phase = |f: fn(&mut Plan<'_>)| c.phase(Some(&os), "root", f);

    // Install (after refreshing the index), then nothing to do.
    let install = |p: &mut Plan<'_>| {
        p.add(package_manager(PackageManager::Update));
        p.add(package("pallet-hello"));
    };
    assert_all(&phase(install), Status::Changed);
    assert_installed(m, &c, "pallet-hello", "1.0");
    assert_all(&phase(install), Status::Ok);

    // A package no repository has: the action fails, naming it in the manager's words.
    let r = phase(|p| p.add(package("pallet-missing")));
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    let err = stderr_of(&r, 1);
    let words = match m {
        Manager::Dnf => "Unable to find a match: pallet-missing",
        Manager::Zypper => "No provider of 'pallet-missing' found",
        Manager::Pacman => "target not found: pallet-missing",
    };
    assert!(err.contains(words), "{m:?}: {err:?}");

    // A newer version in the repository: update the index, upgrade the package, then nothing.
    m.publish(&c, "/srv/repo", "lab", "pallet-hello", "1.1");
    let upgrade = |p: &mut Plan<'_>| {
        p.add(package_manager(PackageManager::Update));
        p.add(package("pallet-hello").upgrade());
    };
    assert_all(&phase(upgrade), Status::Changed);
    assert_installed(m, &c, "pallet-hello", "1.1");
    assert_all(&phase(upgrade), Status::Ok);
    lab::executed(m.row(), "package");

    // Version pinning: back to 1.0 (a downgrade), then nothing; pacman refuses it by name.
    let pin = |p: &mut Plan<'_>| p.add(package("pallet-hello").version("1.0"));
    if m == Manager::Pacman {
        let r = phase(pin);
        let err = r.error.clone().unwrap_or_default();
        assert!(r.status == Status::Failed && err.contains("no version pinning with pacman"), "{r:#?}");
        c.ok("pacman -U --noconfirm /lab/pacman/pallet-hello-1.0-1-any.pkg.tar.gz >/dev/null 2>&1");
    } else {
        assert_all(&phase(pin), Status::Changed);
        assert_installed(m, &c, "pallet-hello", "1.0");
        assert_all(&phase(pin), Status::Ok);
        lab::executed(m.row(), "version pin");
    }

    // Upgrade everything: 1.0 is installed, 1.1 is in the repository.
    let upgrade_all = |p: &mut Plan<'_>| p.add(package_manager(PackageManager::Upgrade));
    assert_installed(m, &c, "pallet-hello", "1.0");
    assert_all(&phase(upgrade_all), Status::Changed);
    assert_installed(m, &c, "pallet-hello", "1.1");
    assert_all(&phase(upgrade_all), Status::Ok);

    // Remove, then nothing; install and purge.
    let remove = |p: &mut Plan<'_>| p.add(package("pallet-hello").remove());
    assert_all(&phase(remove), Status::Changed);
    assert_absent(m, &c, "pallet-hello");
    assert_all(&phase(remove), Status::Ok);
    assert_all(&phase(install), Status::Changed);
    assert_all(&phase(|p| p.add(package("pallet-hello").purge())), Status::Changed);
    assert_absent(m, &c, "pallet-hello");

    // A second repository added by package_source, and a package only it has.
    m.publish(&c, "/srv/extra", "pallet-extra", "pallet-extra", "1.0");
    let source = move |p: &mut Plan<'_>| {
        p.add(m.extra_source());
        p.add(package("pallet-extra"));
    };
    let r = c.phase(Some(&os), "root", source);
    assert_all(&r, Status::Changed);
    assert_installed(m, &c, "pallet-extra", "1.0");
    assert_all(&c.phase(Some(&os), "root", source), Status::Ok);
    lab::executed(m.row(), "package_source");

    // A proxy (dnf only): the real dnf still reads its configuration.
    if m == Manager::Dnf {
        let proxy = |p: &mut Plan<'_>| p.add(package_manager(PackageManager::Proxy("http://127.0.0.1:3128".into())));
        assert_all(&phase(proxy), Status::Changed);
        assert!(c.holds("grep -qx 'proxy=http://127.0.0.1:3128' /etc/dnf/dnf.conf"));
        assert_all(&phase(proxy), Status::Ok);
        c.ok("dnf -q -y makecache");
    }
    lab::executed(m.row(), "package_manager");
}
