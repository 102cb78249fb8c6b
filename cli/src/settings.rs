//! Resolved settings: the raw arguments ([`crate::args`]) over the configuration files
//! ([`crate::config`]) over the program's defaults ([`crate::App`]), in that order of
//! precedence. Everything a command needs is decided here, before any node is touched.

use crate::Failure;
use crate::args::{Args, HostKeys};
use crate::config::Config;
use pallet_runtime::compute::registry::expand_home;
use pallet_runtime::compute::{ComputeService, ProviderConfig, Providers};
use pallet_runtime::operation::RunOptions;
use pallet_runtime::operation::members::Placement;
use pallet_runtime::spec::GroupSpec;
use pallet_runtime::transport::ssh::HostKeyPolicy;
use pallet_runtime::transport::{AdminUser, Secret};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// ` (did you mean `x`?)` when one of `known` is close to `given`, else nothing.
pub(crate) fn did_you_mean<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    pallet_runtime::suggest::did_you_mean(given, known).map(|k| format!(" (did you mean `{k}`?)")).unwrap_or_default()
}

/// Checks the requested phases against `groups` before anything runs (usage error, exit 3).
///
/// # Errors
/// A usage error naming the phase, the groups and their phases.
pub(crate) fn check_phases(groups: &[GroupSpec], requested: &[String]) -> Result<(), Failure> {
    let specs: Vec<_> = groups.iter().map(|g| (g.name(), g.server().effective())).collect();
    pallet_runtime::operation::phases::check_phases(requested, specs.iter().map(|(n, s)| (*n, s)))
        .map_err(|e| Failure::usage(e.to_string()))
}

/// The groups `names` selects from `groups` (all when `names` is empty).
///
/// # Errors
/// A usage error naming the unknown group and the known ones.
pub(crate) fn select(groups: &[GroupSpec], names: &[String]) -> Result<Vec<GroupSpec>, Failure> {
    if names.is_empty() {
        return Ok(groups.to_vec());
    }
    names
        .iter()
        .map(|n| {
            groups.iter().find(|g| g.name() == n).cloned().ok_or_else(|| {
                Failure::usage(format!(
                    "no group `{n}`{}; groups: {}",
                    did_you_mean(n, groups.iter().map(GroupSpec::name)),
                    groups.iter().map(GroupSpec::name).collect::<Vec<_>>().join(", ")
                ))
            })
        })
        .collect()
}

/// The admin user: the program's, then the configuration's `[admin_user]`, then `--user` and
/// `--key`. Without any, `$USER` with `~/.ssh/id_ed25519` when it exists.
///
/// # Errors
/// A usage error when `sudo_password_env` names an unset variable.
pub(crate) fn admin_user(default: Option<&AdminUser>, args: &Args, cfg: &Config) -> Result<AdminUser, Failure> {
    let mut u = default.cloned().unwrap_or_else(|| {
        let mut u = AdminUser::new(std::env::var("USER").unwrap_or_else(|_| "root".into()));
        let home = PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()));
        let k = home.join(".ssh/id_ed25519");
        if k.exists() {
            u = u.private_key(k);
        }
        u
    });
    if let Some(a) = &cfg.admin_user {
        if let Some(n) = &a.username {
            u.username.clone_from(n);
        }
        if let Some(k) = &a.private_key {
            u.private_key = Some(k.clone());
        }
        if a.public_key.is_some() {
            u.public_key.clone_from(&a.public_key);
        }
        if let Some(var) = &a.sudo_password_env {
            let pw = std::env::var(var)
                .map_err(|_| Failure::usage(format!("admin_user.sudo_password_env: ${var} is not set")))?;
            u.sudo_password = Some(Secret::new(pw));
        }
        u.no_sudo = a.no_sudo;
        if a.sudo_user.is_some() {
            u.sudo_user.clone_from(&a.sudo_user);
        }
    }
    if let Some(n) = &args.user {
        u.username.clone_from(n);
    }
    if let Some(k) = &args.key {
        u.private_key = Some(k.clone());
    }
    Ok(u)
}

/// The name of the service a group's nodes come from: `--service`, else the configuration's
/// `[groups.NAME] service`, else the program's mapping (`App::group_service`), else the
/// configuration's `default_service`, else the program's first built-in service; `None` when
/// there is none.
pub(crate) fn service_name_for(
    group: &str,
    args: &Args,
    cfg: &Config,
    mapped: &BTreeMap<String, String>,
    builtin: &[(String, Arc<dyn ComputeService>)],
) -> Option<String> {
    args.service
        .clone()
        .or_else(|| cfg.groups.get(group).and_then(|g| g.service.clone()))
        .or_else(|| mapped.get(group).cloned())
        .or_else(|| cfg.default_service.clone())
        .or_else(|| builtin.first().map(|(n, _)| n.clone()))
}

