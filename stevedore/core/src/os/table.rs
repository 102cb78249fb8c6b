//! The OS table: one row per OS family, holding everything stevedore knows about it.
//!
//! Adding an OS family means adding one row here (and reviewing the snapshots it moves): the
//! [`Family`] enum, the `script_fn!` arm names, os-release detection, the package manager and
//! init system by version, the family groups, `/bin/sh`, the user tools and the providers'
//! image hints all come from this table.
//!
//! A row reads:
//!
//! ```text
//! /// Docs of the Family variant.
//! Variant = "name" {
//!     ids: ["id", ...],                  // os-release ID values naming the family (and OS specs)
//!     like: ["alias", ...],              // further names that mean it in ID_LIKE
//!     groups: [RhelLike, ...],           // the FamilyGroups it belongs to
//!     packager: [Yum, "8" => Dnf],       // oldest first; `"8" => Dnf`: dnf from version 8 on
//!     init: [Sysvinit, "7" => Systemd],  // same form
//!     sh: Bash,                          // what /bin/sh is
//!     users: ShadowShort,                // the user-management flavour
//!     ec2_image: "pattern-{version}*",   // EC2 image name filter; `{version}` is replaced
//! }
//! ```
//!
//! Versions compare numerically per dot-separated component; a version that is unknown (rolling
//! releases, or none given) gets the newest entry. Sources: the distributions' os-release files
//! (freedesktop.org `os-release(5)`), Pallet's `packager-for-os`, and the distributions' release
//! notes for the switch to dnf (Fedora 22, RHEL 8, Amazon Linux 2023) and systemd (Debian 8,
//! Ubuntu 15.04, RHEL 7).

use super::{FamilyGroup, InitSystem, Packager, Sh, UserManagement};

/// Everything stevedore knows about one OS family: one row of [`FAMILIES`].
#[derive(Debug)]
pub struct FamilyInfo {
    /// The family.
    pub family: Family,
    /// os-release `ID` values that name this family (`almalinux`, `amzn`, ...); also accepted in
    /// OS specs such as `almalinux-9`.
    pub ids: &'static [&'static str],
    /// Further names that mean this family when they appear in `ID_LIKE` (`suse`).
    pub like: &'static [&'static str],
    /// The family groups it belongs to (a `script_fn!` arm named after one covers it).
    pub groups: &'static [FamilyGroup],
    /// `(since version, package manager)`, oldest first; the first entry's version is `"0"`.
    pub packagers: &'static [(&'static str, Packager)],
    /// `(since version, init system)`, oldest first; the first entry's version is `"0"`.
    pub inits: &'static [(&'static str, InitSystem)],
    /// What `/bin/sh` is.
    pub sh: Sh,
    /// How users and groups are managed.
    pub users: UserManagement,
    /// The EC2 image name filter (`describe-images`, `name`), `{version}` standing for the
    /// requested version (empty when none).
    pub ec2_image: &'static str,
}

