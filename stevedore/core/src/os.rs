//! What stevedore knows about operating systems, and the names script functions dispatch on.
//!
//! The OS table ([`FAMILIES`], one [`FamilyInfo`] row per [`Family`]) is the single place that
//! knowledge lives: os-release IDs, [`FamilyGroup`]s, the [`Packager`] and [`InitSystem`] by
//! version, `/bin/sh` ([`Sh`]), the [`UserManagement`] flavour and providers' image hints. The
//! families, groups, package managers, init systems and user-management flavours are the arm
//! names of `script_fn!` (`apt => { ... }`, `rhel_like => { ... }`), so the macros check them at
//! compile time; `stevedore::os` adds the run-time OS model (versions, `/etc/os-release`).

macro_rules! name_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The lowercase name used in arms, configuration and reports.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The Rust variant name (used by the macros to emit paths).
            pub const fn variant(self) -> &'static str {
                match self {
                    $($name::$variant => stringify!($variant),)*
                }
            }

            /// Looks a value up by its lowercase name.
            pub fn from_name(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::from_name(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "unknown {} `{}`; expected one of: {}",
                        stringify!($name),
                        s,
                        $name::ALL.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ")
                    ))
                })
            }
        }
    };
}

mod table;

pub use table::{FAMILIES, Family, FamilyInfo};

name_enum! {
    /// A group of related OS families: a `script_fn!` arm named after a group covers every
    /// family in it, and an arm naming one of those families beats it. Membership is recorded in
    /// the OS table ([`FamilyInfo::groups`]); [`FamilyGroup::members`] lists it.
    FamilyGroup {
        /// Debian and the distributions built from it (Ubuntu).
        DebianLike = "debian_like",
        /// Red Hat Enterprise Linux, its rebuilds, Fedora and Amazon Linux: rpm, yum/dnf,
        /// shadow-utils with RHEL's defaults.
        RhelLike = "rhel_like",
        /// Enterprise Linux: RHEL and its binary-compatible rebuilds (the targets of EPEL), not
        /// Fedora or Amazon Linux. Overlaps `rhel_like`.
        El = "el",
        /// SUSE: openSUSE and SLES.
        SuseLike = "suse_like",
        /// Arch Linux and its derivatives.
        ArchLike = "arch_like",
        /// Alpine Linux and its derivatives.
        AlpineLike = "alpine_like",
    }
}

name_enum! {
    /// A package manager.
    Packager {
        /// apt-get/dpkg (Debian, Ubuntu).
        Apt = "apt",
        /// dnf (Fedora, RHEL 8+ and rebuilds, Amazon Linux 2023).
        Dnf = "dnf",
        /// yum (RHEL/CentOS 7 and older, Amazon Linux 2).
        Yum = "yum",
        /// apk (Alpine).
        Apk = "apk",
        /// pacman (Arch).
        Pacman = "pacman",
        /// zypper (openSUSE, SLES).
        Zypper = "zypper",
    }
}

name_enum! {
    /// An init system (service manager).
    InitSystem {
        /// systemd (`systemctl`).
        Systemd = "systemd",
        /// OpenRC (`rc-service`, `rc-update`), Alpine's default.
        Openrc = "openrc",
        /// SysV init scripts (`/etc/init.d/NAME`, `update-rc.d` or `chkconfig`).
        Sysvinit = "sysvinit",
    }
}

name_enum! {
    /// How users and groups are managed (the tools and the options they take).
    UserManagement {
        /// shadow-utils (`useradd`, `usermod`, `groupadd`...) with long options (`--system`).
        Shadow = "shadow",
        /// shadow-utils with short options (`-r`, `-m`) and an explicit `-m`/`-M`, as the RHEL
        /// family needs (old releases lack some long options; `login.defs` creates homes).
        ShadowShort = "shadow_short",
        /// busybox `adduser`/`addgroup`/`deluser`/`delgroup` (Alpine).
        Busybox = "busybox",
    }
}

