//! OpenJDK for pallet (Pallet's `java` crate): a JRE or a JDK of a major version, from the
//! distribution's packages, with a stable `JAVA_HOME` and (by default) the system's `java`.
//!
//! ```
//! use pallet::prelude::*;
//! use pallet_openjdk::{Kind, OpenJdkConfig};
//!
//! let java = OpenJdkConfig { major: Some(17), kind: Kind::Jdk, ..OpenJdkConfig::default() };
//! let build = group_spec! { name = "build", count = 1, extends = [pallet_openjdk::server_spec(java)] };
//! assert!(build.server().effective().has_phase("configure"));
//! ```
//!
//! # What it does
//!
//! - `settings` ([`settings`]): publishes [`JavaSettings`] under [`FACILITY`] (`java`).
//! - `configure` ([`configure`]): installs the package ([`Flavor::package`]); makes
//!   `JAVA_HOME` a stable path, the same on every architecture (Debian's directory names carry
//!   the architecture: pallet links `/usr/lib/jvm/java-MAJOR-openjdk` to it); makes this
//!   major the system's `java` when `default` (Debian's and RHEL's alternatives, Alpine's
//!   `default-jvm` link), each only when it differs; then checks that `java -version` runs
//!   and names the major. There is no service to validate or restart.
//!
//! # OS support
//!
//! Run for real in the tests: [`OS_TESTED`] (Debian 12, OpenJDK 17). Rendered and passed
//! through the shell gate: [`OS_RENDERED`] (Ubuntu 24.04, RHEL 9 and its rebuilds, Fedora 40,
//! Alpine 3.20). Amazon Linux (Corretto, not OpenJDK) and other OSes, and releases whose
//! default this crate does not know unless `major` is set, are refused when planning.
//!
//! Replaces Pallet's `pallet/java-crate` (OpenJDK strategy; Oracle's downloads are gone).

use pallet::prelude::*;
use pallet::stevedore::os::FamilyGroup;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The settings facility nodes publish [`JavaSettings`] under.
pub const FACILITY: &str = "java";

/// The role [`server_spec`] gives its nodes.
pub const ROLE: &str = "java";

/// OS specs (as in `pallet_testkit::os::ALL`) this crate's tests run for real.
pub const OS_TESTED: &[&str] = &["debian-12"];

/// OS specs whose plans the tests render and pass through the shell gate without running them.
pub const OS_RENDERED: &[&str] =
    &["ubuntu-24.04", "rhel-9", "rocky-9", "alma-9", "oracle-9", "fedora-40", "alpine-3.20"];

/// A runtime or a development kit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The runtime (`java`), default.
    #[default]
    Jre,
    /// The development kit (`javac`, `jar`, ...), which includes the runtime.
    Jdk,
}

/// Which Java.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpenJdkConfig {
    /// The major version; `None` (default): the distribution's default ([`default_major`]).
    pub major: Option<u32>,
    /// JRE or JDK (default JRE).
    pub kind: Kind,
    /// The headless packages, without the GUI libraries (default `true`).
    pub headless: bool,
    /// Make this major the system's `java` (default `true`).
    pub default: bool,
}

impl Default for OpenJdkConfig {
    fn default() -> Self {
        OpenJdkConfig { major: None, kind: Kind::Jre, headless: true, default: true }
    }
}

/// What a node publishes under [`FACILITY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JavaSettings {
    /// The major version.
    pub major: u32,
    /// A JDK (else a JRE)?
    pub jdk: bool,
    /// `JAVA_HOME`: a path that does not depend on the architecture.
    pub java_home: String,
}

/// The distribution's default major version for `os`, when this crate knows the release:
/// Debian 11/12/13: 11/17/21; Ubuntu 22.04/24.04: 11/21; RHEL 9 and its rebuilds: 17; Fedora
/// 40/41: 21; Alpine 3.19/3.20: 17/21.
pub fn default_major(os: &Os) -> Option<u32> {
    let v = os.version.as_ref()?;
    Some(match (os.family?.name(), v.major(), v.minor()) {
        ("debian", 11, _) => 11,
        ("debian", 12, _) => 17,
        ("debian", 13, _) => 21,
        ("ubuntu", 22, 4) => 11,
        ("ubuntu", 24, 4) => 21,
        ("rhel" | "rocky" | "alma" | "oracle", 9, _) => 17,
        ("fedora", 40 | 41, _) => 21,
        ("alpine", 3, 19) => 17,
        ("alpine", 3, 20) => 21,
        _ => return None,
    })
}

/// Package and paths on one distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flavor {
    /// The major version.
    pub major: u32,
    /// The package.
    pub package: String,
    /// `JAVA_HOME` as published.
    pub java_home: String,
    /// Does the package's directory name carry the architecture (Debian's
    /// `java-MAJOR-openjdk-ARCH`)? Then pallet links `java_home` to it.
    pub link: bool,
    /// How the system's `java` is chosen.
    pub default: DefaultJava,
}

/// How the system's `java` is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultJava {
    /// `update-alternatives --set java` (Debian).
    UpdateAlternatives,
    /// `alternatives --set java` (RHEL).
    Alternatives,
    /// The `/usr/lib/jvm/default-jvm` link (Alpine).
    DefaultJvmLink,
}

