//! Packages, package managers and package sources. A phase merges all of them into one
//! action run before the phase's other actions, with one package-manager call per kind of
//! change (Pallet's aggregated `package`, `package-manager` and `package-source`).

use super::{Action, ActionError, Merged, RenderContext, check};
use std::collections::BTreeMap;
use stevedore::functions as f;
use stevedore::names;
use stevedore::os::Packager;
use stevedore::{Os, Script, script};

/// What to do with a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub enum PackageAction {
    /// Install it if missing (default).
    #[default]
    Install,
    /// Remove it if installed.
    Remove,
    /// Upgrade it to the newest version.
    Upgrade,
    /// Remove it with its configuration files.
    Purge,
}

/// One package (Pallet's `package`).
#[derive(Debug, Clone)]
pub struct Package {
    name: String,
    action: PackageAction,
    version: Option<String>,
}

/// Installs package `name` (see [`PackageAction`] for the others). The name must be valid for
/// some package manager when the action is recorded ([`stevedore::names::any_package_name`]),
/// and for the node's own when the phase is rendered ([`stevedore::names::package_name`]:
/// Debian policy names for apt, RPM names for dnf, yum and zypper..., with the version syntax
/// each accepts). A name can never start with `-`, so no package manager reads it as an option.
pub fn package(name: impl Into<String>) -> Package {
    Package { name: name.into(), action: PackageAction::Install, version: None }
}

impl Package {
    /// Sets what to do.
    pub fn action(mut self, a: PackageAction) -> Self {
        self.action = a;
        self
    }

    /// Removes the package instead.
    pub fn remove(self) -> Self {
        self.action(PackageAction::Remove)
    }

    /// Upgrades the package instead.
    pub fn upgrade(self) -> Self {
        self.action(PackageAction::Upgrade)
    }

    /// Purges the package instead.
    pub fn purge(self) -> Self {
        self.action(PackageAction::Purge)
    }

    /// Installs exactly `version`, replacing (even downgrading) another installed version. The
    /// version is spelled as the package manager spells it: apt the full Debian version
    /// (`1.22.1-9`); dnf, yum and zypper `VERSION` or `VERSION-RELEASE` (`1.0` or `1.0-1`).
    /// pacman and apk nodes refuse it when the phase is rendered (a pacman repository holds one
    /// version of each package). Only installation takes a version.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }
}

/// Package names per package manager (Pallet's `packages`).
#[derive(Debug, Clone, Default)]
pub struct Packages {
    names: BTreeMap<Packager, Vec<String>>,
    action: PackageAction,
}

/// Packages whose names differ between package managers: `packages().apt(["libssl-dev"]).dnf(["openssl-devel"])`.
/// A node whose package manager has no list gets nothing. Each list is checked against its
/// package manager's rule ([`stevedore::names::package_name`]).
pub fn packages() -> Packages {
    Packages::default()
}

impl Packages {
    fn set<S: Into<String>>(mut self, p: Packager, names: impl IntoIterator<Item = S>) -> Self {
        self.names.insert(p, names.into_iter().map(Into::into).collect());
        self
    }

    /// Names for apt.
    pub fn apt<S: Into<String>>(self, names: impl IntoIterator<Item = S>) -> Self {
        self.set(Packager::Apt, names)
    }

    /// Names for dnf.
    pub fn dnf<S: Into<String>>(self, names: impl IntoIterator<Item = S>) -> Self {
        self.set(Packager::Dnf, names)
    }

    /// Names for yum.
    pub fn yum<S: Into<String>>(self, names: impl IntoIterator<Item = S>) -> Self {
        self.set(Packager::Yum, names)
    }

    /// Names for apk.
    pub fn apk<S: Into<String>>(self, names: impl IntoIterator<Item = S>) -> Self {
        self.set(Packager::Apk, names)
    }

    /// Names for pacman.
    pub fn pacman<S: Into<String>>(self, names: impl IntoIterator<Item = S>) -> Self {
        self.set(Packager::Pacman, names)
    }

    /// Names for zypper.
    pub fn zypper<S: Into<String>>(self, names: impl IntoIterator<Item = S>) -> Self {
        self.set(Packager::Zypper, names)
    }

    /// Sets what to do with them.
    pub fn action(mut self, a: PackageAction) -> Self {
        self.action = a;
        self
    }

    /// The packages for `os`.
    pub fn for_os(&self, os: &Os) -> Vec<Package> {
        os.packager
            .and_then(|p| self.names.get(&p))
            .map(|names| names.iter().map(|n| package(n.clone()).action(self.action)).collect())
            .unwrap_or_default()
    }
}

