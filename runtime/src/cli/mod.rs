//! The command line every ops binary gets (Pallet's `lein pallet` tasks):
//!
//! ```text
//! ops converge [GROUP=N ...] [--phase P ...]   make groups have N nodes, then configure
//! ops lift [GROUP ...] [--phase P ...]         run phases on existing nodes
//! ops nodes [GROUP ...]                        list nodes (table or JSON)
//! ops plan [GROUP ...] [--os OS] [--phase P]   dry run: the exact script each node would run
//! ops check [GROUP ...] [--phase P ...]        run only the checks; report what would change
//! ops destroy GROUP ... [--yes]                remove the groups' nodes
//! ops script --os OS [--group G] [--phase P]   render scripts without any node
//! ```
//! Global flags: `--service NAME`, `--user NAME`, `--key FILE`, `--concurrency N`,
//! `--format human|json`, `--config FILE`, `--host-keys strict|accept-new`, `-v`/`-q`.
//!
//! Exit codes: 0 success; 1 something failed; 2 `check` found changes; 3 usage or configuration
//! error.

pub mod config;

use crate::compute::{ComputeService, Containers, Localhost, NodeList};
use crate::converge::converge;
use crate::lift::lift;
use crate::node::Node;
use crate::operation::{Operation, RunOptions};
use crate::plan::{Target, World, plan_phase};
use crate::progress::{Display, watch};
use crate::render::{RenderOptions, render_phase};
use crate::report::{Report, Status};
use crate::spec::{BOOTSTRAP, GroupSpec, SETTINGS};
use crate::transport::ssh::{HostKeyPolicy, SshOptions};
use crate::transport::{AdminUser, Secret};
use clap::{Parser, Subcommand, ValueEnum};
use config::{Config, ServiceConfig};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use stevedore::Os;

/// Success.
pub const EXIT_OK: u8 = 0;
/// Something failed.
pub const EXIT_FAILED: u8 = 1;
/// `check` found changes.
pub const EXIT_CHANGES: u8 = 2;
/// Usage or configuration error.
pub const EXIT_USAGE: u8 = 3;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    Human,
    /// JSON (see `docs/report.schema.json`).
    Json,
}

/// Host key checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HostKeys {
    /// Keys must be in ~/.ssh/known_hosts.
    Strict,
    /// Unknown keys are accepted into this run's known_hosts file.
    AcceptNew,
}

#[derive(Debug, Parser)]
#[command(version, about = "Operate the groups this program defines (pallet)", disable_help_subcommand = true)]
struct Cli {
    /// The compute service (from the configuration); default: its `default_service`.
    #[arg(long, global = true)]
    service: Option<String>,
    /// The admin user to log in as.
    #[arg(long, global = true)]
    user: Option<String>,
    /// The admin user's private key.
    #[arg(long, global = true)]
    key: Option<PathBuf>,
    /// At most this many nodes at once.
    #[arg(long, global = true)]
    concurrency: Option<usize>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// The configuration file (default: $PALLET_CONFIG, then ~/.config/pallet/config.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Host key checking (containers this program creates always use accept-new).
    #[arg(long, global = true, value_enum, default_value_t = HostKeys::Strict)]
    host_keys: HostKeys,
    /// Keep SSH masters running this many seconds after the run and reuse them in the next one
    /// (like Ansible's ControlPersist).
    #[arg(long, global = true, value_name = "SECONDS")]
    keep_connections: Option<u64>,
    /// More log output (RUST_LOG overrides).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make each group have its node count (GROUP=N), then run bootstrap and the phases.
    Converge {
        /// Target counts, e.g. `web=2 db=1`; without any, every group's own count.
        counts: Vec<String>,
        /// Phases after bootstrap (default: the groups' default phases).
        #[arg(long = "phase")]
        phases: Vec<String>,
    },
    /// Run phases on the existing nodes of groups (all groups by default).
    Lift {
        /// Groups.
        groups: Vec<String>,
        /// Phases (default: the groups' default phases).
        #[arg(long = "phase")]
        phases: Vec<String>,
    },
    /// List the nodes of groups.
    Nodes {
        /// Groups.
        groups: Vec<String>,
    },
    /// Dry run: print the script each node would run, per phase.
    Plan {
        /// Groups.
        groups: Vec<String>,
        /// Plan for this OS (e.g. ubuntu-24.04) without contacting any node.
        #[arg(long)]
        os: Option<String>,
        /// Phases (default: bootstrap and the default phases).
        #[arg(long = "phase")]
        phases: Vec<String>,
    },
    /// Run only the checks on the nodes and report what would change (exit 2 if anything would).
    Check {
        /// Groups.
        groups: Vec<String>,
        /// Phases (default: the groups' default phases).
        #[arg(long = "phase")]
        phases: Vec<String>,
    },
    /// Destroy the nodes of groups.
    Destroy {
        /// Groups.
        #[arg(required = true)]
        groups: Vec<String>,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Render the scripts of a group's phases for an OS, without any node.
    Script {
        /// The OS, e.g. ubuntu-24.04.
        #[arg(long)]
        os: String,
        /// Only this group.
        #[arg(long)]
        group: Option<String>,
        /// Only this phase.
        #[arg(long)]
        phase: Option<String>,
    },
}

/// An ops program: its groups, and built-in services and admin user the configuration can
/// override.
pub struct App {
    groups: Vec<GroupSpec>,
    services: Vec<(String, Arc<dyn ComputeService>)>,
    admin: Option<AdminUser>,
}

/// Runs the command line for `groups` with the process arguments.
pub async fn run(groups: impl IntoIterator<Item = GroupSpec>) -> ExitCode {
    App::new(groups).run().await
}

struct Failure(u8, String);

fn usage(msg: impl Into<String>) -> Failure {
    Failure(EXIT_USAGE, msg.into())
}

impl App {
    /// A program over `groups`.
    pub fn new(groups: impl IntoIterator<Item = GroupSpec>) -> App {
        App { groups: groups.into_iter().collect(), services: Vec::new(), admin: None }
    }

