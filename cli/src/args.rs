//! The raw command line, as clap parses it. [`crate::settings`] resolves it against the
//! configuration files and the program's defaults.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    Human,
    /// JSON (see `docs/report.schema.json`).
    Json,
}

/// Which groups take part besides the named ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every group the program defines: the others run `settings` only (changing nothing), so
    /// relationships are complete.
    All,
    /// The named groups only: plans see no other group (reading one is an error, never empty).
    Named,
}

/// Host key checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HostKeys {
    /// Keys must be in ~/.ssh/known_hosts.
    Strict,
    /// Unknown keys are accepted into this run's known_hosts file.
    AcceptNew,
}

/// Global flags and the command.
#[derive(Debug, Parser)]
#[command(version, about = "Operate the groups this program defines (pallet)", disable_help_subcommand = true)]
pub struct Args {
    /// The compute service (from the configuration); default: its `default_service`.
    #[arg(long, global = true)]
    pub service: Option<String>,
    /// The admin user to log in as.
    #[arg(long, global = true)]
    pub user: Option<String>,
    /// The admin user's private key.
    #[arg(long, global = true)]
    pub key: Option<PathBuf>,
    /// At most this many nodes at once [config: run.concurrency; default 100].
    #[arg(long, global = true)]
    pub concurrency: Option<usize>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// The configuration file (default: $PALLET_CONFIG, then ~/.config/pallet/config.toml).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Host key checking (containers this program creates always use accept-new).
    #[arg(long, global = true, value_enum, default_value_t = HostKeys::Strict)]
    pub host_keys: HostKeys,
    /// Keep SSH masters this many seconds after the run and reuse them in the next run (like
    /// Ansible's ControlPersist); 0 closes them at the end [config: run.keep_connections;
    /// default 60]. `disconnect` closes kept ones.
    #[arg(long, global = true, value_name = "SECONDS")]
    pub keep_connections: Option<u64>,
    /// Give up connecting to a node after this many seconds [config: run.connect_timeout; default 10].
    #[arg(long, global = true, value_name = "SECONDS")]
    pub connect_timeout: Option<u64>,
    /// Retry a connection that failed for a transient cause (refused, timed out) this many times
    /// [config: run.connect_retries; default 2].
    #[arg(long, global = true, value_name = "N")]
    pub connect_retries: Option<u32>,
    /// Seconds before the first connection retry, doubled each time [config: run.connect_retry_delay; default 1].
    #[arg(long, global = true, value_name = "SECONDS")]
    pub connect_retry_delay: Option<u64>,
    /// Fail a node whose OS probe takes longer (a hanging login) [config: run.probe_timeout; default 20].
    #[arg(long, global = true, value_name = "SECONDS")]
    pub probe_timeout: Option<u64>,
    /// Fail a node whose phase takes longer; 0: no limit [config: run.phase_timeout; default 1800].
    #[arg(long, global = true, value_name = "SECONDS")]
    pub phase_timeout: Option<u64>,
    /// Stop the whole operation after this many seconds; 0: no limit [config: run.deadline; default 0].
    #[arg(long, global = true, value_name = "SECONDS")]
    pub deadline: Option<u64>,
    /// At most this many SSH handshakes at once [config: run.handshake_concurrency; default 20].
    #[arg(long, global = true, value_name = "N")]
    pub handshake_concurrency: Option<usize>,
    /// Which groups plans see besides the named ones [config: run.scope; default all].
    #[arg(long, global = true, value_enum)]
    pub scope: Option<Scope>,
    /// Also run the groups that read a group this command changed (otherwise they are reported
    /// as stale, with the command that refreshes them).
    #[arg(long, global = true)]
    pub with_dependents: bool,
    /// Reach nodes through this jump host (`[user@]host[:port]`, ssh's ProxyJump); repeat for a
    /// chain, in order. Replaces the configured list [config: ssh.jump_hosts].
    #[arg(long = "jump", global = true, value_name = "HOST")]
    pub jump: Vec<String>,
    /// Read this ssh_config instead of ~/.ssh/config and /etc/ssh/ssh_config [config: ssh.config_file].
    #[arg(long, global = true, value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,
    /// Print each phase's results as soon as the phase ends.
    #[arg(long, global = true)]
    pub phase_reports: bool,
    /// More log output (RUST_LOG overrides).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// List the nodes of groups (or, with --all, every node their services know).
    Nodes {
        /// Groups.
        groups: Vec<String>,
        /// Every node of the groups' services, of any group, not only this program's groups.
        #[arg(long, conflicts_with = "groups")]
        all: bool,
    },
    /// List the images the groups' services can create nodes from (exit 4 if one cannot).
    Images {
        /// Only images whose name matches (EC2: `*` and `?` wildcards; containers: a reference
        /// such as `localhost/pallet-*`).
        pattern: Option<String>,
        /// Only images of this owner (EC2: an account id, `self`, `amazon`); repeatable.
        /// Default: the service's `image_owner`, else `self`.
        #[arg(long = "owner", value_name = "OWNER")]
        owners: Vec<String>,
    },
    /// List the machine types the groups' services offer (exit 4 if one cannot).
    Hardware,
    /// List the providers this program knows, the configured services and each group's service.
    Providers,
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
    /// Close the SSH connections earlier runs kept open.
    Disconnect,
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

impl Command {
    /// The phases the command names with `--phase`.
    pub fn phases(&self) -> Vec<String> {
        match self {
            Command::Converge { phases, .. }
            | Command::Lift { phases, .. }
            | Command::Plan { phases, .. }
            | Command::Check { phases, .. } => phases.clone(),
            Command::Script { phase, .. } => phase.iter().cloned().collect(),
            Command::Nodes { .. }
            | Command::Destroy { .. }
            | Command::Disconnect
            | Command::Images { .. }
            | Command::Hardware
            | Command::Providers => Vec::new(),
        }
    }

    /// The group names the command names (for `converge`, the `GROUP` of each `GROUP=N`).
    pub fn group_names(&self) -> Vec<String> {
        match self {
            Command::Converge { counts, .. } => {
                counts.iter().map(|c| c.split('=').next().unwrap_or("").to_string()).collect()
            }
            Command::Lift { groups, .. }
            | Command::Nodes { groups, .. }
            | Command::Plan { groups, .. }
            | Command::Check { groups, .. }
            | Command::Destroy { groups, .. } => groups.clone(),
            Command::Script { group, .. } => group.iter().cloned().collect(),
            Command::Disconnect | Command::Images { .. } | Command::Hardware | Command::Providers => Vec::new(),
        }
    }
}