/// The flavor of `os` for `config`.
///
/// # Errors
/// The refusal, naming this crate: an OS it does not support, or a release whose default it
/// does not know while `major` is not set.
pub fn flavor(os: &Os, config: &OpenJdkConfig) -> Result<Flavor, String> {
    let supported = os.in_group(FamilyGroup::DebianLike)
        || (os.is_rhel_like() && os.packager == Some(Packager::Dnf) && os.family.is_some_and(|f| f.name() != "amazon"))
        || os.in_group(FamilyGroup::AlpineLike);
    if !supported {
        return Err(format!(
            "pallet-openjdk does not support {os}: it supports the Debian family, RHEL 9 and its rebuilds, Fedora, and Alpine"
        ));
    }
    let v = config
        .major
        .or_else(|| default_major(os))
        .ok_or_else(|| format!("pallet-openjdk does not know the default Java of {os}: set `major`"))?;
    let h = if config.headless { "-headless" } else { "" };
    let jdk = config.kind == Kind::Jdk;
    Ok(if os.in_group(FamilyGroup::DebianLike) {
        Flavor {
            major: v,
            package: format!("openjdk-{v}-{}{h}", if jdk { "jdk" } else { "jre" }),
            java_home: format!("/usr/lib/jvm/java-{v}-openjdk"),
            link: true,
            default: DefaultJava::UpdateAlternatives,
        }
    } else if os.is_rhel_like() {
        Flavor {
            major: v,
            package: if jdk { format!("java-{v}-openjdk-devel") } else { format!("java-{v}-openjdk{h}") },
            java_home: if jdk {
                format!("/usr/lib/jvm/java-{v}-openjdk")
            } else {
                format!("/usr/lib/jvm/jre-{v}-openjdk")
            },
            link: false,
            default: DefaultJava::Alternatives,
        }
    } else {
        Flavor {
            major: v,
            package: if jdk { format!("openjdk{v}-jdk") } else { format!("openjdk{v}-jre{h}") },
            java_home: format!("/usr/lib/jvm/java-{v}-openjdk"),
            link: false,
            default: DefaultJava::DefaultJvmLink,
        }
    })
}

plan_fn! {
    /// Publishes [`JavaSettings`] under [`FACILITY`] (`java`). Run it in `settings`.
    pub fn settings(ctx, config: &OpenJdkConfig) {
        match flavor(ctx.os(), config) {
            Ok(f) => { ctx.publish(FACILITY, &JavaSettings { major: f.major, jdk: config.kind == Kind::Jdk, java_home: f.java_home }); }
            Err(e) => { ctx.fail(e); }
        }
    }
}

plan_fn! {
    /// Installs the package, links `JAVA_HOME` where the package's directory name carries the
    /// architecture, makes this major the system's `java` (when `default`), each only when it
    /// differs, then checks `java -version` names the major.
    pub fn configure(ctx, config: &OpenJdkConfig) {
        let f = match flavor(ctx.os(), config) {
            Ok(f) => f,
            Err(e) => return ctx.fail(e),
        };
        package(f.package.clone());
        let home = f.java_home.clone();
        exec_checked_script("JAVA_HOME and the default java", link_and_default(&f, config.default)).unchanged();
        let java = format!("{home}/bin/java");
        let want = format!("version \"{}", f.major);
        exec_checked_script("java -version", script! {
            if p_checking && [ ! -x #java ] { exit 0; }
            #java -version > $P_T/java-version 2>&1;
            if ! grep -q #want $P_T/java-version { cat $P_T/java-version >&2; exit 1; }
        }).unchanged();
    }
}

/// The script linking `JAVA_HOME` (Debian) and choosing the system's `java`.
fn link_and_default(f: &Flavor, default: bool) -> Script {
    let home = f.java_home.as_str();
    let java = format!("{home}/bin/java");
    let mut s = Script::new();
    if f.link {
        s.push(&script! {
            p_real=/usr/lib/jvm/java-#(f.major)-openjdk-$(dpkg --print-architecture);
            if [ $(readlink #home || true) != $p_real ] { p_changed; p_checking || ln -sfn -- $p_real #home; }
        });
    }
    if default {
        s.push(&match f.default {
            DefaultJava::UpdateAlternatives => script! {
                p_real_java=$(readlink -f #java || true);
                if [ $(readlink -f /etc/alternatives/java || true) != $p_real_java ] {
                    p_changed;
                    p_checking || update-alternatives --quiet --set java $p_real_java;
                }
            },
            DefaultJava::Alternatives => script! {
                p_real_java=$(readlink -f #java || true);
                if [ $(readlink -f /etc/alternatives/java || true) != $p_real_java ] {
                    p_changed;
                    p_checking || alternatives --set java $p_real_java;
                }
            },
            DefaultJava::DefaultJvmLink => {
                let name = format!("java-{}-openjdk", f.major);
                script! {
                    if [ $(readlink /usr/lib/jvm/default-jvm || true) != #name ] {
                        p_changed;
                        p_checking || ln -sfn -- #name /usr/lib/jvm/default-jvm;
                    }
                }
            }
        });
    }
    if s.is_empty() {
        s.push(&script! { :; });
    }
    s
}

/// A server spec to extend: `settings` publishes [`JavaSettings`], `configure` installs Java
/// from `config`; role [`ROLE`] (`java`).
pub fn server_spec(config: OpenJdkConfig) -> ServerSpec {
    let config = Arc::new(config);
    let (s, c) = (config.clone(), config);
    server_spec! {
        phases = {
            settings = move |ctx: &mut Plan<'_>| settings(ctx, &s),
            configure = move |ctx: &mut Plan<'_>| configure(ctx, &c),
        },
        roles = [java],
    }
}