    /// Adds a built-in service (the first one is the default when the configuration names none).
    pub fn service(mut self, name: impl Into<String>, svc: Arc<dyn ComputeService>) -> Self {
        self.services.push((name.into(), svc));
        self
    }

    /// The default admin user (the configuration and `--user`/`--key` override it).
    pub fn admin_user(mut self, u: AdminUser) -> Self {
        self.admin = Some(u);
        self
    }

    /// Runs with the process arguments.
    pub async fn run(self) -> ExitCode {
        self.run_with(std::env::args().collect()).await
    }

    /// Runs with `args` (the first is the program name).
    pub async fn run_with(self, args: Vec<String>) -> ExitCode {
        let cli = match Cli::try_parse_from(args) {
            Ok(c) => c,
            Err(e) => {
                let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
                let _ = e.print();
                return ExitCode::from(code);
            }
        };
        init_logging(cli.verbose, cli.quiet);
        match self.dispatch(cli).await {
            Ok(code) => ExitCode::from(code),
            Err(Failure(code, msg)) => {
                eprintln!("error: {msg}");
                ExitCode::from(code)
            }
        }
    }

    fn select(&self, names: &[String]) -> Result<Vec<GroupSpec>, Failure> {
        if names.is_empty() {
            return Ok(self.groups.clone());
        }
        names
            .iter()
            .map(|n| {
                self.groups.iter().find(|g| g.name() == n).cloned().ok_or_else(|| {
                    usage(format!(
                        "no group `{n}`; groups: {}",
                        self.groups.iter().map(|g| g.name()).collect::<Vec<_>>().join(", ")
                    ))
                })
            })
            .collect()
    }

    fn admin(&self, cli: &Cli, cfg: &Config) -> Result<AdminUser, Failure> {
        let mut u = self.admin.clone().unwrap_or_else(|| {
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
                u.username = n.clone();
            }
            if let Some(k) = &a.private_key {
                u.private_key = Some(k.clone());
            }
            if a.public_key.is_some() {
                u.public_key = a.public_key.clone();
            }
            if let Some(var) = &a.sudo_password_env {
                let pw = std::env::var(var)
                    .map_err(|_| usage(format!("admin_user.sudo_password_env: ${var} is not set")))?;
                u.sudo_password = Some(Secret::new(pw));
            }
            u.no_sudo = a.no_sudo;
            if a.sudo_user.is_some() {
                u.sudo_user = a.sudo_user.clone();
            }
        }
        if let Some(n) = &cli.user {
            u.username = n.clone();
        }
        if let Some(k) = &cli.key {
            u.private_key = Some(k.clone());
        }
        Ok(u)
    }