/// A package manager operation (Pallet's `package-manager`). A proxy is a URL
/// ([`stevedore::names::url`]: no quotes, spaces or line breaks, since it is written into apt's
/// configuration and `dnf.conf`).
#[derive(Debug, Clone, PartialEq)]
pub enum PackageManager {
    /// Refresh the package index (not reported as a change).
    Update,
    /// Upgrade every installed package.
    Upgrade,
    /// Download through this HTTP proxy (apt, dnf, yum).
    Proxy(String),
}

/// A package manager operation.
pub fn package_manager(op: PackageManager) -> PackageManager {
    op
}

/// Where a package source comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSpec {
    /// An apt source: `deb [signed-by=KEY] url release components`.
    Apt {
        /// Repository URL.
        url: String,
        /// Release (suite), e.g. `bookworm`.
        release: String,
        /// Components, e.g. `main`.
        components: Vec<String>,
        /// The ASCII-armored OpenPGP key, stored as `/etc/apt/keyrings/NAME.asc`.
        key: Option<Vec<u8>>,
    },
    /// A dnf/yum repository: `/etc/yum.repos.d/NAME.repo`.
    Yum {
        /// `baseurl`.
        baseurl: String,
        /// `gpgkey` URL; `gpgcheck=1` when set.
        gpgkey: Option<String>,
    },
    /// A zypper repository (rpm-md): `/etc/zypp/repos.d/NAME.repo`, refreshed automatically.
    Zypper {
        /// `baseurl`.
        baseurl: String,
        /// `gpgkey` URL; `gpgcheck=1` when set.
        gpgkey: Option<String>,
    },
    /// A pacman repository: a `[NAME]` section in `/etc/pacman.d/pallet-NAME.conf`, included
    /// from `/etc/pacman.conf` (appended: searched after the repositories already there).
    Pacman {
        /// `Server`, e.g. `https://repo.example/$arch`; the database is `NAME.db` there.
        server: String,
        /// `SigLevel` (e.g. `Required DatabaseOptional`); pacman's default when `None`.
        siglevel: Option<String>,
    },
}

/// A package source (Pallet's `package-source`): an apt source list entry with its signing key,
/// a dnf/yum or zypper `.repo` file, or a pacman repository section. A changed source refreshes
/// the package index before packages are installed. A source has one variant per package
/// manager; a node uses the one of its package manager.
#[derive(Debug, Clone)]
pub struct PackageSource {
    name: String,
    specs: Vec<SourceSpec>,
}

/// A package source called `name` (a file name: letters, digits, `-`, `_`, `.`, not starting with
/// `.` or `-`). URLs follow [`stevedore::names::url`]; the apt release and components are words
/// of `[A-Za-z0-9._/+-]` not starting with `-` (they are fields of a sources.list line); a pacman
/// `SigLevel` is words of letters.
pub fn package_source(name: impl Into<String>) -> PackageSource {
    PackageSource { name: name.into(), specs: Vec::new() }
}

impl PackageSource {
    /// The apt variant.
    pub fn apt<S: Into<String>>(
        mut self,
        url: impl Into<String>,
        release: impl Into<String>,
        components: impl IntoIterator<Item = S>,
        key: Option<Vec<u8>>,
    ) -> Self {
        self.specs.push(SourceSpec::Apt {
            url: url.into(),
            release: release.into(),
            components: components.into_iter().map(Into::into).collect(),
            key,
        });
        self
    }

    /// The dnf/yum variant.
    pub fn yum(mut self, baseurl: impl Into<String>, gpgkey: Option<String>) -> Self {
        self.specs.push(SourceSpec::Yum { baseurl: baseurl.into(), gpgkey });
        self
    }

    /// The zypper variant.
    pub fn zypper(mut self, baseurl: impl Into<String>, gpgkey: Option<String>) -> Self {
        self.specs.push(SourceSpec::Zypper { baseurl: baseurl.into(), gpgkey });
        self
    }

    /// The pacman variant: the repository's `Server` and, optionally, its `SigLevel`.
    pub fn pacman(mut self, server: impl Into<String>, siglevel: Option<String>) -> Self {
        self.specs.push(SourceSpec::Pacman { server: server.into(), siglevel });
        self
    }