name_enum! {
    /// The program `/bin/sh` is, which runs every script stevedore renders.
    Sh {
        /// dash (Debian, Ubuntu).
        Dash = "dash",
        /// bash in POSIX mode.
        Bash = "bash",
        /// busybox ash.
        Busybox = "busybox",
    }
}

impl Family {
    /// This family's row of the OS table.
    pub fn info(self) -> &'static FamilyInfo {
        &FAMILIES[self as usize]
    }

    /// The family an os-release `ID` (or an OS spec's name, or an `ID_LIKE` word) names: one of
    /// a row's [`ids`](FamilyInfo::ids) or [`like`](FamilyInfo::like) names. Exact, lowercase.
    pub fn from_id(id: &str) -> Option<Family> {
        FAMILIES.iter().find(|r| r.ids.contains(&id) || r.like.contains(&id)).map(|r| r.family)
    }

    /// The family an os-release `ID_LIKE` value points to: its first word that names a family
    /// (`ID_LIKE` lists the closest relatives first, per `os-release(5)`).
    pub fn from_id_like(id_like: &str) -> Option<Family> {
        id_like.split_whitespace().find_map(Family::from_id)
    }

    /// The family groups this family belongs to.
    pub fn groups(self) -> &'static [FamilyGroup] {
        self.info().groups
    }

    /// Does this family belong to group `g`?
    pub fn in_group(self, g: FamilyGroup) -> bool {
        self.groups().contains(&g)
    }

    /// The package manager this family uses at `version` (numeric components, `[9, 3]`); the
    /// newest when the version is unknown.
    pub fn packager(self, version: Option<&[u64]>) -> Packager {
        by_version(self.info().packagers, version)
    }

    /// The init system this family uses at `version`; the newest when the version is unknown.
    pub fn init(self, version: Option<&[u64]>) -> InitSystem {
        by_version(self.info().inits, version)
    }

    /// What `/bin/sh` is on this family.
    pub fn sh(self) -> Sh {
        self.info().sh
    }

    /// How this family manages users and groups.
    pub fn users(self) -> UserManagement {
        self.info().users
    }

    /// The EC2 image name filter for `version` (may be empty: any version).
    pub fn ec2_image_pattern(self, version: &str) -> String {
        self.info().ec2_image.replace("{version}", version)
    }
}

impl FamilyGroup {
    /// The families in this group, in table order.
    pub fn members(self) -> Vec<Family> {
        FAMILIES.iter().filter(|r| r.groups.contains(&self)).map(|r| r.family).collect()
    }
}

/// The numeric components of a version bound of the table (`"15.04"` → `[15, 4]`).
fn bound_parts(bound: &str) -> Vec<u64> {
    bound.split('.').map(|p| p.parse().expect("OS table: a version bound is dotted numbers")).collect()
}

