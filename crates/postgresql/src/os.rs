//! OS support: versions, packages and paths of the distributions this crate knows.

use pallet::prelude::{Os, Packager};
use pallet::stevedore::os::FamilyGroup;

/// OS specs (as in `pallet_testkit::os::ALL`) this crate's tests run for real.
pub const OS_TESTED: &[&str] = &["debian-12"];

/// OS specs whose plans the tests render and pass through the shell gate without running them:
/// Ubuntu, RHEL 9 and its rebuilds, Fedora, Amazon Linux 2023, Alpine. Any other OS (or a
/// release missing from [`default_version`]'s table without `version` set) is refused when
/// planning.
pub const OS_RENDERED: &[&str] =
    &["ubuntu-24.04", "rhel-9", "rocky-9", "alma-9", "oracle-9", "fedora-40", "amazon-2023", "alpine-3.20"];

/// How a missing cluster is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    /// `pg_createcluster VERSION main` (Debian's postgresql-common).
    CreateCluster,
    /// `postgresql-setup --initdb` (RHEL, Fedora, Amazon Linux).
    PostgresqlSetup,
    /// `/etc/init.d/postgresql setup` (Alpine's OpenRC script).
    OpenrcSetup,
}

/// Versions, packages and paths on one distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flavor {
    /// The major version.
    pub version: u32,
    /// The server package.
    pub server_package: String,
    /// The client package (`psql`).
    pub client_package: String,
    /// The service.
    pub service: &'static str,
    /// Where the `postgres` binary is.
    pub bindir: String,
    /// The data directory.
    pub datadir: String,
    /// Where `postgresql.conf` and `pg_hba.conf` are.
    pub confdir: String,
    /// How a missing cluster is created.
    pub init: Init,
}

/// The distribution's own major version of PostgreSQL for `os`, when this crate knows the
/// release: Debian 11/12/13: 13/15/17; Ubuntu 20.04/22.04/24.04: 12/14/16; RHEL 9 and its
/// rebuilds: 13; Fedora 39-41: 15/16/16; Amazon Linux 2023: 15; Alpine 3.18-3.20: 15/16/16.
pub fn default_version(os: &Os) -> Option<u32> {
    let family = os.family?.name();
    let v = os.version.as_ref()?;
    let (major, minor) = (v.major(), v.minor());
    Some(match (family, major, minor) {
        ("debian", 11, _) => 13,
        ("debian", 12, _) => 15,
        ("debian", 13, _) => 17,
        ("ubuntu", 20, 4) => 12,
        ("ubuntu", 22, 4) => 14,
        ("ubuntu", 24, 4) => 16,
        ("rhel" | "rocky" | "alma" | "oracle", 9, _) => 13,
        ("fedora", 39, _) => 15,
        ("fedora", 40 | 41, _) => 16,
        ("amazon", 2023, _) => 15,
        ("alpine", 3, 18) => 15,
        ("alpine", 3, 19 | 20) => 16,
        _ => return None,
    })
}

/// The flavor of `os`, at `version` when given (else the distribution's own).
///
/// # Errors
/// The refusal, naming this crate: an OS it does not support, a release whose version it does
/// not know (set `version`), or another version than the distribution's on the RHEL family.
pub fn flavor(os: &Os, version: Option<u32>) -> Result<Flavor, String> {
    let known = default_version(os);
    let unsupported = || {
        format!(
            "pallet-postgresql does not support {os}: it supports the Debian family, the RHEL family with dnf, and Alpine"
        )
    };
    let pick = || {
        version
            .or(known)
            .ok_or_else(|| format!("pallet-postgresql does not know the PostgreSQL version of {os}: set `version`"))
    };
    if os.in_group(FamilyGroup::DebianLike) {
        let v = pick()?;
        Ok(Flavor {
            version: v,
            server_package: format!("postgresql-{v}"),
            client_package: format!("postgresql-client-{v}"),
            service: "postgresql",
            bindir: format!("/usr/lib/postgresql/{v}/bin"),
            datadir: format!("/var/lib/postgresql/{v}/main"),
            confdir: format!("/etc/postgresql/{v}/main"),
            init: Init::CreateCluster,
        })
    } else if os.is_rhel_like() && os.packager == Some(Packager::Dnf) {
        let v = pick()?;
        if known.is_some_and(|k| k != v) {
            return Err(format!(
                "pallet-postgresql supports only the distribution's PostgreSQL ({}) on {os}",
                known.unwrap_or_default()
            ));
        }
        let amazon = os.family.is_some_and(|f| f.name() == "amazon");
        Ok(Flavor {
            version: v,
            server_package: if amazon { format!("postgresql{v}-server") } else { "postgresql-server".into() },
            client_package: if amazon { format!("postgresql{v}") } else { "postgresql".into() },
            service: "postgresql",
            bindir: "/usr/bin".into(),
            datadir: "/var/lib/pgsql/data".into(),
            confdir: "/var/lib/pgsql/data".into(),
            init: Init::PostgresqlSetup,
        })
    } else if os.in_group(FamilyGroup::AlpineLike) {
        let v = pick()?;
        Ok(Flavor {
            version: v,
            server_package: format!("postgresql{v}"),
            client_package: format!("postgresql{v}-client"),
            service: "postgresql",
            bindir: format!("/usr/libexec/postgresql{v}"),
            datadir: format!("/var/lib/postgresql/{v}/data"),
            confdir: format!("/var/lib/postgresql/{v}/data"),
            init: Init::OpenrcSetup,
        })
    } else {
        Err(unsupported())
    }
}