    fn check_values(&self) -> Result<(), ActionError> {
        check("package_source", "name", names::file_name(&self.name))?;
        let word = |field: &str, w: &str| {
            let ok = !w.is_empty()
                && !w.starts_with('-')
                && w.bytes().all(|b| b.is_ascii_alphanumeric() || b"._/+-".contains(&b));
            if ok {
                Ok(())
            } else {
                Err(ActionError::Invalid(format!(
                    "package_source {}: {field}: {w:?} is not a word of [A-Za-z0-9._/+-] (not starting with `-`)",
                    self.name
                )))
            }
        };
        for spec in &self.specs {
            match spec {
                SourceSpec::Apt { url, release, components, .. } => {
                    check("package_source", "url", names::url(url))?;
                    word("release", release)?;
                    for c in components {
                        word("components", c)?;
                    }
                }
                SourceSpec::Yum { baseurl, gpgkey } | SourceSpec::Zypper { baseurl, gpgkey } => {
                    check("package_source", "baseurl", names::url(baseurl))?;
                    if let Some(k) = gpgkey {
                        check("package_source", "gpgkey", names::url(k))?;
                    }
                }
                SourceSpec::Pacman { server, siglevel } => {
                    check("package_source", "server", names::url(server))?;
                    if let Some(level) = siglevel {
                        let ok =
                            !level.trim().is_empty() && level.bytes().all(|b| b.is_ascii_alphabetic() || b == b' ');
                        if !ok {
                            return Err(ActionError::Invalid(format!(
                                "package_source {}: siglevel: {level:?} is not words of letters separated by spaces",
                                self.name
                            )));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn script_for(&self, os: &Os) -> Result<Script, ActionError> {
        self.check_values()?;
        let apt = os.packager == Some(Packager::Apt);
        let yum = matches!(os.packager, Some(Packager::Dnf | Packager::Yum));
        let zypper = os.packager == Some(Packager::Zypper);
        let pacman = os.packager == Some(Packager::Pacman);
        let gpg = |gpgkey: &Option<String>| match gpgkey {
            Some(k) => format!("gpgcheck=1\ngpgkey={k}\n"),
            None => "gpgcheck=0\n".to_string(),
        };
        for spec in &self.specs {
            match spec {
                SourceSpec::Apt { url, release, components, key } if apt => {
                    let list = format!("/etc/apt/sources.list.d/{}.list", self.name);
                    let mut s = Script::new();
                    let mut line = String::from("deb ");
                    if key.is_some() {
                        let keyfile = format!("/etc/apt/keyrings/{}.asc", self.name);
                        line.push_str(&format!("[signed-by={keyfile}] "));
                        let key = key.clone().unwrap_or_default();
                        s.push(&write_if_different(&keyfile, &key, "packagesourcechanged"));
                    }
                    line.push_str(&format!("{url} {release} {}\n", components.join(" ")));
                    s.push(&write_if_different(&list, line.as_bytes(), "packagesourcechanged"));
                    return Ok(s);
                }
                SourceSpec::Yum { baseurl, gpgkey } if yum => {
                    let text = format!("[{n}]\nname={n}\nbaseurl={baseurl}\nenabled=1\n{}", gpg(gpgkey), n = self.name);
                    let repo = format!("/etc/yum.repos.d/{}.repo", self.name);
                    return Ok(write_if_different(&repo, text.as_bytes(), "packagesourcechanged"));
                }
                SourceSpec::Zypper { baseurl, gpgkey } if zypper => {
                    let text = format!(
                        "[{n}]\nname={n}\nbaseurl={baseurl}\nenabled=1\nautorefresh=1\ntype=rpm-md\n{}",
                        gpg(gpgkey),
                        n = self.name
                    );
                    let repo = format!("/etc/zypp/repos.d/{}.repo", self.name);
                    return Ok(write_if_different(&repo, text.as_bytes(), "packagesourcechanged"));
                }
                SourceSpec::Pacman { server, siglevel } if pacman => {
                    let mut text = format!("[{}]\n", self.name);
                    if let Some(level) = siglevel {
                        text.push_str(&format!("SigLevel = {level}\n"));
                    }
                    text.push_str(&format!("Server = {server}\n"));
                    let conf = format!("/etc/pacman.d/pallet-{}.conf", self.name);
                    let include = format!("Include = {conf}");
                    let mut s = write_if_different(&conf, text.as_bytes(), "packagesourcechanged");
                    s.push(&script! {
                        if ! grep -qxF -- #include /etc/pacman.conf {
                            p_changed;
                            p_flag packagesourcechanged;
                            p_checking || printf "%s\n" #include >> /etc/pacman.conf;
                        }
                    });
                    return Ok(s);
                }
                _ => {}
            }
        }
        Err(ActionError::Invalid(format!(
            "package_source {} has no variant for {} ({})",
            self.name,
            os,
            os.packager.map_or("unknown package manager", |p| p.name())
        )))
    }
}

/// Writes `content` to `path` (mode 0644, via a temporary file and `mv`) when it differs, and
/// sets `flag` when it does.
pub(crate) fn write_if_different(path: &str, content: &[u8], flag: &str) -> Script {
    let lines = super::remote_file::write_lines(content);
    script! {
        { #lines; } > $P_T/src;
        if ! cmp -s -- $P_T/src #path {
            p_changed;
            p_flag #flag;
            if ! p_checking {
                mkdir -p -- $(dirname -- #path);
                chmod 644 $P_T/src;
                mv -f -- $P_T/src #path;
            }
        }
    }
}

fn describe_packages(items: &[Package]) -> String {
    let one = |p: &Package| match &p.version {
        Some(v) => format!("{} {v}", p.name),
        None => p.name.clone(),
    };
    items.iter().map(one).collect::<Vec<_>>().join(" ")
}

impl Action for Package {
    fn kind(&self) -> &'static str {
        "package"
    }

    fn describe(&self) -> String {
        let version = self.version.as_deref().map(|v| format!(" {v}")).unwrap_or_default();
        format!("package {} {:?}{version}", self.name, self.action).to_lowercase()
    }

    fn validate(&self) -> Result<(), ActionError> {
        check("package", "name", names::any_package_name(&self.name))?;
        if let Some(v) = &self.version {
            check("package", "version", names::package_version(v))?;
        }
        Ok(())
    }

    fn script(&self, cx: &RenderContext<'_>) -> Result<Script, ActionError> {
        PackageSet { sources: vec![], managers: vec![], packages: vec![self.clone()] }.script(cx)
    }

    fn merge_key(&self) -> Option<&'static str> {
        Some(PACKAGES_KEY)
    }

    fn start_merge(&self) -> Option<Box<dyn Merged>> {
        Some(Box::new(PackageSet::default()))
    }
}

impl Action for Packages {
    fn kind(&self) -> &'static str {
        "packages"
    }

    fn describe(&self) -> String {
        let lists: Vec<String> = self.names.iter().map(|(p, n)| format!("{p}: {}", n.join(" "))).collect();
        format!("packages {:?} {}", self.action, lists.join("; ")).to_lowercase()
    }

    fn validate(&self) -> Result<(), ActionError> {
        for (p, list) in &self.names {
            for n in list {
                check("packages", p.name(), names::package_name(*p, n))?;
            }
        }
        Ok(())
    }

    fn script(&self, cx: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        PackageSet { sources: vec![], managers: vec![], packages: self.for_os(cx.os) }.script(cx)
    }

    fn merge_key(&self) -> Option<&'static str> {
        Some(PACKAGES_KEY)
    }

    fn start_merge(&self) -> Option<Box<dyn Merged>> {
        Some(Box::new(PackageSet::default()))
    }
}

impl Action for PackageManager {
    fn kind(&self) -> &'static str {
        "package_manager"
    }

    fn describe(&self) -> String {
        match self {
            PackageManager::Update => "package_manager update".into(),
            PackageManager::Upgrade => "package_manager upgrade".into(),
            PackageManager::Proxy(p) => format!("package_manager proxy {p}"),
        }
    }

    fn validate(&self) -> Result<(), ActionError> {
        match self {
            PackageManager::Proxy(url) => check("package_manager", "proxy", names::url(url)),
            PackageManager::Update | PackageManager::Upgrade => Ok(()),
        }
    }

    fn script(&self, cx: &RenderContext<'_>) -> Result<Script, ActionError> {
        PackageSet { sources: vec![], managers: vec![self.clone()], packages: vec![] }.script(cx)
    }

    fn merge_key(&self) -> Option<&'static str> {
        Some(PACKAGES_KEY)
    }

