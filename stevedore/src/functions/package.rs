//! Package managers: apt, dnf, yum, apk, pacman, zypper.
//!
//! Commands are non-interactive and quiet; list arguments install several packages in one call
//! (actions merge a phase's packages into one call, as Pallet did). Sources: Pallet's
//! `pallet.script.lib` (`update-package-list`, `install-package`, ...) brought up to date.
//!
//! Package names are checked with [`names::any_package_name`] (valid for at least one package
//! manager: no leading `-`, no spaces or shell characters); a name that breaks the rule makes
//! the script carry [`ScriptError::Invalid`](crate::ScriptError::Invalid), so no package
//! manager reads a name as an option (`apt-get install --help` exits 0 and installs nothing).
//! Pallet's package actions check names against the node's own package manager
//! ([`names::package_name`]) before that.

use super::checked;
use crate::names;
use crate::script::Script;
use crate::script_fn;

fn check_all(s: Script, function: &'static str, names: &[&str]) -> Script {
    checked(s, function, names.iter().map(|n| ("names", names::any_package_name(n))))
}

/// Installs `names` (already installed ones are left as they are).
pub fn install_packages(names: &[&str]) -> Script {
    check_all(imp::install_packages(names), "install_packages", names)
}

/// Removes `names`, keeping their configuration files where the manager distinguishes.
pub fn remove_packages(names: &[&str]) -> Script {
    check_all(imp::remove_packages(names), "remove_packages", names)
}

/// Removes `names` with their configuration files (`apt-get purge`, `pacman -Rns`); the same
/// as removal where the manager keeps no configuration apart.
pub fn purge_packages(names: &[&str]) -> Script {
    check_all(imp::purge_packages(names), "purge_packages", names)
}

/// Upgrades `names` to the newest available version (installed packages only on apt).
pub fn upgrade_packages(names: &[&str]) -> Script {
    check_all(imp::upgrade_packages(names), "upgrade_packages", names)
}

/// Installs `name` at `version`, replacing (even downgrading) another installed version. The
/// version is spelled as the package manager spells it: apt the full Debian version
/// (`1.22.1-9`); dnf, yum and zypper `VERSION` or `VERSION-RELEASE`. pacman and apk have no
/// implementation (a pacman repository holds one version of each package): it fails. The name
/// follows [`names::any_package_name`], the version [`names::package_version`].
pub fn install_package_version(name: &str, version: &str) -> Script {
    checked(
        imp::install_package_version(name, version),
        "install_package_version",
        [("name", names::any_package_name(name)), ("version", names::package_version(version))],
    )
}

/// Succeeds when `name` is installed at `version` (spelled as for [`install_package_version`]);
/// fails on package managers without version pinning.
pub fn package_version_installed(name: &str, version: &str) -> Script {
    checked(
        imp::package_version_installed(name, version),
        "package_version_installed",
        [("name", names::any_package_name(name)), ("version", names::package_version(version))],
    )
}

/// Succeeds when `name` is installed (a test; prints nothing).
pub fn package_installed(name: &str) -> Script {
    checked(imp::package_installed(name), "package_installed", [("name", names::any_package_name(name))])
}

/// The implementations that take names; the public functions above check them first.
mod imp {
    use crate::script_fn;