    /// The compute service to use, and whether it creates its nodes (so host keys are new).
    fn service_for(
        &self,
        cli: &Cli,
        cfg: &Config,
        admin: &AdminUser,
        groups: &[GroupSpec],
    ) -> Result<(Arc<dyn ComputeService>, bool), Failure> {
        let name = cli
            .service
            .clone()
            .or_else(|| cfg.default_service.clone())
            .or_else(|| self.services.first().map(|(n, _)| n.clone()));
        let Some(name) = name else {
            return Err(usage("no compute service: configure one (services.NAME) or pass --service"));
        };
        if let Some(sc) = cfg.services.get(&name) {
            let svc: Arc<dyn ComputeService> = match sc {
                ServiceConfig::NodeList { inventory } => {
                    Arc::new(NodeList::from_file(inventory).map_err(|e| usage(e.to_string()))?)
                }
                ServiceConfig::Containers { engine, engine_args, run_args, image, state_dir } => {
                    let mut c = Containers::new(
                        engine.clone().unwrap_or_else(|| "podman".into()),
                        image.clone().unwrap_or_else(|| "localhost/pallet-debian:12".into()),
                    )
                    .engine_args(engine_args.clone())
                    .run_args(run_args.clone());
                    if let Some(d) = state_dir {
                        c = c.state_dir(d.clone());
                    }
                    if let Some(k) = admin.public_key_path().and_then(|p| std::fs::read_to_string(p).ok()) {
                        c = c.authorized_key(k);
                    }
                    return Ok((Arc::new(c), true));
                }
                ServiceConfig::Localhost {} => {
                    Arc::new(Localhost::new(groups.first().map(|g| g.name().to_string()).unwrap_or_default()))
                }
            };
            return Ok((svc, false));
        }
        match self.services.iter().find(|(n, _)| *n == name) {
            Some((_, s)) => Ok((s.clone(), s.creates_nodes())),
            None => {
                let mut known: Vec<String> = cfg.services.keys().cloned().collect();
                known.extend(self.services.iter().map(|(n, _)| n.clone()));
                Err(usage(format!("no service `{name}`; services: {}", known.join(", "))))
            }
        }
    }

    fn options(&self, cli: &Cli, admin: AdminUser, creates: bool, groups: &[GroupSpec]) -> RunOptions {
        let known_hosts = std::env::temp_dir().join(format!("pallet-known-hosts-{}", std::process::id()));
        let host_keys = if creates || cli.host_keys == HostKeys::AcceptNew {
            HostKeyPolicy::AcceptNew(known_hosts)
        } else {
            HostKeyPolicy::Strict
        };
        let login =
            groups.iter().find_map(|g| g.server().get_node_spec().image.login_user).unwrap_or_else(|| "root".into());
        let mut image_user = AdminUser::new(login);
        image_user.private_key = admin.private_key.clone();
        let mut o = RunOptions {
            user: admin,
            image_user: Some(image_user),
            ssh: SshOptions {
                host_keys,
                keep_connections: cli.keep_connections.map(std::time::Duration::from_secs),
                ..SshOptions::default()
            },
            ..RunOptions::default()
        };
        if let Some(c) = cli.concurrency {
            o.concurrency = c.max(1);
        }
        o
    }

    async fn dispatch(self, cli: Cli) -> Result<u8, Failure> {
        let cfg = config::load(cli.config.as_deref()).map_err(|e| usage(e.to_string()))?;
        let display = if cli.quiet || cli.format == Format::Json { Display::Quiet } else { Display::auto() };
        match &cli.command {
            Command::Script { os, group, phase } => {
                let os = Os::parse(os).map_err(|e| usage(e.to_string()))?;
                let groups = self.select(&group.iter().cloned().collect::<Vec<_>>())?;
                let phases = phase.iter().cloned().collect::<Vec<_>>();
                let plans = offline_plans(&groups, &os, &phases)?;
                for p in &plans {
                    println!("# ===== {} / {} ({}) =====", p.node, p.phase, p.os);
                    print!("{}", p.script);
                }
                Ok(EXIT_OK)
            }
            Command::Plan { groups, os: Some(os), phases } => {
                let os = Os::parse(os).map_err(|e| usage(e.to_string()))?;
                let groups = self.select(groups)?;
                let plans = offline_plans(&groups, &os, phases)?;
                print_plans(&plans, cli.format);
                Ok(EXIT_OK)
            }
            _ => self.online(&cli, &cfg, display).await,
        }
    }