    fn start_merge(&self) -> Option<Box<dyn Merged>> {
        Some(Box::new(PackageSet::default()))
    }
}

impl Action for PackageSource {
    fn kind(&self) -> &'static str {
        "package_source"
    }

    fn describe(&self) -> String {
        format!("package_source {}", self.name)
    }

    fn validate(&self) -> Result<(), ActionError> {
        self.check_values()
    }

    fn script(&self, cx: &RenderContext<'_>) -> Result<Script, ActionError> {
        PackageSet { sources: vec![self.clone()], managers: vec![], packages: vec![] }.script(cx)
    }

    fn merge_key(&self) -> Option<&'static str> {
        Some(PACKAGES_KEY)
    }

    fn start_merge(&self) -> Option<Box<dyn Merged>> {
        Some(Box::new(PackageSet::default()))
    }
}

/// Messages of package managers that may pass by themselves (a lock held by another process, a
/// mirror or name server that did not answer): the package step retries on them.
pub const TRANSIENT_PACKAGE_ERRORS: &str = "could not get lock|unable to acquire the dpkg|lock.*is held|temporary failure|failed to fetch|unable to fetch|could not resolve|connection timed out|cannot download|curl error|system management is locked|waiting for .*lock|failed to synchronize";

/// How many times the package step retries a transient failure.
pub const PACKAGE_RETRIES: u32 = 2;