/// Builds compute services by name, each once: configured services through their provider,
/// else the program's built-in ones.
pub(crate) struct Services<'a> {
    pub builtin: &'a [(String, Arc<dyn ComputeService>)],
    pub providers: &'a Providers,
    pub cfg: &'a Config,
    pub admin: &'a AdminUser,
    pub groups: Vec<String>,
    built: std::collections::HashMap<String, Arc<dyn ComputeService>>,
}

impl<'a> Services<'a> {
    pub(crate) fn new(app: &'a crate::App, cfg: &'a Config, admin: &'a AdminUser, groups: &[GroupSpec]) -> Self {
        Services {
            builtin: &app.services,
            providers: &app.providers,
            cfg,
            admin,
            groups: groups.iter().map(|g| g.name().to_string()).collect(),
            built: std::collections::HashMap::new(),
        }
    }

    /// The service a group's nodes come from (see [`service_name_for`]).
    pub(crate) fn name_for(
        &self,
        group: &str,
        args: &Args,
        mapped: &BTreeMap<String, String>,
    ) -> Result<String, Failure> {
        service_name_for(group, args, self.cfg, mapped, self.builtin)
            .ok_or_else(|| Failure::usage("no compute service: configure one (services.NAME) or pass --service"))
    }

    /// The service called `name`, built on first use.
    ///
    /// # Errors
    /// A usage error for an unknown service or provider, or bad provider options.
    pub(crate) async fn get(&mut self, name: &str) -> Result<Arc<dyn ComputeService>, Failure> {
        if let Some(s) = self.built.get(name) {
            return Ok(s.clone());
        }
        let svc = self.build(name).await?;
        self.built.insert(name.to_string(), svc.clone());
        Ok(svc)
    }

    async fn build(&self, name: &str) -> Result<Arc<dyn ComputeService>, Failure> {
        if let Some(sc) = self.cfg.services.get(name) {
            let at = format!("{}{}", sc.file, sc.line.map(|l| format!(":{l}")).unwrap_or_default());
            if !self.providers.contains(&sc.provider) {
                return Err(Failure::usage(format!(
                    "{at}: services.{name}: unknown provider `{}`{}; providers: {}",
                    sc.provider,
                    did_you_mean(&sc.provider, self.providers.names()),
                    self.providers.names().join(", ")
                )));
            }
            let pc = ProviderConfig {
                service: name,
                options: &sc.options,
                base_dir: &sc.base_dir,
                admin: self.admin,
                groups: &self.groups,
            };
            return self.providers.build(&sc.provider, pc).await.map_err(|e| Failure::usage(format!("{at}: {e}")));
        }
        match self.builtin.iter().find(|(n, _)| n == name) {
            Some((_, s)) => Ok(s.clone()),
            None => {
                let mut known: Vec<&str> = self.cfg.services.keys().map(String::as_str).collect();
                known.extend(self.builtin.iter().map(|(n, _)| n.as_str()));
                Err(Failure::usage(format!(
                    "no service `{name}`{}; services: {}",
                    did_you_mean(name, known.iter().copied()),
                    known.join(", ")
                )))
            }
        }
    }

    /// `groups` placed on their services (groups of one service together, in first-seen order).
    pub(crate) async fn place(
        &mut self,
        groups: &[GroupSpec],
        args: &Args,
        mapped: &BTreeMap<String, String>,
    ) -> Result<Vec<Placement>, Failure> {
        let mut out: Vec<(String, Placement)> = Vec::new();
        for g in groups {
            let name = self.name_for(g.name(), args, mapped)?;
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some((_, p)) => p.groups.push(g.clone()),
                None => {
                    let svc = self.get(&name).await?;
                    out.push((name, Placement::new(svc, vec![g.clone()])));
                }
            }
        }
        Ok(out.into_iter().map(|(_, p)| p).collect())
    }

    /// The services `groups` are placed on, by name, each once, in first-seen order.
    ///
    /// # Errors
    /// As [`Services::get`].
    pub(crate) async fn named(
        &mut self,
        groups: &[GroupSpec],
        args: &Args,
        mapped: &BTreeMap<String, String>,
    ) -> Result<Vec<(String, Arc<dyn ComputeService>)>, Failure> {
        let mut out: Vec<(String, Arc<dyn ComputeService>)> = Vec::new();
        for g in groups {
            let name = self.name_for(g.name(), args, mapped)?;
            if !out.iter().any(|(n, _)| *n == name) {
                let svc = self.get(&name).await?;
                out.push((name, svc));
            }
        }
        Ok(out)
    }

    /// Do any of the built services create their nodes?
    pub(crate) fn any_creates_nodes(&self) -> bool {
        self.built.values().any(|s| s.creates_nodes())
    }
}

