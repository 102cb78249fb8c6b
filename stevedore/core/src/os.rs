//! The names script functions dispatch on: OS families, package managers and init systems.
//!
//! These are the arm names of `script_fn!` (`apt => { ... }`), so the macros can check them at
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

name_enum! {
    /// An OS family (distribution), as Pallet's `:os-family`.
    Family {
        /// Debian.
        Debian = "debian",
        /// Ubuntu.
        Ubuntu = "ubuntu",
        /// Red Hat Enterprise Linux.
        Rhel = "rhel",
        /// CentOS (Linux and Stream).
        Centos = "centos",
        /// Rocky Linux.
        Rocky = "rocky",
        /// AlmaLinux.
        Alma = "alma",
        /// Fedora.
        Fedora = "fedora",
        /// Amazon Linux.
        Amazon = "amazon",
        /// Alpine Linux.
        Alpine = "alpine",
        /// Arch Linux.
        Arch = "arch",
        /// openSUSE (Leap and Tumbleweed) and SLES.
        Opensuse = "opensuse",
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

/// What a script function dispatches on. All arms of one function use one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Axis {
    /// Arms named after OS families.
    Family,
    /// Arms named after package managers.
    Packager,
    /// Arms named after init systems.
    Init,
}

impl Axis {
    /// A human name for messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Axis::Family => "OS family",
            Axis::Packager => "package manager",
            Axis::Init => "init system",
        }
    }

    /// [`Axis::describe`] with its article ("a package manager", "an init system").
    pub const fn describe_with_article(self) -> &'static str {
        match self {
            Axis::Family => "an OS family",
            Axis::Packager => "a package manager",
            Axis::Init => "an init system",
        }
    }

    /// Every arm name on this axis.
    pub fn names(self) -> Vec<&'static str> {
        match self {
            Axis::Family => Family::ALL.iter().map(|f| f.name()).collect(),
            Axis::Packager => Packager::ALL.iter().map(|p| p.name()).collect(),
            Axis::Init => InitSystem::ALL.iter().map(|i| i.name()).collect(),
        }
    }
}

/// One arm name of a script function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selector {
    /// An OS family.
    Family(Family),
    /// A package manager.
    Packager(Packager),
    /// An init system.
    Init(InitSystem),
}

impl Selector {
    /// Looks up an arm name on every axis.
    pub fn from_name(s: &str) -> Option<Selector> {
        Family::from_name(s)
            .map(Selector::Family)
            .or_else(|| Packager::from_name(s).map(Selector::Packager))
            .or_else(|| InitSystem::from_name(s).map(Selector::Init))
    }

    /// The axis this selector belongs to.
    pub const fn axis(self) -> Axis {
        match self {
            Selector::Family(_) => Axis::Family,
            Selector::Packager(_) => Axis::Packager,
            Selector::Init(_) => Axis::Init,
        }
    }

    /// The arm name.
    pub const fn name(self) -> &'static str {
        match self {
            Selector::Family(f) => f.name(),
            Selector::Packager(p) => p.name(),
            Selector::Init(i) => i.name(),
        }
    }

    /// `(Selector variant, enum, enum variant)` Rust names, for code generation.
    pub const fn rust_path(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Selector::Family(f) => ("Family", "Family", f.variant()),
            Selector::Packager(p) => ("Packager", "Packager", p.variant()),
            Selector::Init(i) => ("Init", "InitSystem", i.variant()),
        }
    }

    /// Every known arm name, on every axis.
    pub fn all_names() -> Vec<&'static str> {
        let mut v = Axis::Family.names();
        v.extend(Axis::Packager.names());
        v.extend(Axis::Init.names());
        v
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