    script_fn! {
        pub(super) fn install_packages(names: &[&str]) {
            apt => { DEBIAN_FRONTEND=noninteractive apt-get -q -y install #names; }
            dnf => { dnf -q -y install #names; }
            yum => { yum -q -y install #names; }
            apk => { apk add -q #names; }
            pacman => { pacman -S --noconfirm --needed --noprogressbar #names; }
            zypper => { zypper --non-interactive --quiet install #names; }
        }

        pub(super) fn remove_packages(names: &[&str]) {
            apt => { DEBIAN_FRONTEND=noninteractive apt-get -q -y remove #names; }
            dnf => { dnf -q -y remove #names; }
            yum => { yum -q -y remove #names; }
            apk => { apk del -q #names; }
            pacman => { pacman -R --noconfirm #names; }
            zypper => { zypper --non-interactive --quiet remove #names; }
        }

        pub(super) fn purge_packages(names: &[&str]) {
            apt => { DEBIAN_FRONTEND=noninteractive apt-get -q -y purge #names; }
            dnf => { dnf -q -y remove #names; }
            yum => { yum -q -y remove #names; }
            apk => { apk del -q --purge #names; }
            pacman => { pacman -Rns --noconfirm #names; }
            zypper => { zypper --non-interactive --quiet remove --clean-deps #names; }
        }

        pub(super) fn upgrade_packages(names: &[&str]) {
            apt => { DEBIAN_FRONTEND=noninteractive apt-get -q -y install --only-upgrade #names; }
            dnf => { dnf -q -y upgrade #names; }
            yum => { yum -q -y update #names; }
            apk => { apk add -q -u #names; }
            pacman => { pacman -S --noconfirm --needed --noprogressbar #names; }
            zypper => { zypper --non-interactive --quiet update #names; }
        }

        /// Installs `name` at `version`, replacing (even downgrading) another installed version. The
        /// version is spelled as the package manager spells it: apt the full Debian version
        /// (`1.22.1-9`); dnf, yum and zypper `VERSION` or `VERSION-RELEASE`. pacman and apk have no
        /// implementation (a pacman repository holds one version of each package): it fails.
        pub(super) fn install_package_version(name: &str, version: &str) {
            apt => { DEBIAN_FRONTEND=noninteractive apt-get -q -y --allow-downgrades install #(format!("{name}={version}")); }
            dnf => { dnf -q -y install #(format!("{name}-{version}")); }
            yum => {
                yum -q -y install #(format!("{name}-{version}")) || yum -q -y downgrade #(format!("{name}-{version}"));
            }
            zypper => { zypper --non-interactive --quiet install --oldpackage #(format!("{name}={version}")); }
            _ => { echo "install_package_version: no version pinning with this package manager" >&2; exit 1; }
        }

        /// Succeeds when `name` is installed at `version` (spelled as for
        /// [`super::install_package_version`]); fails on package managers without version pinning.
        pub(super) fn package_version_installed(name: &str, version: &str) {
            apt => { [ $(dpkg-query -W -f "${Status} ${Version}" #name 2>/dev/null) = #(format!("install ok installed {version}")) ]; }
            dnf | yum | zypper => { rpm -q --quiet #(format!("{name}-{version}")); }
            _ => { false; }
        }

        pub(super) fn package_installed(name: &str) {
            apt => { dpkg-query -W -f "${Status}" #name 2>/dev/null | grep -q "ok installed$"; }
            dnf | yum | zypper => { rpm -q --quiet #name; }
            apk => { apk info -e -q #name > /dev/null; }
            pacman => { pacman -Q #name > /dev/null 2>&1; }
        }
    }
}

script_fn! {
    /// Refreshes the package index (`apt-get update`, `dnf makecache`, `apk update`, ...).
    pub fn update_package_list() {
        apt => { DEBIAN_FRONTEND=noninteractive apt-get -qq update; }
        dnf => { dnf -q -y makecache; }
        yum => { yum -q -y makecache; }
        apk => { apk update -q; }
        pacman => { pacman -Sy --noconfirm --noprogressbar; }
        zypper => { zypper --non-interactive --quiet refresh; }
    }

    /// Upgrades every installed package.
    pub fn upgrade_all_packages() {
        apt => { DEBIAN_FRONTEND=noninteractive apt-get -q -y upgrade; }
        dnf => { dnf -q -y upgrade; }
        yum => { yum -q -y update; }
        apk => { apk upgrade -q; }
        pacman => { pacman -Syu --noconfirm --noprogressbar; }
        zypper => { zypper --non-interactive --quiet update; }
    }

    /// Prints every installed package with its version, one a line (to compare before and
    /// after an upgrade).
    pub fn list_installed_packages() {
        apt => { dpkg-query -W -f "${Package} ${Version}\n"; }
        dnf | yum | zypper => { rpm -qa --qf "%{NAME} %{VERSION}-%{RELEASE}\n" | sort; }
        apk => { apk info -v | sort; }
        pacman => { pacman -Q; }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Os;

    #[test]
    fn dispatches_on_the_packager() {
        let s = install_packages(&["nginx", "redis-server"]);
        assert_eq!(
            s.render_text(&Os::parse("debian-12").unwrap()).unwrap(),
            "DEBIAN_FRONTEND=noninteractive apt-get -q -y install nginx redis-server\n"
        );
        assert_eq!(s.render_text(&Os::parse("alpine-3.20").unwrap()).unwrap(), "apk add -q nginx redis-server\n");
        assert!(s.to_bytes().is_err(), "needs a target");
    }

    #[test]
    fn names_that_are_options_or_no_package_are_refused() {
        let debian = Os::parse("debian-12").unwrap();
        for bad in ["--help", "-oDpkg::Pre-Invoke::=touch /tmp/x", "vim && id", "redis server"] {
            for s in [install_packages(&["nginx", bad]), remove_packages(&[bad]), package_installed(bad)] {
                let e = s.render_text(&debian).unwrap_err();
                assert!(matches!(&e, crate::ScriptError::Invalid { error, .. } if error.value == bad), "{bad}: {e}");
            }
        }
    }
}