macro_rules! os_table {
    ($(
        $(#[$vmeta:meta])*
        $variant:ident = $name:literal {
            ids: [$($id:literal),* $(,)?],
            like: [$($like:literal),* $(,)?],
            groups: [$($group:ident),* $(,)?],
            packager: [$pk0:ident $(, $pkv:literal => $pk:ident)* $(,)?],
            init: [$in0:ident $(, $inv:literal => $in:ident)* $(,)?],
            sh: $sh:ident,
            users: $users:ident,
            ec2_image: $ec2:literal $(,)?
        }
    )*) => {
        name_enum! {
            /// An OS family (distribution), as Pallet's `:os-family`. Its variants and names are
            /// the rows of the OS table ([`FAMILIES`]).
            Family {
                $($(#[$vmeta])* $variant = $name,)*
            }
        }

        /// The OS table: one row per [`Family`], in the order of [`Family::ALL`].
        pub static FAMILIES: &[FamilyInfo] = &[$(
            FamilyInfo {
                family: Family::$variant,
                ids: &[$($id),*],
                like: &[$($like),*],
                groups: &[$(FamilyGroup::$group),*],
                packagers: &[("0", Packager::$pk0) $(, ($pkv, Packager::$pk))*],
                inits: &[("0", InitSystem::$in0) $(, ($inv, InitSystem::$in))*],
                sh: Sh::$sh,
                users: UserManagement::$users,
                ec2_image: $ec2,
            },
        )*];
    };
}

os_table! {
    /// Debian.
    Debian = "debian" {
        ids: ["debian"],
        like: [],
        groups: [DebianLike],
        packager: [Apt],
        init: [Sysvinit, "8" => Systemd],
        sh: Dash,
        users: Shadow,
        ec2_image: "debian-{version}*",
    }
    /// Ubuntu.
    Ubuntu = "ubuntu" {
        ids: ["ubuntu"],
        like: [],
        groups: [DebianLike],
        packager: [Apt],
        init: [Sysvinit, "15.04" => Systemd],
        sh: Dash,
        users: Shadow,
        ec2_image: "ubuntu/images/*ubuntu-*-{version}*",
    }
    /// Red Hat Enterprise Linux.
    Rhel = "rhel" {
        ids: ["rhel", "redhat"],
        like: [],
        groups: [RhelLike, El],
        packager: [Yum, "8" => Dnf],
        init: [Sysvinit, "7" => Systemd],
        sh: Bash,
        users: ShadowShort,
        ec2_image: "rhel*{version}*",
    }
    /// CentOS (Linux and Stream).
    Centos = "centos" {
        ids: ["centos"],
        like: [],
        groups: [RhelLike, El],
        packager: [Yum, "8" => Dnf],
        init: [Sysvinit, "7" => Systemd],
        sh: Bash,
        users: ShadowShort,
        ec2_image: "centos*{version}*",
    }
    /// Rocky Linux.
    Rocky = "rocky" {
        ids: ["rocky"],
        like: [],
        groups: [RhelLike, El],
        packager: [Yum, "8" => Dnf],
        init: [Systemd],
        sh: Bash,
        users: ShadowShort,
        ec2_image: "rocky*{version}*",
    }
    /// AlmaLinux.
    Alma = "alma" {
        ids: ["alma", "almalinux"],
        like: [],
        groups: [RhelLike, El],
        packager: [Yum, "8" => Dnf],
        init: [Systemd],
        sh: Bash,
        users: ShadowShort,
        ec2_image: "alma*{version}*",
    }
    /// Oracle Linux.
    Oracle = "oracle" {
        ids: ["ol", "oracle"],
        like: [],
        groups: [RhelLike, El],
        packager: [Yum, "8" => Dnf],
        init: [Sysvinit, "7" => Systemd],
        sh: Bash,
        users: ShadowShort,
        ec2_image: "OL{version}*",
    }
    /// Fedora.
    Fedora = "fedora" {
        ids: ["fedora"],
        like: [],
        groups: [RhelLike],
        packager: [Yum, "22" => Dnf],
        init: [Systemd],
        sh: Bash,
        users: ShadowShort,
        ec2_image: "fedora*{version}*",
    }
    /// Amazon Linux. Amazon Linux 1's versions are dates (`2018.03`): it runs SysV init.
    Amazon = "amazon" {
        ids: ["amazon", "amzn"],
        like: [],
        groups: [RhelLike],
        packager: [Yum, "2023" => Dnf],
        init: [Systemd, "3" => Sysvinit, "2023" => Systemd],
        sh: Bash,
        users: ShadowShort,
        ec2_image: "al2023-ami-*",
    }
    /// Alpine Linux.
    Alpine = "alpine" {
        ids: ["alpine"],
        like: [],
        groups: [AlpineLike],
        packager: [Apk],
        init: [Openrc],
        sh: Busybox,
        users: Busybox,
        ec2_image: "alpine*{version}*",
    }
    /// Arch Linux.
    Arch = "arch" {
        ids: ["arch", "archarm", "archlinux"],
        like: [],
        groups: [ArchLike],
        packager: [Pacman],
        init: [Systemd],
        sh: Bash,
        users: Shadow,
        ec2_image: "arch*{version}*",
    }
    /// openSUSE (Leap and Tumbleweed) and SLES.
    Opensuse = "opensuse" {
        ids: ["opensuse", "opensuse-leap", "opensuse-tumbleweed", "opensuse-slowroll", "sles", "sled"],
        like: ["suse"],
        groups: [SuseLike],
        packager: [Zypper],
        init: [Systemd],
        sh: Bash,
        users: Shadow,
        ec2_image: "opensuse*{version}*",
    }
}
