//! Configuration: `~/.config/pallet/config.toml` (or the file `PALLET_CONFIG` names), then a
//! project `pallet.toml` in the working directory on top (Pallet's `~/.pallet/config.clj` and
//! project file).
//!
//! ```toml
//! default_service = "lab"
//!
//! [services.lab]
//! provider = "node-list"          # node-list | containers | localhost
//! inventory = "inventory.toml"    # node-list: a TOML inventory (relative to this file)
//!
//! [services.local]
//! provider = "containers"
//! engine = "podman"
//! engine_args = ["--runtime", "runc"]
//! run_args = ["--ulimit", "nofile=1024:1024"]
//! image = "localhost/pallet-debian:12"
//!
//! [admin_user]
//! username = "admin"
//! private_key = "~/.ssh/id_ed25519"
//! sudo_password_env = "PALLET_SUDO_PASSWORD"   # read from this environment variable
//!
//! [environment]
//! region = "eu"
//! ```

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A configuration error: which file, where, what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}: {message}", .line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    /// The file.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// One compute service.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "provider", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ServiceConfig {
    /// Existing hosts from an inventory.
    NodeList {
        /// The TOML inventory file.
        inventory: PathBuf,
    },
    /// Local containers.
    Containers {
        /// `podman` (default) or `docker`.
        #[serde(default)]
        engine: Option<String>,
        /// Arguments before every engine subcommand.
        #[serde(default)]
        engine_args: Vec<String>,
        /// Extra `run` arguments.
        #[serde(default)]
        run_args: Vec<String>,
        /// The default image.
        #[serde(default)]
        image: Option<String>,
        /// Where node flags are kept.
        #[serde(default)]
        state_dir: Option<PathBuf>,
    },
    /// This machine.
    Localhost {},
}

/// The admin user.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Login name.
    pub username: Option<String>,
    /// Private key file (`~` expands).
    pub private_key: Option<PathBuf>,
    /// Public key file.
    pub public_key: Option<PathBuf>,
    /// The environment variable holding the sudo password (never the password itself).
    pub sudo_password_env: Option<String>,
    /// Run without sudo.
    #[serde(default)]
    pub no_sudo: bool,
    /// sudo to this user.
    pub sudo_user: Option<String>,
}

/// The merged configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The service used without `--service`.
    pub default_service: Option<String>,
    /// Services by name.
    #[serde(default)]
    pub services: BTreeMap<String, ServiceConfig>,
    /// The admin user.
    pub admin_user: Option<AdminConfig>,
    /// Values for plans.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
}

/// Expands a leading `~/`.
pub fn expand_home(p: &Path) -> PathBuf {
    match p.to_str().and_then(|s| s.strip_prefix("~/")) {
        Some(rest) => PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(rest),
        None => p.to_path_buf(),
    }
}

/// Parses one configuration file's text; relative paths are made relative to `dir`.
///
/// # Errors
/// [`ConfigError`] with the line of the problem.
pub fn parse(text: &str, file: &str, dir: &Path) -> Result<Config, ConfigError> {
    let mut c: Config = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        ConfigError { file: file.to_string(), line, message: e.message().to_string() }
    })?;
    for s in c.services.values_mut() {
        if let ServiceConfig::NodeList { inventory } = s {
            let p = expand_home(inventory);
            *inventory = if p.is_relative() { dir.join(p) } else { p };
        }
    }
    if let Some(a) = &mut c.admin_user {
        a.private_key = a.private_key.as_deref().map(expand_home);
        a.public_key = a.public_key.as_deref().map(expand_home);
    }
    Ok(c)
}

impl Config {
    /// `over` on top of `self`: services merge by name, other settings are replaced when set.
    pub fn merge(mut self, over: Config) -> Config {
        if over.default_service.is_some() {
            self.default_service = over.default_service;
        }
        self.services.extend(over.services);
        if over.admin_user.is_some() {
            self.admin_user = over.admin_user;
        }
        self.environment.extend(over.environment);
        self
    }
}

fn read(path: &Path) -> Result<Option<Config>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let dir = path.parent().unwrap_or(Path::new("."));
            parse(&text, &path.display().to_string(), dir).map(Some)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError { file: path.display().to_string(), line: None, message: e.to_string() }),
    }
}

/// Loads the user configuration (`explicit`, else `PALLET_CONFIG`, else
/// `~/.config/pallet/config.toml`) and the project's `pallet.toml` on top.
///
/// # Errors
/// [`ConfigError`]; an explicitly named file that does not exist is an error too.
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let named = explicit.map(Path::to_path_buf).or_else(|| std::env::var_os("PALLET_CONFIG").map(PathBuf::from));
    let user = match &named {
        Some(p) => Some(read(p)?.ok_or_else(|| ConfigError {
            file: p.display().to_string(),
            line: None,
            message: "no such file".into(),
        })?),
        None => {
            let home = std::env::var("XDG_CONFIG_HOME").map(PathBuf::from).unwrap_or_else(|_| {
                PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".config")
            });
            read(&home.join("pallet/config.toml"))?
        }
    };
    let project = read(Path::new("pallet.toml"))?;
    let mut c = user.unwrap_or_default();
    if let Some(p) = project {
        c = c.merge(p);
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_line_and_expectation() {
        let e = parse("default_service = \"x\"\n\n[services.x]\nprovider = \"nodelist\"\n", "cfg.toml", Path::new("."))
            .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("cfg.toml", Some(4)));
        assert!(e.message.contains("node-list"), "{e}");
        let e = parse("admin_user = { usrname = \"a\" }\n", "cfg.toml", Path::new(".")).unwrap_err();
        assert!(e.to_string().starts_with("cfg.toml:1: unknown field `usrname`"), "{e}");
    }

    #[test]
    fn project_overrides_user() {
        let a =
            parse("default_service = \"a\"\n[services.a]\nprovider = \"localhost\"\n", "a", Path::new("/d")).unwrap();
        let b = parse(
            "default_service = \"b\"\n[services.b]\nprovider = \"node-list\"\ninventory = \"inv.toml\"\n",
            "b",
            Path::new("/p"),
        )
        .unwrap();
        let m = a.merge(b);
        assert_eq!(m.default_service.as_deref(), Some("b"));
        assert_eq!(m.services.len(), 2);
        assert_eq!(m.services["b"], ServiceConfig::NodeList { inventory: PathBuf::from("/p/inv.toml") });
    }
}
