//! OS support: what differs between the distributions this crate knows.

use pallet::prelude::{Os, Packager};
use pallet::stevedore::os::FamilyGroup;

/// OS specs (as in `pallet_testkit::os::ALL`) this crate's tests run for real: a container of
/// the Debian 12 base image.
pub const OS_TESTED: &[&str] = &["debian-12"];

/// OS specs whose plans this crate's tests render and pass through the shell gate (dash, bash,
/// busybox sh, shellcheck) without running them: the Debian family, the RHEL family on dnf, and
/// Alpine. Any other OS is refused when planning.
pub const OS_RENDERED: &[&str] =
    &["ubuntu-24.04", "rhel-9", "rocky-9", "alma-9", "oracle-9", "fedora-40", "amazon-2023", "alpine-3.20"];

/// Paths and names on one distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flavor {
    /// The package.
    pub package: &'static str,
    /// The service.
    pub service: &'static str,
    /// The main configuration file this crate owns.
    pub conf: &'static str,
    /// The user worker processes run as.
    pub user: &'static str,
    /// The pid file.
    pub pid: &'static str,
    /// The include line for dynamic modules.
    pub modules: &'static str,
    /// The default web root.
    pub web_root: &'static str,
}

/// The distribution flavor of `os`.
///
/// # Errors
/// The refusal, naming this crate and what it supports, for any other OS.
pub fn flavor(os: &Os) -> Result<Flavor, String> {
    let base = Flavor {
        package: "nginx",
        service: "nginx",
        conf: "/etc/nginx/nginx.conf",
        user: "www-data",
        pid: "/run/nginx.pid",
        modules: "/etc/nginx/modules-enabled/*.conf",
        web_root: "/var/www/html",
    };
    if os.in_group(FamilyGroup::DebianLike) {
        Ok(base)
    } else if os.is_rhel_like() && os.packager == Some(Packager::Dnf) {
        Ok(Flavor {
            user: "nginx",
            modules: "/usr/share/nginx/modules/*.conf",
            web_root: "/usr/share/nginx/html",
            ..base
        })
    } else if os.in_group(FamilyGroup::AlpineLike) {
        Ok(Flavor {
            user: "nginx",
            pid: "/run/nginx/nginx.pid",
            modules: "/etc/nginx/modules/*.conf",
            web_root: "/var/lib/nginx/html",
            ..base
        })
    } else {
        Err(format!(
            "pallet-nginx does not support {os}: it supports the Debian family, the RHEL family with dnf, and Alpine"
        ))
    }
}
