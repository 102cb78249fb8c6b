//! OS support: what differs between the distributions this crate knows.

use pallet::prelude::{Os, Packager};
use pallet::stevedore::os::FamilyGroup;

/// OS specs (as in `pallet_testkit::os::ALL`) this crate's tests run for real.
pub const OS_TESTED: &[&str] = &["debian-12"];

/// OS specs whose plans the tests render and pass through the shell gate without running them:
/// the Debian family, RHEL 9 and its rebuilds, Fedora, and Alpine. Amazon Linux (its `redis6`
/// package) and every other OS are refused when planning.
pub const OS_RENDERED: &[&str] =
    &["ubuntu-24.04", "rhel-9", "rocky-9", "alma-9", "oracle-9", "fedora-40", "alpine-3.20"];

/// Paths and names on one distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flavor {
    /// The server package.
    pub package: &'static str,
    /// The service.
    pub service: &'static str,
    /// The main configuration file this crate owns.
    pub conf: &'static str,
    /// The file holding `requirepass` (secret).
    pub auth: &'static str,
    /// Does the service manager expect Redis to daemonize itself (Debian's init script)?
    pub daemonize: bool,
    /// The pid file.
    pub pidfile: &'static str,
    /// The log file.
    pub logfile: &'static str,
    /// The data directory.
    pub dir: &'static str,
}

/// The distribution flavor of `os`.
///
/// # Errors
/// The refusal, naming this crate and what it supports, for any other OS.
pub fn flavor(os: &Os) -> Result<Flavor, String> {
    let rhel = Flavor {
        package: "redis",
        service: "redis",
        conf: "/etc/redis/redis.conf",
        auth: "/etc/redis/pallet-auth.conf",
        daemonize: false,
        pidfile: "/run/redis/redis.pid",
        logfile: "/var/log/redis/redis.log",
        dir: "/var/lib/redis",
    };
    if os.in_group(FamilyGroup::DebianLike) {
        Ok(Flavor {
            package: "redis-server",
            service: "redis-server",
            daemonize: true,
            pidfile: "/run/redis/redis-server.pid",
            logfile: "/var/log/redis/redis-server.log",
            ..rhel
        })
    } else if os.is_rhel_like() && os.packager == Some(Packager::Dnf) && os.family.is_some_and(|f| f.name() != "amazon")
    {
        Ok(rhel)
    } else if os.in_group(FamilyGroup::AlpineLike) {
        Ok(Flavor { conf: "/etc/redis.conf", auth: "/etc/redis-pallet-auth.conf", ..rhel })
    } else {
        Err(format!(
            "pallet-redis does not support {os}: it supports the Debian family, RHEL 9 and its rebuilds, Fedora, and Alpine"
        ))
    }
}
