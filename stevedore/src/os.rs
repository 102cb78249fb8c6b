//! The OS model: family, version, and the package manager and init system derived from them.
//!
//! A node's [`Os`] comes from its `/etc/os-release` ([`Os::from_os_release`]) or from a spec
//! such as `ubuntu-24.04` ([`Os::parse`]). The package manager and init system follow from the
//! family and version (Pallet's `packager-for-os`) and can be overridden
//! ([`Os::with_packager`], [`Os::with_init`]) — e.g. containers often run no systemd.
//!
//! Everything known about a family is one row of the OS table in `stevedore-core`
//! ([`FAMILIES`], [`Family::info`]); this module only reads it.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
pub use stevedore_core::os::{
    Axis, FAMILIES, Family, FamilyGroup, FamilyInfo, InitSystem, Packager, Selector, Sh, UserManagement,
};

/// A dotted version such as `12`, `22.04`, `9.3` or `3.19.1`. Comparison is numeric per
/// component (`9.10 > 9.9`); missing components count as zero.
#[derive(Debug, Clone)]
pub struct Version {
    text: String,
    parts: Vec<u64>,
}

impl Version {
    /// Parses the leading numeric components of `text` (`"22.04"`, `"2023"`, `"3.19.1"`).
    /// Returns `None` when it does not start with a digit.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let mut parts = Vec::new();
        for p in text.split('.') {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                break;
            }
            parts.push(digits.parse().ok()?);
            if digits.len() != p.len() {
                break;
            }
        }
        if parts.is_empty() {
            return None;
        }
        Some(Version { text: text.to_string(), parts })
    }

    /// The first component.
    pub fn major(&self) -> u64 {
        self.parts[0]
    }

    /// The second component (0 when absent).
    pub fn minor(&self) -> u64 {
        self.parts.get(1).copied().unwrap_or(0)
    }

    /// The numeric components.
    pub fn parts(&self) -> &[u64] {
        &self.parts
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Does this version start with all components of `prefix` (`"12"` matches `12.5`)?
    pub fn matches(&self, prefix: &str) -> bool {
        match Version::parse(prefix) {
            Some(p) => p.parts.len() <= self.parts.len() && p.parts.iter().zip(&self.parts).all(|(a, b)| a == b),
            None => false,
        }
    }
}

impl Version {
    fn significant(&self) -> &[u64] {
        let n = self.parts.iter().rposition(|&p| p != 0).map_or(0, |i| i + 1);
        &self.parts[..n]
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.significant() == other.significant()
    }
}

impl Eq for Version {}

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.significant().hash(state);
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.parts.len().max(other.parts.len());
        for i in 0..n {
            let a = self.parts.get(i).copied().unwrap_or(0);
            let b = other.parts.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Version::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a version")))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What a node runs: the facts script functions dispatch on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Os {
    /// The `ID` from os-release (`debian`, `almalinux`, `linuxmint`...), or the family name.
    pub id: String,
    /// The family, when known (directly or through `ID_LIKE`).
    pub family: Option<Family>,
    /// `VERSION_ID`, when present (rolling releases such as Arch have none).
    pub version: Option<Version>,
    /// The package manager.
    pub packager: Option<Packager>,
    /// The init system.
    pub init: Option<InitSystem>,
    /// `PRETTY_NAME`, for reports.
    pub pretty_name: Option<String>,
}

/// `/etc/os-release` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OsError {
    /// A line is not `KEY=value` or its quoting is broken.
    #[error("os-release line {line}: {message}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No `ID` field.
    #[error("os-release has no ID field")]
    NoId,
    /// An OS spec (`ubuntu-24.04`) names no known family.
    #[error("unknown OS family `{0}`; expected one of: {list}", list = Family::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "))]
    UnknownFamily(String),
}

impl Os {
    /// An OS of `family` at `version`, with the packager and init system that family uses at
    /// that version.
    pub fn new(family: Family, version: Option<&str>) -> Os {
        let version = version.and_then(Version::parse);
        Os {
            id: family.name().to_string(),
            family: Some(family),
            packager: Some(default_packager(family, version.as_ref())),
            init: Some(default_init(family, version.as_ref())),
            version,
            pretty_name: None,
        }
    }

