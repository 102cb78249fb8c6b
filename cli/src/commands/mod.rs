//! One module per command. [`dispatch`] loads the configuration, resolves the settings a
//! command needs ([`Online`] for the commands that reach a compute service) and runs it.

mod check;
mod converge;
mod destroy;
mod lift;
mod nodes;
mod plan;
mod script;

use crate::args::{Args, Command, Format};
use crate::progress::{Display, watch};
use crate::{App, Failure, config, settings};
use pallet_runtime::compute::ComputeService;
use pallet_runtime::operation::{Operation, RunOptions};
use pallet_runtime::report::Report;
use pallet_runtime::spec::GroupSpec;
use std::sync::Arc;

/// What a command that reaches a compute service works with, all resolved.
pub(crate) struct Online {
    /// The groups the command names (all by default).
    pub groups: Vec<GroupSpec>,
    /// The compute service.
    pub service: Arc<dyn ComputeService>,
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
    match &args.command {
        Command::Script { os, group, phase } => script::run(app, os, group.as_deref(), phase.as_deref()),
        Command::Plan { groups, os: Some(os), phases } => plan::offline(app, groups, os, phases, args.format),
        _ => {
            let admin = settings::admin_user(app.admin.as_ref(), args, &cfg)?;
            let service = settings::service(&app.services, &app.providers, args, &cfg, &admin, &groups).await?;
            let (mut options, _known_hosts) =
                settings::run_options(&app.options, args, &cfg, admin, service.as_ref(), &groups);
            if args.phase_reports && args.format == Format::Human {
                options.post_phase = Some(crate::output::phase_reports(options.post_phase.take()));
            }
            let display = if args.quiet || args.format == Format::Json { Display::Quiet } else { Display::auto() };
            let ctx = Online { groups, service, options, format: args.format, display, quiet: args.quiet };
            match &args.command {
                Command::Converge { counts, phases } => converge::run(ctx, counts, phases).await,
                Command::Lift { phases, .. } => lift::run(ctx, phases).await,
                Command::Check { phases, .. } => check::run(ctx, phases).await,
                Command::Nodes { .. } => nodes::run(ctx).await,
                Command::Plan { phases, .. } => plan::online(ctx, phases).await,
                Command::Destroy { yes, .. } => destroy::run(ctx, *yes).await,
                Command::Script { .. } => Err(Failure::usage("`script` needs no service")),
            }
        }
    }
}