/// Numeric, component-wise comparison; missing components count as zero.
fn cmp_parts(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    (0..a.len().max(b.len()))
        .map(|i| a.get(i).copied().unwrap_or(0).cmp(&b.get(i).copied().unwrap_or(0)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// The value of the last step whose bound `version` reaches (the newest without a version).
fn by_version<T: Copy>(steps: &[(&str, T)], version: Option<&[u64]>) -> T {
    let Some(v) = version else { return steps[steps.len() - 1].1 };
    steps.iter().rev().find(|(since, _)| cmp_parts(v, &bound_parts(since)).is_ge()).unwrap_or(&steps[0]).1
}

/// What a script function dispatches on. All arms of one function use one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Axis {
    /// Arms named after OS families and family groups.
    Family,
    /// Arms named after package managers.
    Packager,
    /// Arms named after init systems.
    Init,
    /// Arms named after user-management flavours.
    Users,
}

impl Axis {
    /// A human name for messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Axis::Family => "OS family",
            Axis::Packager => "package manager",
            Axis::Init => "init system",
            Axis::Users => "user-management flavour",
        }
    }

    /// [`Axis::describe`] in the plural ("OS families").
    pub const fn describe_plural(self) -> &'static str {
        match self {
            Axis::Family => "OS families",
            Axis::Packager => "package managers",
            Axis::Init => "init systems",
            Axis::Users => "user-management flavours",
        }
    }

    /// [`Axis::describe`] with its article ("a package manager", "an init system").
    pub const fn describe_with_article(self) -> &'static str {
        match self {
            Axis::Family => "an OS family",
            Axis::Packager => "a package manager",
            Axis::Init => "an init system",
            Axis::Users => "a user-management flavour",
        }
    }

    /// Every value on this axis: what a function without `_` must cover (family groups are
    /// not values of their own; they cover their members).
    pub fn names(self) -> Vec<&'static str> {
        match self {
            Axis::Family => Family::ALL.iter().map(|f| f.name()).collect(),
            Axis::Packager => Packager::ALL.iter().map(|p| p.name()).collect(),
            Axis::Init => InitSystem::ALL.iter().map(|i| i.name()).collect(),
            Axis::Users => UserManagement::ALL.iter().map(|u| u.name()).collect(),
        }
    }
}

/// One arm name of a script function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selector {
    /// An OS family.
    Family(Family),
    /// A group of OS families (on the family axis): covers every member.
    Group(FamilyGroup),
    /// A package manager.
    Packager(Packager),
    /// An init system.
    Init(InitSystem),
    /// A user-management flavour.
    Users(UserManagement),
}

impl Selector {
    /// Looks up an arm name on every axis (names are unique across axes).
    pub fn from_name(s: &str) -> Option<Selector> {
        Family::from_name(s)
            .map(Selector::Family)
            .or_else(|| FamilyGroup::from_name(s).map(Selector::Group))
            .or_else(|| Packager::from_name(s).map(Selector::Packager))
            .or_else(|| InitSystem::from_name(s).map(Selector::Init))
            .or_else(|| UserManagement::from_name(s).map(Selector::Users))
    }

    /// The axis this selector belongs to.
    pub const fn axis(self) -> Axis {
        match self {
            Selector::Family(_) | Selector::Group(_) => Axis::Family,
            Selector::Packager(_) => Axis::Packager,
            Selector::Init(_) => Axis::Init,
            Selector::Users(_) => Axis::Users,
        }
    }