    /// Parses an OS spec: a family name (or one of its os-release IDs, such as `almalinux`),
    /// optionally followed by `-` and a version (`debian`, `ubuntu-24.04`, `rocky-9`,
    /// `alpine-3.20`).
    ///
    /// # Errors
    /// [`OsError::UnknownFamily`].
    pub fn parse(spec: &str) -> Result<Os, OsError> {
        let (name, version) = match spec.split_once('-') {
            Some((n, v)) => (n, Some(v)),
            None => (spec, None),
        };
        let family = Family::from_id(name).ok_or_else(|| OsError::UnknownFamily(name.to_string()))?;
        Ok(Os::new(family, version))
    }

    /// Reads `/etc/os-release` text (freedesktop.org format: `KEY=value` lines, values optionally
    /// in double or single quotes, `\` escapes inside double quotes, `#` comments).
    ///
    /// The family is the one whose OS-table row lists `ID` (`almalinux` → alma, `amzn` →
    /// amazon, `opensuse-leap`/`sles` → opensuse), else the first word of `ID_LIKE` that names a
    /// family ([`Family::from_id_like`]: closest relative first). An unknown OS still parses:
    /// family, packager and init are then `None`.
    ///
    /// # Errors
    /// [`OsError::Syntax`] for a malformed line, [`OsError::NoId`] without `ID`.
    pub fn from_os_release(text: &str) -> Result<Os, OsError> {
        let fields = parse_os_release(text)?;
        let get = |k: &str| fields.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let id = get("ID").filter(|s| !s.is_empty()).ok_or(OsError::NoId)?.to_lowercase();
        let like = get("ID_LIKE").unwrap_or_default().to_lowercase();
        let family = Family::from_id(&id).or_else(|| Family::from_id_like(&like));
        let version = get("VERSION_ID").and_then(|v| Version::parse(&v));
        let (packager, init) = match family {
            // A derivative's version numbers are its own; derive from the family's defaults
            // only when the ID is the family itself.
            Some(f) if Family::from_id(&id) == Some(f) => {
                (Some(default_packager(f, version.as_ref())), Some(default_init(f, version.as_ref())))
            }
            Some(f) => (Some(default_packager(f, None)), Some(default_init(f, None))),
            None => (None, None),
        };
        Ok(Os { id, family, version, packager, init, pretty_name: get("PRETTY_NAME") })
    }

    /// Overrides the package manager.
    pub fn with_packager(mut self, p: Packager) -> Os {
        self.packager = Some(p);
        self
    }

    /// Overrides the init system.
    pub fn with_init(mut self, i: InitSystem) -> Os {
        self.init = Some(i);
        self
    }

    /// Does an arm named `s` apply to this OS? A group arm applies to every member family.
    pub fn selects(&self, s: Selector) -> bool {
        match s {
            Selector::Family(f) => self.family == Some(f),
            Selector::Group(g) => self.in_group(g),
            Selector::Packager(p) => self.packager == Some(p),
            Selector::Init(i) => self.init == Some(i),
            Selector::Users(u) => self.users() == Some(u),
        }
    }

    /// Is the family in group `g` (false for an unknown family)?
    pub fn in_group(&self, g: FamilyGroup) -> bool {
        self.family.is_some_and(|f| f.in_group(g))
    }

    /// Is this a Red Hat-like family (in [`FamilyGroup::RhelLike`])?
    pub fn is_rhel_like(&self) -> bool {
        self.in_group(FamilyGroup::RhelLike)
    }

    /// How the family manages users and groups (from the OS table; `None` for an unknown
    /// family).
    pub fn users(&self) -> Option<UserManagement> {
        self.family.map(Family::users)
    }

    /// What `/bin/sh` is on the family (from the OS table; `None` for an unknown family).
    pub fn sh(&self) -> Option<Sh> {
        self.family.map(Family::sh)
    }
}

impl FromStr for Os {
    type Err = OsError;
    fn from_str(s: &str) -> Result<Os, OsError> {
        Os::parse(s)
    }
}

/// `debian 12`, `ubuntu 24.04`, `arch`, or the raw ID for unknown systems.
impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)?;
        if let Some(v) = &self.version {
            write!(f, " {v}")?;
        }
        Ok(())
    }
}