/// A per-run known_hosts file (for hosts accepted on first use), removed when the command ends.
pub(crate) struct KnownHosts(pub PathBuf);

impl KnownHosts {
    fn new() -> KnownHosts {
        KnownHosts(std::env::temp_dir().join(format!("pallet-known-hosts-{}", std::process::id())))
    }
}

impl Drop for KnownHosts {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(self.0.with_extension("old"));
    }
}

/// Run options: the program's, then the configuration's `[run]` and `[ssh]`, then the flags
/// (`--jump` replaces the configured jump hosts); the admin user; host keys (accept-new into a
/// per-run file for services that create their nodes, or with `--host-keys accept-new`); the
/// image login user of bootstrap.
pub(crate) fn run_options(
    base: &RunOptions,
    args: &Args,
    cfg: &Config,
    admin: AdminUser,
    creates_nodes: bool,
) -> (RunOptions, KnownHosts) {
    let known_hosts = KnownHosts::new();
    let host_keys = if creates_nodes || args.host_keys == HostKeys::AcceptNew {
        HostKeyPolicy::AcceptNew(known_hosts.0.clone())
    } else {
        base.ssh.host_keys.clone()
    };
    // Groups that state no image login user bootstrap as root with the admin key.
    let mut image_user = AdminUser::new("root");
    image_user.private_key.clone_from(&admin.private_key);
    let r = &cfg.run;
    let secs = std::time::Duration::from_secs;
    let limit = |v: u64| (v > 0).then(|| secs(v));
    let mut o = RunOptions { user: admin, image_user: Some(image_user), ..base.clone() };
    if o.controller_state.is_none() {
        o.controller_state = pallet_runtime::operation::default_controller_state();
    }
    o.ssh.host_keys = host_keys;
    // Kept for a minute by default, like Ansible's ControlPersist; 0 closes them at the end.
    o.ssh.keep_connections = limit(args.keep_connections.or(r.keep_connections).unwrap_or(60));
    if let Some(t) = args.connect_timeout.or(r.connect_timeout) {
        o.ssh.connect_timeout = secs(t.max(1));
    }
    if let Some(n) = args.connect_retries.or(r.connect_retries) {
        o.connect_retries = n;
    }
    if let Some(t) = args.connect_retry_delay.or(r.connect_retry_delay) {
        o.connect_retry_delay = secs(t);
    }
    if let Some(t) = args.probe_timeout.or(r.probe_timeout) {
        o.probe_timeout = secs(t.max(1));
    }
    if let Some(t) = args.phase_timeout.or(r.phase_timeout) {
        o.phase_timeout = limit(t);
    }
    if let Some(t) = args.deadline.or(r.deadline) {
        o.deadline = limit(t);
    }
    if let Some(c) = args.concurrency.or(r.concurrency) {
        o.concurrency = c.max(1);
    }
    if let Some(c) = args.handshake_concurrency.or(r.handshake_concurrency) {
        o.handshake_concurrency = c.max(1);
    }
    o.with_dependents |= args.with_dependents;
    // The configuration's environment over the program's.
    for (k, v) in &cfg.environment {
        o.environment.insert(k.clone(), serde_json::to_value(v).unwrap_or_default());
    }
    if !args.jump.is_empty() {
        o.ssh.jump_hosts.clone_from(&args.jump);
    } else if let Some(j) = &cfg.ssh.jump_hosts {
        o.ssh.jump_hosts.clone_from(j);
    }
    if let Some(f) = args.ssh_config.as_deref().map(expand_home).or_else(|| cfg.ssh.config_file.clone()) {
        // ssh runs elsewhere than the working directory when it is a jump host's.
        o.ssh.config_file = Some(std::path::absolute(&f).unwrap_or(f));
    }
    (o, known_hosts)
}