/// The merge key of package work.
pub const PACKAGES_KEY: &str = "packages";

impl Merged for PackageSet {
    fn absorb(&mut self, a: &dyn Action, os: &Os) -> bool {
        let any: &dyn std::any::Any = a;
        if let Some(p) = any.downcast_ref::<Package>() {
            self.packages.push(p.clone());
        } else if let Some(m) = any.downcast_ref::<PackageManager>() {
            self.managers.push(m.clone());
        } else if let Some(s) = any.downcast_ref::<PackageSource>() {
            self.sources.push(s.clone());
        } else if let Some(p) = any.downcast_ref::<Packages>() {
            self.packages.extend(p.for_os(os));
        } else {
            return false;
        }
        true
    }

    fn is_empty(&self) -> bool {
        self.sources.is_empty() && self.managers.is_empty() && self.packages.is_empty()
    }
}

/// The merged package work of a phase: sources, then package manager operations, then one
/// call per kind of package change.
#[derive(Debug, Clone, Default)]
pub struct PackageSet {
    /// Package sources, in order.
    pub sources: Vec<PackageSource>,
    /// Package manager operations, in order.
    pub managers: Vec<PackageManager>,
    /// Packages, in order.
    pub packages: Vec<Package>,
}

impl PackageSet {
    fn names(&self, action: PackageAction) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        for p in self.packages.iter().filter(|p| p.action == action && p.version.is_none()) {
            if !v.contains(&p.name.as_str()) {
                v.push(&p.name);
            }
        }
        v
    }
}

impl PackageSet {
    /// The packages to install at a given version, each once: `(name, version)`.
    ///
    /// # Errors
    /// A version on anything but installation, two versions of one package, or a package
    /// manager without version pinning.
    fn pinned(&self, os: &Os) -> Result<Vec<(&str, &str)>, ActionError> {
        let mut v: Vec<(&str, &str)> = Vec::new();
        for p in &self.packages {
            let Some(version) = p.version.as_deref() else { continue };
            if p.action != PackageAction::Install {
                return Err(ActionError::Invalid(format!(
                    "package {}: only installation takes a version ({version})",
                    p.name
                )));
            }
            if !matches!(os.packager, Some(Packager::Apt | Packager::Dnf | Packager::Yum | Packager::Zypper)) {
                return Err(ActionError::Invalid(format!(
                    "package {} {version}: no version pinning with {} on {os}",
                    p.name,
                    os.packager.map_or("an unknown package manager", |m| m.name())
                )));
            }
            match v.iter().find(|(n, _)| *n == p.name) {
                Some((_, other)) if *other != version => {
                    return Err(ActionError::Invalid(format!(
                        "package {}: two versions asked for ({other} and {version})",
                        p.name
                    )));
                }
                Some(_) => {}
                None => v.push((&p.name, version)),
            }
        }
        Ok(v)
    }
}

