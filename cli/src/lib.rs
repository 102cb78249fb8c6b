//! The command line every ops binary gets (Pallet's `lein pallet` tasks):
//!
//! ```text
//! ops converge [GROUP=N ...] [--phase P ...]   make groups have N nodes, then configure
//! ops lift [GROUP ...] [--phase P ...]         run phases on existing nodes
//! ops nodes [GROUP ... | --all]                list nodes (table or JSON)
//! ops images [PATTERN] [--owner ID ...]        list the images of the groups' services
//! ops hardware                                 list the machine types of the groups' services
//! ops providers                                list providers, services and each group's service
//! ops plan [GROUP ...] [--os OS] [--phase P]   dry run: the exact script each node would run
//! ops check [GROUP ...] [--phase P ...]        run only the checks; report what would change
//! ops destroy GROUP ... [--yes]                remove the groups' nodes
//! ops script --os OS [--group G] [--phase P]   render scripts without any node
//! ```
//! Global flags: `--service NAME`, `--user NAME`, `--key FILE`, `--concurrency N`,
//! `--format human|json`, `--config FILE`, `--host-keys strict|accept-new`,
//! `--keep-connections SECONDS`, `--jump HOST`, `--ssh-config FILE`, `-v`/`-q`.
//!
//! Exit codes: 0 success; 1 something failed; 2 `check` found changes; 3 usage or configuration
//! error; 4 a service does not support the command (`images` or `hardware` on a service that
//! cannot list them; what the other services listed is printed all the same).
//!
//! The path of a command: raw arguments ([`args`]) → resolved settings ([`settings`], over the
//! configuration files of [`config`]) → one module per command ([`commands`]) → output
//! ([`output`], [`progress`]).
//!
//! The crate also has the `pallet` binary (`src/bin/pallet.rs`): `pallet new NAME` writes a
//! ready ops crate ([`new_project`]).

pub mod args;
pub mod commands;
pub mod config;
pub mod new_project;
pub mod output;
pub mod progress;
pub mod settings;

use clap::Parser;
use pallet_runtime::compute::{ComputeService, ProviderFactory, Providers};
use pallet_runtime::operation::RunOptions;
use pallet_runtime::spec::GroupSpec;
use pallet_runtime::transport::AdminUser;
use std::process::ExitCode;
use std::sync::Arc;

/// Success.
pub const EXIT_OK: u8 = 0;
/// Something failed.
pub const EXIT_FAILED: u8 = 1;
/// `check` found changes.
pub const EXIT_CHANGES: u8 = 2;
/// Usage or configuration error.
pub const EXIT_USAGE: u8 = 3;
/// The service does not support the command (e.g. `images` on a node list).
pub const EXIT_UNSUPPORTED: u8 = 4;

/// Why a command stopped: its exit code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exit code ([`EXIT_FAILED`], [`EXIT_USAGE`] or [`EXIT_UNSUPPORTED`]).
    pub code: u8,
    /// What to print after `error: `.
    pub message: String,
}

impl Failure {
    /// A usage or configuration error (exit 3).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure { code: EXIT_USAGE, message: message.into() }
    }

    /// A failure of the work itself (exit 1).
    pub fn failed(message: impl std::fmt::Display) -> Failure {
        Failure { code: EXIT_FAILED, message: message.to_string() }
    }

    /// A compute error: [`EXIT_UNSUPPORTED`] with `not supported: ...` when the service cannot do
    /// it, else a failure (exit 1).
    pub fn compute(e: pallet_runtime::compute::ComputeError) -> Failure {
        match e {
            pallet_runtime::compute::ComputeError::Unsupported { .. } => {
                Failure { code: EXIT_UNSUPPORTED, message: format!("not supported: {e}") }
            }
            e => Failure::failed(e),
        }
    }
}

/// An ops program: its groups, the services and providers it brings, its default admin user and
/// run options; the configuration and the command line override them.
pub struct App {
    pub(crate) groups: Vec<GroupSpec>,
    pub(crate) services: Vec<(String, Arc<dyn ComputeService>)>,
    pub(crate) providers: Providers,
    pub(crate) admin: Option<AdminUser>,
    pub(crate) options: RunOptions,
    pub(crate) group_services: std::collections::BTreeMap<String, String>,
}

/// Runs the command line for `groups` with the process arguments.
pub async fn run(groups: impl IntoIterator<Item = GroupSpec>) -> ExitCode {
    App::new(groups).run().await
}

impl App {
    /// A program over `groups`, with the built-in providers and default run options.
    pub fn new(groups: impl IntoIterator<Item = GroupSpec>) -> App {
        App {
            groups: groups.into_iter().collect(),
            services: Vec::new(),
            providers: Providers::builtin(),
            admin: None,
            options: RunOptions::default(),
            group_services: std::collections::BTreeMap::new(),
        }
    }

    /// Adds a built-in service (the first one is the default when the configuration names none).
    pub fn service(mut self, name: impl Into<String>, svc: Arc<dyn ComputeService>) -> Self {
        self.services.push((name.into(), svc));
        self
    }

    /// Places `group`'s nodes on service `service` (a built-in or configured service name):
    /// one operation then spans several services (Pallet's hybrid provider). The configuration's
    /// `[groups.NAME] service` overrides it; `--service` overrides both.
    pub fn group_service(mut self, group: impl Into<String>, service: impl Into<String>) -> Self {
        self.group_services.insert(group.into(), service.into());
        self
    }

    /// Registers a provider the configuration can name (`provider = "NAME"`), e.g. `ec2`.
    pub fn provider(mut self, name: impl Into<String>, factory: ProviderFactory) -> Self {
        self.providers.register(name, factory);
        self
    }

    /// The default admin user (the configuration and `--user`/`--key` override it).
    pub fn admin_user(mut self, u: AdminUser) -> Self {
        self.admin = Some(u);
        self
    }

    /// The default run options (phase timeout, post-phase hook, consider-groups, state
    /// directory...); the admin user, host keys and flags given on the command line override
    /// their parts.
    pub fn run_options(mut self, options: RunOptions) -> Self {
        self.options = options;
        self
    }

    /// Runs with the process arguments.
    pub async fn run(self) -> ExitCode {
        self.run_with(std::env::args().collect()).await
    }

    /// Runs with `args` (the first is the program name).
    pub async fn run_with(self, args: Vec<String>) -> ExitCode {
        let args = match args::Args::try_parse_from(args) {
            Ok(a) => a,
            Err(e) => {
                let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
                let _ = e.print();
                return ExitCode::from(code);
            }
        };
        init_logging(args.verbose, args.quiet);
        match commands::dispatch(&self, &args).await {
            Ok(code) => ExitCode::from(code),
            Err(Failure { code, message }) => {
                eprintln!("error: {message}");
                ExitCode::from(code)
            }
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
