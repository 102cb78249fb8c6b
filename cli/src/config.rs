//! Configuration: `~/.config/pallet/config.toml` (or the file `PALLET_CONFIG` names), then a
//! project `pallet.toml` in the working directory on top (Pallet's `~/.pallet/config.clj` and
//! project file).
//!
//! ```toml
//! default_service = "lab"
//!
//! [services.lab]
//! provider = "node-list"          # any registered provider: node-list | containers | localhost | ...
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
//! [run]                          # run options, in seconds; flags override them
//! connect_timeout = 10
//! connect_retries = 2
//! probe_timeout = 20
//! phase_timeout = 1800            # 0: no limit
//! deadline = 0                    # the whole operation; 0: no limit
//! concurrency = 100
//!
//! [groups.db]                    # a hybrid configuration: this group's nodes come from "lab"
//! service = "lab"
//!
//! [ssh]                          # how nodes are reached; flags override them
//! jump_hosts = ["admin@bastion.example.com:22"]   # ProxyJump, in order (--jump)
//! config_file = "~/.ssh/pallet_config"            # instead of ~/.ssh/config (--ssh-config)
//!
//! [environment]                  # variables plans read with `Plan::var`
//! region = "eu"
//! ```
//!
//! A service table names its `provider`; the provider reads the other keys and refuses unknown
//! ones (see `pallet_runtime::compute::Providers`).

use pallet_runtime::compute::registry::expand_home;
use pallet_runtime::transport::ssh::check_jump_host;
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

/// One compute service of the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceConfig {
    /// The provider's registered name (`node-list`, `containers`, `localhost`, `ec2`, ...).
    pub provider: String,
    /// The other keys of the table, for the provider.
    pub options: toml::Table,
    /// The directory of the file that defined it (relative paths are relative to it).
    pub base_dir: PathBuf,
    /// The file that defined it.
    pub file: String,
    /// The line of its `provider` key.
    pub line: Option<usize>,
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

/// Run options (`[run]`): durations in seconds; command-line flags override them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Give up connecting after this many seconds (default 10).
    pub connect_timeout: Option<u64>,
    /// Connection retries on transient failures (default 2).
    pub connect_retries: Option<u32>,
    /// Seconds before the first connection retry, doubled each time (default 1).
    pub connect_retry_delay: Option<u64>,
    /// The OS probe's limit (default 20).
    pub probe_timeout: Option<u64>,
    /// A node's phase limit; 0 means none (default 1800).
    pub phase_timeout: Option<u64>,
    /// The whole operation's limit; 0 means none (default 0).
    pub deadline: Option<u64>,
    /// Nodes at once (default 100).
    pub concurrency: Option<usize>,
    /// SSH handshakes at once (default 20).
    pub handshake_concurrency: Option<usize>,
    /// Keep SSH masters this many seconds after a run (default 60; 0 closes them).
    pub keep_connections: Option<u64>,
    /// Which groups plans see besides the named ones: `all` (default) or `named`.
    pub scope: Option<crate::args::Scope>,
}

impl RunConfig {
    fn merge(self, over: RunConfig) -> RunConfig {
        RunConfig {
            connect_timeout: over.connect_timeout.or(self.connect_timeout),
            connect_retries: over.connect_retries.or(self.connect_retries),
            connect_retry_delay: over.connect_retry_delay.or(self.connect_retry_delay),
            probe_timeout: over.probe_timeout.or(self.probe_timeout),
            phase_timeout: over.phase_timeout.or(self.phase_timeout),
            deadline: over.deadline.or(self.deadline),
            concurrency: over.concurrency.or(self.concurrency),
            handshake_concurrency: over.handshake_concurrency.or(self.handshake_concurrency),
            keep_connections: over.keep_connections.or(self.keep_connections),
            scope: over.scope.or(self.scope),
        }
    }
}

/// A group's settings (`[groups.NAME]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    /// The service its nodes come from (a hybrid configuration maps groups to services).
    pub service: Option<String>,
}

/// How nodes are reached (`[ssh]`); `--jump` and `--ssh-config` override it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshConfig {
    /// Jump hosts (`[user@]host[:port]`), in order; default none.
    pub jump_hosts: Option<Vec<String>>,
    /// An ssh_config read instead of `~/.ssh/config` and `/etc/ssh/ssh_config` (`~` expands;
    /// relative to the configuration file); default none.
    pub config_file: Option<PathBuf>,
}

impl SshConfig {
    fn merge(self, over: SshConfig) -> SshConfig {
        SshConfig {
            jump_hosts: over.jump_hosts.or(self.jump_hosts),
            config_file: over.config_file.or(self.config_file),
        }
    }
}