    async fn online(&self, cli: &Cli, cfg: &Config, display: Display) -> Result<u8, Failure> {
        let admin = self.admin(cli, cfg)?;
        let names: Vec<String> = match &cli.command {
            Command::Converge { counts, .. } => {
                counts.iter().map(|c| c.split('=').next().unwrap_or("").to_string()).collect()
            }
            Command::Lift { groups, .. }
            | Command::Nodes { groups }
            | Command::Plan { groups, .. }
            | Command::Check { groups, .. }
            | Command::Destroy { groups, .. } => groups.clone(),
            Command::Script { .. } => Vec::new(),
        };
        let selected = self.select(&names)?;
        let (svc, creates) = self.service_for(cli, cfg, &admin, &selected)?;
        let opts = self.options(cli, admin, creates, &selected);
        let finish = |report: Report, check: bool| -> u8 {
            match cli.format {
                Format::Json => println!("{}", report.json()),
                Format::Human => {
                    if check {
                        print!("{}", report.changes_text());
                    }
                    print!("{}", report.human());
                }
            }
            if report.failed() {
                EXIT_FAILED
            } else if check && report.summary.changed > 0 {
                EXIT_CHANGES
            } else {
                EXIT_OK
            }
        };
        let wait =
            |op: Operation| async move { watch(op, display).await.map_err(|e| Failure(EXIT_FAILED, e.to_string())) };
        match &cli.command {
            Command::Converge { counts, phases } => {
                let mut groups = selected.clone();
                for c in counts {
                    let (g, n) = c
                        .split_once('=')
                        .and_then(|(g, n)| n.parse::<usize>().ok().map(|n| (g, n)))
                        .ok_or_else(|| usage(format!("expected GROUP=COUNT, got `{c}`")))?;
                    if let Some(spec) = groups.iter_mut().find(|s| s.name() == g) {
                        *spec = spec.clone().count(n);
                    }
                }
                if let Some(g) = groups.iter().find(|g| g.get_count().is_none()) {
                    return Err(usage(format!("group {} has no count: give {}=N", g.name(), g.name())));
                }
                let o = RunOptions { phases: phases.clone(), ..opts };
                Ok(finish(wait(converge(svc, groups, o)).await?, false))
            }
            Command::Lift { phases, .. } => {
                let o = RunOptions { phases: phases.clone(), ..opts };
                Ok(finish(wait(lift(svc, selected, o)).await?, false))
            }
            Command::Check { phases, .. } => {
                let o = RunOptions { phases: phases.clone(), check: true, ..opts };
                Ok(finish(wait(lift(svc, selected, o)).await?, true))
            }
            Command::Nodes { .. } => {
                let nodes = svc.nodes().await.map_err(|e| Failure(EXIT_FAILED, e.to_string()))?;
                let nodes: Vec<Node> = nodes.into_iter().filter(|n| selected.iter().any(|g| g.contains(n))).collect();
                match cli.format {
                    Format::Json => println!("{}", serde_json::to_string_pretty(&nodes).expect("nodes serialize")),
                    Format::Human => {
                        println!("{:<20} {:<12} {:<22} {:<16} flags", "name", "group", "address", "private");
                        for n in &nodes {
                            println!(
                                "{:<20} {:<12} {:<22} {:<16} {}",
                                n.name,
                                n.group,
                                format!("{}:{}", n.primary_ip, n.ssh_port),
                                n.private_ip.clone().unwrap_or_default(),
                                n.flags.iter().cloned().collect::<Vec<_>>().join(",")
                            );
                        }
                    }
                }
                Ok(EXIT_OK)
            }
            Command::Destroy { yes, .. } => {
                if !yes {
                    if !std::io::stdin().is_terminal() {
                        return Err(usage("destroy asks for confirmation; not on a terminal, pass --yes"));
                    }
                    let names: Vec<&str> = selected.iter().map(|g| g.name()).collect();
                    eprint!("destroy every node of {}? type `yes`: ", names.join(", "));
                    let mut line = String::new();
                    let _ = std::io::stdin().read_line(&mut line);
                    if line.trim() != "yes" {
                        eprintln!("nothing destroyed");
                        return Ok(EXIT_OK);
                    }
                }
                let groups: Vec<GroupSpec> = selected.iter().map(|g| g.clone().count(0)).collect();
                Ok(finish(wait(converge(svc, groups, opts)).await?, false))
            }
            Command::Plan { phases, .. } => {
                let nodes = svc.nodes().await.map_err(|e| Failure(EXIT_FAILED, e.to_string()))?;
                let mut targets = Vec::new();
                for g in &selected {
                    for n in nodes.iter().filter(|n| g.contains(n) && n.running) {
                        let os = match &n.os {
                            Some(os) => os.clone(),
                            None => crate::operation::detect_os(n, &opts)
                                .await
                                .map_err(|e| Failure(EXIT_FAILED, format!("node {}: {e}", n.name)))?,
                        };
                        targets.push((g.clone(), Target { node: n.clone(), os, roles: g.server().get_roles() }));
                    }
                }
                let plans = plans_for(&targets, phases)?;
                print_plans(&plans, cli.format);
                Ok(EXIT_OK)
            }
            Command::Script { .. } => unreachable!("handled offline"),
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = if quiet {
        "error"
    } else {
        match verbose {
            0 => "warn",
            1 => "info",
            _ => "debug",
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// One node's rendered phase.
#[derive(Debug, Clone, serde::Serialize)]
struct PlannedScript {
    node: String,
    group: String,
    phase: String,
    os: String,
    actions: Vec<String>,
    script: String,
}

/// Plans for hypothetical nodes `<group>-<n>` (spec counts, at least one) running `os`,
/// addressed 192.0.2.x (TEST-NET-1: never contacted).
fn offline_plans(groups: &[GroupSpec], os: &Os, phases: &[String]) -> Result<Vec<PlannedScript>, Failure> {
    let mut targets = Vec::new();
    let mut k = 10;
    for g in groups {
        let os = match g.server().get_packager() {
            Some(p) => os.clone().with_packager(p),
            None => os.clone(),
        };
        for i in 1..=g.get_count().unwrap_or(1).max(1) {
            k += 1;
            let node = Node::new(format!("{}-{i}", g.name()), g.name(), format!("192.0.2.{k}")).os(os.clone());
            targets.push((g.clone(), Target { node, os: os.clone(), roles: g.server().get_roles() }));
        }
    }
    plans_for(&targets, phases)
}

fn plans_for(targets: &[(GroupSpec, Target)], phases: &[String]) -> Result<Vec<PlannedScript>, Failure> {
    let mut world = World::new(targets.iter().map(|(_, t)| t.clone()).collect());
    world.admin =
        Some(crate::plan::AdminInfo { username: "admin".into(), public_key: Some("ssh-ed25519 AAAA... admin".into()) });
    // settings first, so plans can read what other nodes publish.
    for (g, t) in targets {
        let out = plan_phase(&g.server().phase_fns(SETTINGS), t, SETTINGS, &world);
        for (facility, value) in out.published {
            world.publish(&t.node.id, &facility, value);
        }
    }
    let mut out = Vec::new();
    for (g, t) in targets {
        let mut ps: Vec<String> = if phases.is_empty() {
            let mut v = vec![SETTINGS.to_string(), BOOTSTRAP.to_string()];
            v.extend(g.server().get_default_phases());
            v
        } else {
            phases.to_vec()
        };
        ps.dedup();
        for phase in ps {
            let fns = g.server().phase_fns(&phase);
            if fns.is_empty() {
                continue;
            }
            let planned = plan_phase(&fns, t, &phase, &world);
            if !planned.errors.is_empty() {
                return Err(Failure(
                    EXIT_FAILED,
                    format!("node {} phase {phase}: {}", t.node.name, planned.errors.join("; ")),
                ));
            }
            if planned.actions.is_empty() {
                continue;
            }
            let o = RenderOptions {
                nonce: "PALLET_DRY_RUN".into(),
                redact: true,
                ..RenderOptions::new(&phase, &t.node.name)
            };
            let r = render_phase(&planned.actions, &t.os, &o)
                .map_err(|e| Failure(EXIT_FAILED, format!("node {} phase {phase}: {e}", t.node.name)))?;
            out.push(PlannedScript {
                node: t.node.name.clone(),
                group: g.name().to_string(),
                phase,
                os: t.os.to_string(),
                actions: r.actions.iter().map(|a| a.description.clone()).collect(),
                script: String::from_utf8_lossy(&r.text).into_owned(),
            });
        }
    }
    Ok(out)
}

fn print_plans(plans: &[PlannedScript], format: Format) {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(plans).expect("plans serialize")),
        Format::Human => {
            for p in plans {
                println!("# ===== {} / {} ({}) =====", p.node, p.phase, p.os);
                for (i, a) in p.actions.iter().enumerate() {
                    println!("#   {}. {a}", i + 1);
                }
                print!("{}", p.script);
            }
        }
    }
}

impl Report {
    /// In check mode: what would change, node by node, with each action's output (diffs).
    pub fn changes_text(&self) -> String {
        let mut s = String::new();
        for r in &self.results {
            for a in r.actions.iter().filter(|a| a.status == Status::Changed) {
                s.push_str(&format!("would change: node {} phase {}: {}\n", r.node, r.phase, a.description));
                for l in &a.output {
                    s.push_str(&format!("  {l}\n"));
                }
            }
        }
        s
    }
}