impl Action for PackageSet {
    fn kind(&self) -> &'static str {
        "packages"
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        for s in &self.sources {
            parts.push(format!("source {}", s.name));
        }
        for m in &self.managers {
            parts.push(m.describe().replace("package_manager ", ""));
        }
        for a in [PackageAction::Install, PackageAction::Remove, PackageAction::Upgrade, PackageAction::Purge] {
            let items: Vec<Package> = self.packages.iter().filter(|p| p.action == a).cloned().collect();
            if !items.is_empty() {
                parts.push(format!("{} {}", format!("{a:?}").to_lowercase(), describe_packages(&items)));
            }
        }
        format!("packages: {}", parts.join("; "))
    }

    fn validate(&self) -> Result<(), ActionError> {
        for src in &self.sources {
            src.validate()?;
        }
        for m in &self.managers {
            m.validate()?;
        }
        for p in &self.packages {
            p.validate()?;
        }
        Ok(())
    }

    fn script(&self, cx: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let os = cx.os;
        if let Some(packager) = os.packager {
            for p in &self.packages {
                check("package", "name", names::package_name(packager, &p.name))?;
            }
        }
        let mut s = Script::new();
        for src in &self.sources {
            s.push(&src.script_for(os)?);
        }
        if !self.sources.is_empty() {
            let update = f::update_package_list();
            s.push(&script! { if p_flagged packagesourcechanged && ! p_checking { #update; p_handled packagesourcechanged; } });
        }
        for m in &self.managers {
            match m {
                PackageManager::Update => {
                    let update = f::update_package_list();
                    s.push(&script! { p_checking || #update; });
                }
                PackageManager::Upgrade => {
                    let list = f::list_installed_packages();
                    let upgrade = f::upgrade_all_packages();
                    s.push(&script! {
                        if p_checking { p_changed; } else {
                            #list > $P_T/before;
                            #upgrade;
                            #list > $P_T/after;
                            cmp -s $P_T/before $P_T/after || p_changed;
                        }
                    });
                }
                PackageManager::Proxy(url) => s.push(&proxy_script(os, url)?),
            }
        }
        for (name, version) in self.pinned(os)? {
            let have = f::package_version_installed(name, version);
            let call = f::install_package_version(name, version);
            s.push(&script! { if ! #have { p_changed; p_checking || #call; } });
        }
        let install = self.names(PackageAction::Install);
        if !install.is_empty() {
            let missing = installed_test(&install, false);
            let call = f::install_packages(&install);
            s.push(&script! { if #missing { p_changed; p_checking || #call; } });
        }
        for (action, call) in [
            (PackageAction::Remove, f::remove_packages as fn(&[&str]) -> Script),
            (PackageAction::Purge, f::purge_packages),
        ] {
            let names = self.names(action);
            if !names.is_empty() {
                let present = installed_test(&names, true);
                let call = call(&names);
                s.push(&script! { if #present { p_changed; p_checking || #call; } });
            }
        }
        let upgrade = self.names(PackageAction::Upgrade);
        if !upgrade.is_empty() {
            let list = f::list_installed_packages();
            let call = f::upgrade_packages(&upgrade);
            s.push(&script! {
                if p_checking { p_changed; } else {
                    #list > $P_T/before;
                    #call;
                    #list > $P_T/after;
                    cmp -s $P_T/before $P_T/after || p_changed;
                }
            });
        }
        Ok(super::retrying(&s, TRANSIENT_PACKAGE_ERRORS, PACKAGE_RETRIES))
    }
}

/// `! installed a || ! installed b ...` (some missing) or `installed a || installed b ...`
/// (some present).
fn installed_test(names: &[&str], present: bool) -> Script {
    let mut s: Option<Script> = None;
    for n in names {
        let t = f::package_installed(n);
        let one = if present {
            script! { #t; }
        } else {
            script! { ! #t; }
        };
        s = Some(match s {
            None => one,
            Some(prev) => script! { #prev || #one; },
        });
    }
    s.unwrap_or_else(|| script! { false; })
}

fn proxy_script(os: &Os, url: &str) -> Result<Script, ActionError> {
    match os.packager {
        Some(Packager::Apt) => {
            let text = format!("Acquire::http::Proxy \"{url}\";\nAcquire::https::Proxy \"{url}\";\n");
            Ok(write_if_different("/etc/apt/apt.conf.d/90pallet-proxy", text.as_bytes(), "packagemanagerchanged"))
        }
        Some(Packager::Dnf | Packager::Yum) => {
            let conf = if os.packager == Some(Packager::Dnf) { "/etc/dnf/dnf.conf" } else { "/etc/yum.conf" };
            let line = format!("proxy={url}");
            Ok(script! {
                if ! grep -qxF -- #line #conf {
                    p_changed;
                    if ! p_checking {
                        grep -v "^proxy=" #conf > $P_T/conf || true;
                        printf "%s\\n" #line >> $P_T/conf;
                        cat $P_T/conf > #conf;
                    }
                }
            })
        }
        _ => Err(ActionError::Invalid(format!("package_manager proxy is not supported on {os}"))),
    }
}