/// What one file holds, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    default_service: Option<String>,
    #[serde(default)]
    run: RunConfig,
    #[serde(default)]
    groups: BTreeMap<String, GroupConfig>,
    #[serde(default)]
    ssh: SshConfig,
    #[serde(default)]
    services: BTreeMap<String, toml::Spanned<toml::Table>>,
    admin_user: Option<AdminConfig>,
    #[serde(default)]
    environment: BTreeMap<String, toml::Value>,
}

/// The merged configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// The service used without `--service`.
    pub default_service: Option<String>,
    /// Services by name.
    pub services: BTreeMap<String, ServiceConfig>,
    /// The admin user.
    pub admin_user: Option<AdminConfig>,
    /// Values for plans (`Plan::var`): over the program's, under group and host variables.
    pub environment: BTreeMap<String, toml::Value>,
    /// Groups' settings.
    pub groups: BTreeMap<String, GroupConfig>,
    /// Run options.
    pub run: RunConfig,
    /// How nodes are reached.
    pub ssh: SshConfig,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parses one configuration file's text; relative paths are made relative to `dir`.
///
/// # Errors
/// [`ConfigError`] with the line of the problem.
pub fn parse(text: &str, file: &str, dir: &Path) -> Result<Config, ConfigError> {
    let err = |line, message: String| ConfigError { file: file.to_string(), line, message };
    let f: File =
        toml::from_str(text).map_err(|e| err(e.span().map(|s| line_of(text, s.start)), e.message().to_string()))?;
    let mut services = BTreeMap::new();
    for (name, table) in f.services {
        let line = Some(line_of(text, table.span().start));
        let mut options = table.into_inner();
        let provider = match options.remove("provider") {
            Some(toml::Value::String(p)) => p,
            Some(other) => {
                return Err(err(
                    line,
                    format!("services.{name}: `provider` must be a string, found {}", other.type_str()),
                ));
            }
            None => return Err(err(line, format!("services.{name}: missing `provider`"))),
        };
        services.insert(
            name,
            ServiceConfig { provider, options, base_dir: dir.to_path_buf(), file: file.to_string(), line },
        );
    }
    let mut admin_user = f.admin_user;
    if let Some(a) = &mut admin_user {
        a.private_key = a.private_key.as_deref().map(expand_home);
        a.public_key = a.public_key.as_deref().map(expand_home);
    }
    let mut ssh = f.ssh;
    if let Some(c) = ssh.config_file.take() {
        let c = expand_home(&c);
        ssh.config_file = Some(if c.is_relative() { dir.join(c) } else { c });
    }
    if let Some(bad) = ssh.jump_hosts.iter().flatten().find_map(|h| check_jump_host(h).err()) {
        return Err(err(None, format!("ssh.jump_hosts: {bad}")));
    }
    Ok(Config {
        default_service: f.default_service,
        services,
        admin_user,
        environment: f.environment,
        run: f.run,
        groups: f.groups,
        ssh,
    })
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
        self.run = self.run.merge(over.run);
        self.groups.extend(over.groups);
        self.ssh = self.ssh.merge(over.ssh);
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
        let e = parse("default_service = \"x\"\n\n[services.x]\nengine = \"podman\"\n", "cfg.toml", Path::new("."))
            .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("cfg.toml", Some(3)));
        assert!(e.message.contains("missing `provider`"), "{e}");
        let e = parse("admin_user = { usrname = \"a\" }\n", "cfg.toml", Path::new(".")).unwrap_err();
        assert!(e.to_string().starts_with("cfg.toml:1: unknown field `usrname`"), "{e}");
    }

    #[test]
    fn ssh_section_resolves_paths_and_refuses_odd_jump_hosts() {
        let c =
            parse("[ssh]\njump_hosts = [\"me@bastion:2222\"]\nconfig_file = \"ssh_config\"\n", "c", Path::new("/d"))
                .unwrap();
        assert_eq!(c.ssh.jump_hosts.as_deref(), Some(&["me@bastion:2222".to_string()][..]));
        assert_eq!(c.ssh.config_file.as_deref(), Some(Path::new("/d/ssh_config")));
        let e = parse("[ssh]\njump_hosts = [\"-oProxyCommand=x\"]\n", "c", Path::new("/d")).unwrap_err();
        assert!(e.message.contains("ssh.jump_hosts: `-oProxyCommand=x`"), "{e}");
        let over = parse("[ssh]\njump_hosts = []\n", "p", Path::new("/p")).unwrap();
        let m = c.merge(over);
        assert_eq!((m.ssh.jump_hosts, m.ssh.config_file.as_deref()), (Some(vec![]), Some(Path::new("/d/ssh_config"))));
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
        let s = &m.services["b"];
        assert_eq!((s.provider.as_str(), s.base_dir.as_path(), s.line), ("node-list", Path::new("/p"), Some(2)));
        assert_eq!(s.options.get("inventory").and_then(toml::Value::as_str), Some("inv.toml"));
    }
}
