//! Resolved settings: the raw arguments ([`crate::args`]) over the configuration files
//! ([`crate::config`]) over the program's defaults ([`crate::App`]), in that order of
//! precedence. Everything a command needs is decided here, before any node is touched.

use crate::Failure;
use crate::args::{Args, HostKeys};
use crate::config::Config;
use pallet_runtime::compute::{ComputeService, ProviderConfig, Providers};
use pallet_runtime::operation::RunOptions;
use pallet_runtime::spec::GroupSpec;
use pallet_runtime::transport::ssh::HostKeyPolicy;
use pallet_runtime::transport::{AdminUser, Secret};
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

/// The compute service: `--service`, else the configuration's `default_service`, else the
/// program's first built-in service. A configured service is built by its provider.
///
/// # Errors
/// A usage error for a missing or unknown service or provider, or bad provider options.
pub(crate) async fn service(
    builtin: &[(String, Arc<dyn ComputeService>)],
    providers: &Providers,
    args: &Args,
    cfg: &Config,
    admin: &AdminUser,
    groups: &[GroupSpec],
) -> Result<Arc<dyn ComputeService>, Failure> {
    let name = args
        .service
        .clone()
        .or_else(|| cfg.default_service.clone())
        .or_else(|| builtin.first().map(|(n, _)| n.clone()));
    let Some(name) = name else {
        return Err(Failure::usage("no compute service: configure one (services.NAME) or pass --service"));
    };
    if let Some(sc) = cfg.services.get(&name) {
        let at = format!("{}{}", sc.file, sc.line.map(|l| format!(":{l}")).unwrap_or_default());
        if !providers.contains(&sc.provider) {
            return Err(Failure::usage(format!(
                "{at}: services.{name}: unknown provider `{}`{}; providers: {}",
                sc.provider,
                did_you_mean(&sc.provider, providers.names()),
                providers.names().join(", ")
            )));
        }
        let names: Vec<String> = groups.iter().map(|g| g.name().to_string()).collect();
        let pc = ProviderConfig { service: &name, options: &sc.options, base_dir: &sc.base_dir, admin, groups: &names };
        return providers.build(&sc.provider, pc).await.map_err(|e| Failure::usage(format!("{at}: {e}")));
    }
    match builtin.iter().find(|(n, _)| *n == name) {
        Some((_, s)) => Ok(s.clone()),
        None => {
            let mut known: Vec<&str> = cfg.services.keys().map(String::as_str).collect();
            known.extend(builtin.iter().map(|(n, _)| n.as_str()));
            Err(Failure::usage(format!(
                "no service `{name}`{}; services: {}",
                did_you_mean(&name, known.iter().copied()),
                known.join(", ")
            )))
        }
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

/// Run options: the program's, then the configuration's `[run]`, then the flags; the admin
/// user; host keys (accept-new into a per-run file for services that create their nodes, or
/// with `--host-keys accept-new`); the image login user of bootstrap.
pub(crate) fn run_options(
    base: &RunOptions,
    args: &Args,
    cfg: &Config,
    admin: AdminUser,
    svc: &dyn ComputeService,
    groups: &[GroupSpec],
) -> (RunOptions, KnownHosts) {
    let known_hosts = KnownHosts::new();
    let host_keys = if svc.creates_nodes() || args.host_keys == HostKeys::AcceptNew {
        HostKeyPolicy::AcceptNew(known_hosts.0.clone())
    } else {
        base.ssh.host_keys.clone()
    };
    let login = groups
        .iter()
        .find_map(|g| g.server().effective().node_spec().image.login_user.clone())
        .unwrap_or_else(|| "root".into());
    let mut image_user = AdminUser::new(login);
    image_user.private_key.clone_from(&admin.private_key);
    let r = &cfg.run;
    let secs = std::time::Duration::from_secs;
    let limit = |v: u64| (v > 0).then(|| secs(v));
    let mut o = RunOptions { user: admin, image_user: Some(image_user), ..base.clone() };
    o.ssh.host_keys = host_keys;
    if let Some(k) = args.keep_connections.or(r.keep_connections) {
        o.ssh.keep_connections = Some(secs(k));
    }
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
    (o, known_hosts)
}
