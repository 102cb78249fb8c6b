//! One module per command. [`dispatch`] loads the configuration, resolves the settings a
//! command needs ([`Online`] for the commands that reach a compute service) and runs it.

mod check;
mod converge;
mod destroy;
mod hardware;
mod images;
mod lift;
mod nodes;
mod plan;
mod providers;
mod script;

use crate::args::{Args, Command, Format};
use crate::progress::{Display, watch};
use crate::{App, Failure, config, settings};
use pallet_runtime::operation::members::Placement;
use pallet_runtime::operation::{Operation, RunOptions};
use pallet_runtime::report::Report;
use pallet_runtime::spec::GroupSpec;
use pallet_runtime::transport::ssh::check_jump_host;

/// What a command that reaches a compute service works with, all resolved.
pub(crate) struct Online {
    /// The groups the command names (all by default).
    pub groups: Vec<GroupSpec>,
    /// The named groups on their services.
    pub targets: Vec<Placement>,
    /// The program's other groups on their services: they run only `settings` (changing
    /// nothing) so plans see every group.
    pub consider: Vec<Placement>,
    /// Run options.
    pub options: RunOptions,
    /// Output format.
    pub format: Format,
    /// Progress display.
    pub display: Display,
    /// `-q`: print only failures and the summary.
    pub quiet: bool,
}

impl Online {
    /// Waits for `op`, showing its progress. SIGINT or SIGTERM stops it gracefully (running
    /// phases finish, nothing new starts); a second one cancels it.
    pub(crate) async fn wait(&self, op: Operation) -> Result<Report, Failure> {
        let handle = op.handle();
        let signals = tokio::spawn(async move {
            let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
                return;
            };
            let mut count = 0;
            loop {
                tokio::select! {
                    r = tokio::signal::ctrl_c() => if r.is_err() { return },
                    _ = term.recv() => {}
                }
                count += 1;
                if count == 1 {
                    eprintln!("stopping: running phases finish, nothing new starts (interrupt again to cancel them)");
                    handle.stop();
                } else {
                    eprintln!("cancelling");
                    handle.cancel();
                    return;
                }
            }
        });
        let r = watch(op, self.display).await.map_err(Failure::failed);
        signals.abort();
        r
    }
}

/// Runs the command `args` names.
///
/// # Errors
/// [`Failure`] with the exit code and message.
pub(crate) async fn dispatch(app: &App, args: &Args) -> Result<u8, Failure> {
    let cfg = config::load(args.config.as_deref()).map_err(|e| Failure::usage(e.to_string()))?;
    // Names first: a typo in a group or phase is a usage error before anything is contacted.
    let groups = settings::select(&app.groups, &args.command.group_names())?;
    settings::check_phases(&groups, &args.command.phases())?;
    if let Some(bad) = args.jump.iter().find_map(|h| check_jump_host(h).err()) {
        return Err(Failure::usage(format!("--jump {bad}")));
    }
    match &args.command {
        Command::Script { os, group, phase } => script::run(app, os, group.as_deref(), phase.as_deref()),
        Command::Disconnect => {
            let o = &app.options.ssh;
            let n = pallet_runtime::transport::ssh::close_kept(o).await;
            if !args.quiet {
                println!("closed {n} kept connection{}", if n == 1 { "" } else { "s" });
            }
            Ok(crate::EXIT_OK)
        }
        Command::Plan { groups, os: Some(os), phases } => plan::offline(app, groups, os, phases, args.format),
        Command::Providers => Ok(providers::run(app, args, &cfg)),
        _ => {
            let admin = settings::admin_user(app.admin.as_ref(), args, &cfg)?;
            let others: Vec<GroupSpec> =
                app.groups.iter().filter(|g| !groups.iter().any(|s| s.name() == g.name())).cloned().collect();
            let mut services = settings::Services::new(app, &cfg, &admin, &groups);
            // The listing commands ask each service the groups are placed on, by its name.
            match &args.command {
                Command::Images { pattern, owners } => {
                    let named = services.named(&groups, args, &app.group_services).await?;
                    return images::run(&named, pattern.as_deref(), owners, args.format).await;
                }
                Command::Hardware => {
                    let named = services.named(&groups, args, &app.group_services).await?;
                    return hardware::run(&named, args.format).await;
                }
                _ => {}
            }
            let targets = services.place(&groups, args, &app.group_services).await?;
            let scope = args.scope.or(cfg.run.scope).unwrap_or(crate::args::Scope::All);
            let consider = match &args.command {
                // Plans see every group the program defines (unless `--scope named`).
                _ if scope == crate::args::Scope::Named => Vec::new(),
                Command::Lift { .. } | Command::Check { .. } | Command::Converge { .. } => {
                    services.place(&others, args, &app.group_services).await?
                }
                _ => Vec::new(),
            };
            let creates = services.any_creates_nodes();
            drop(services);
            let (mut options, _known_hosts) = settings::run_options(&app.options, args, &cfg, admin, creates);
            if args.phase_reports && args.format == Format::Human {
                options.post_phase = Some(crate::output::phase_reports(options.post_phase.take()));
            }
            let display = if args.quiet || args.format == Format::Json { Display::Quiet } else { Display::auto() };
            let ctx = Online { groups, targets, consider, options, format: args.format, display, quiet: args.quiet };
            match &args.command {
                Command::Converge { counts, phases } => converge::run(ctx, counts, phases).await,
                Command::Lift { phases, .. } => lift::run(ctx, phases).await,
                Command::Check { phases, .. } => check::run(ctx, phases).await,
                Command::Nodes { all, .. } => nodes::run(ctx, *all).await,
                Command::Plan { phases, .. } => plan::online(ctx, phases).await,
                Command::Destroy { yes, .. } => destroy::run(ctx, *yes).await,
                Command::Script { .. }
                | Command::Disconnect
                | Command::Providers
                | Command::Images { .. }
                | Command::Hardware => Err(Failure::usage("this command is dispatched above")),
            }
        }
    }
}