/// The package manager `family` uses at `version` (the newest when the version is unknown),
/// from the OS table.
pub fn default_packager(family: Family, version: Option<&Version>) -> Packager {
    family.packager(version.map(Version::parts))
}

/// The init system `family` uses at `version` (the newest when the version is unknown), from
/// the OS table.
pub fn default_init(family: Family, version: Option<&Version>) -> InitSystem {
    family.init(version.map(Version::parts))
}

fn parse_os_release(text: &str) -> Result<Vec<(String, String)>, OsError> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let syntax = |message: &str| OsError::Syntax { line: n + 1, message: message.to_string() };
        let (key, value) = line.split_once('=').ok_or_else(|| syntax("expected KEY=value"))?;
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(syntax("invalid key"));
        }
        let value = unquote(value).ok_or_else(|| syntax("unbalanced quotes"))?;
        out.push((key.to_string(), value));
    }
    Ok(out)
}

fn unquote(v: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => {
                        let e = chars.next()?;
                        if !matches!(e, '"' | '\\' | '$' | '`') {
                            out.push('\\');
                        }
                        out.push(e);
                    }
                    x => out.push(x),
                }
            },
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    x => out.push(x),
                }
            },
            '\\' => out.push(chars.next()?),
            x => out.push(x),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("9.10") > v("9.9"));
        assert!(v("22.04") < v("24.04"));
        assert_eq!(v("12"), v("12.0"));
        assert!(v("12.5").matches("12"));
        assert!(!v("12.5").matches("12.4"));
        assert!(Version::parse("rolling").is_none());
    }

    #[test]
    fn specs_and_defaults() {
        let os = Os::parse("ubuntu-24.04").unwrap();
        assert_eq!(
            (os.family, os.packager, os.init),
            (Some(Family::Ubuntu), Some(Packager::Apt), Some(InitSystem::Systemd))
        );
        assert_eq!(Os::parse("centos-7").unwrap().packager, Some(Packager::Yum));
        assert_eq!(Os::parse("centos-6").unwrap().init, Some(InitSystem::Sysvinit));
        assert_eq!(Os::parse("rocky-9").unwrap().packager, Some(Packager::Dnf));
        assert_eq!(Os::parse("amazon-2").unwrap().packager, Some(Packager::Yum));
        assert_eq!(Os::parse("amazon-2023").unwrap().packager, Some(Packager::Dnf));
        assert_eq!(Os::parse("alpine-3.20").unwrap().init, Some(InitSystem::Openrc));
        assert!(matches!(Os::parse("gentoo"), Err(OsError::UnknownFamily(_))));
        assert_eq!(Os::parse("almalinux-9").unwrap().family, Some(Family::Alma));
    }

    #[test]
    fn table_columns_through_os() {
        let rocky = Os::parse("rocky-9").unwrap();
        assert!(rocky.is_rhel_like() && rocky.in_group(FamilyGroup::El));
        assert!(rocky.selects(Selector::Group(FamilyGroup::RhelLike)));
        assert!(!rocky.selects(Selector::Group(FamilyGroup::DebianLike)));
        assert_eq!((rocky.users(), rocky.sh()), (Some(UserManagement::ShadowShort), Some(Sh::Bash)));
        let debian = Os::parse("debian-12").unwrap();
        assert!(!debian.is_rhel_like());
        assert_eq!((debian.users(), debian.sh()), (Some(UserManagement::Shadow), Some(Sh::Dash)));
        let gentoo = Os::from_os_release("ID=gentoo\n").unwrap();
        assert!(!gentoo.is_rhel_like() && gentoo.users().is_none() && gentoo.sh().is_none());
        assert!(!gentoo.selects(Selector::Users(UserManagement::Shadow)));
    }

    #[test]
    fn quoting_in_os_release() {
        let os = Os::from_os_release("ID=\"x\\\"y\"\nNAME='a b'\n# c\n\nPRETTY_NAME=\"A \\$B\"").unwrap();
        assert_eq!(os.id, "x\"y");
        assert_eq!(os.pretty_name.as_deref(), Some("A $B"));
        assert!(matches!(Os::from_os_release("ID=\"x"), Err(OsError::Syntax { line: 1, .. })));
        assert_eq!(Os::from_os_release("NAME=x"), Err(OsError::NoId));
    }
}