    /// What kind of name this is, with its article ("an OS family", "an OS family group"...).
    pub const fn describe_with_article(self) -> &'static str {
        match self {
            Selector::Group(_) => "an OS family group",
            s => s.axis().describe_with_article(),
        }
    }

    /// The arm name.
    pub const fn name(self) -> &'static str {
        match self {
            Selector::Family(f) => f.name(),
            Selector::Group(g) => g.name(),
            Selector::Packager(p) => p.name(),
            Selector::Init(i) => i.name(),
            Selector::Users(u) => u.name(),
        }
    }

    /// The values of its axis this selector covers: a group its members, any other itself.
    pub fn covers(self) -> Vec<Selector> {
        match self {
            Selector::Group(g) => g.members().into_iter().map(Selector::Family).collect(),
            s => vec![s],
        }
    }

    /// `(Selector variant, enum, enum variant)` Rust names, for code generation.
    pub const fn rust_path(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Selector::Family(f) => ("Family", "Family", f.variant()),
            Selector::Group(g) => ("Group", "FamilyGroup", g.variant()),
            Selector::Packager(p) => ("Packager", "Packager", p.variant()),
            Selector::Init(i) => ("Init", "InitSystem", i.variant()),
            Selector::Users(u) => ("Users", "UserManagement", u.variant()),
        }
    }

    /// Every known arm name, on every axis (family groups included).
    pub fn all_names() -> Vec<&'static str> {
        let mut v = Axis::Family.names();
        v.extend(FamilyGroup::ALL.iter().map(|g| g.name()));
        v.extend(Axis::Packager.names());
        v.extend(Axis::Init.names());
        v.extend(Axis::Users.names());
        v
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_row_per_family_in_order() {
        assert_eq!(FAMILIES.len(), Family::ALL.len());
        for (row, f) in FAMILIES.iter().zip(Family::ALL) {
            assert_eq!(row.family, *f);
            assert_eq!(f.info().family, *f);
            assert!(!row.groups.is_empty(), "{f}: no family group");
            assert!(row.ec2_image.contains('*'), "{f}: EC2 image pattern `{}`", row.ec2_image);
        }
    }

    #[test]
    fn version_steps_start_at_zero_and_ascend() {
        for row in FAMILIES {
            let bounds: Vec<Vec<u64>> =
                row.packagers.iter().map(|s| s.0).chain(row.inits.iter().map(|s| s.0)).map(bound_parts).collect();
            assert!(bounds.iter().all(|b| !b.is_empty()), "{}", row.family);
            for steps in
                [row.packagers.iter().map(|s| s.0).collect::<Vec<_>>(), row.inits.iter().map(|s| s.0).collect()]
            {
                assert_eq!(steps[0], "0", "{}: the first step must start at 0", row.family);
                for w in steps.windows(2) {
                    assert!(cmp_parts(&bound_parts(w[0]), &bound_parts(w[1])).is_lt(), "{}: {w:?}", row.family);
                }
            }
        }
    }

    #[test]
    fn ids_and_arm_names_are_unique() {
        let mut ids: Vec<&str> = FAMILIES.iter().flat_map(|r| r.ids.iter().chain(r.like)).copied().collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "an os-release ID names two families");
        for r in FAMILIES {
            assert!(r.ids.contains(&r.family.name()), "{}: its own name is not an ID", r.family);
        }
        let mut names = Selector::all_names();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "an arm name is on two axes");
        for name in Selector::all_names() {
            assert_eq!(Selector::from_name(name).map(Selector::name), Some(name));
        }
    }

    #[test]
    fn lookups_and_versions() {
        assert_eq!(Family::from_id("almalinux"), Some(Family::Alma));
        assert_eq!(Family::from_id("suse"), Some(Family::Opensuse));
        assert_eq!(Family::from_id("gentoo"), None);
        assert_eq!(Family::from_id_like("ubuntu debian"), Some(Family::Ubuntu));
        assert_eq!(Family::from_id_like("nothing known here"), None);
        assert_eq!(Family::Fedora.packager(Some(&[21])), Packager::Yum);
        assert_eq!(Family::Fedora.packager(Some(&[22])), Packager::Dnf);
        assert_eq!(Family::Ubuntu.init(Some(&[14, 10])), InitSystem::Sysvinit);
        assert_eq!(Family::Ubuntu.init(Some(&[15, 4])), InitSystem::Systemd);
        assert_eq!(Family::Amazon.init(Some(&[2])), InitSystem::Systemd);
        assert_eq!(Family::Amazon.init(Some(&[2018, 3])), InitSystem::Sysvinit);
        assert_eq!(Family::Amazon.init(None), InitSystem::Systemd);
        assert_eq!(Family::Debian.init(None), InitSystem::Systemd);
        assert!(Family::Rocky.in_group(FamilyGroup::El) && !Family::Fedora.in_group(FamilyGroup::El));
        assert_eq!(FamilyGroup::DebianLike.members(), [Family::Debian, Family::Ubuntu]);
        assert_eq!(Family::Ubuntu.ec2_image_pattern("24.04"), "ubuntu/images/*ubuntu-*-24.04*");
        assert_eq!(Selector::Group(FamilyGroup::SuseLike).covers(), [Selector::Family(Family::Opensuse)]);
    }
}
