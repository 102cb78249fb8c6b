//! `ops plan [GROUP ...] [--os OS] [--phase P ...]`: the exact script each node would run, per
//! phase, secrets masked: for the service's nodes, or for hypothetical nodes running `--os`.

use super::Online;
use crate::args::Format;
use crate::{App, EXIT_OK, Failure, output, settings};
use pallet_runtime::dry_run::{PlanTarget, dry_run, offline_targets, service_targets};
use pallet_runtime::operation::phases::phases_to_run;
use pallet_runtime::spec::BOOTSTRAP;
use stevedore::Os;

/// The phases a plan shows: what `converge` would run (bootstrap included).
fn phases(targets: &[PlanTarget], requested: &[String]) -> Vec<String> {
    phases_to_run(&[BOOTSTRAP], requested, targets.iter().map(|t| t.spec.as_ref()))
}

pub(crate) fn offline(
    app: &App,
    groups: &[String],
    os: &str,
    requested: &[String],
    format: Format,
) -> Result<u8, Failure> {
    let os = Os::parse(os).map_err(|e| Failure::usage(e.to_string()))?;
    let groups = settings::select(&app.groups, groups)?;
    let targets = offline_targets(&groups, &os);
    let plans = dry_run(&targets, &phases(&targets, requested)).map_err(Failure::failed)?;
    output::plans(&plans, format);
    Ok(EXIT_OK)
}

pub(crate) async fn online(ctx: Online, requested: &[String]) -> Result<u8, Failure> {
    let mut targets = Vec::new();
    for p in &ctx.targets {
        targets.extend(service_targets(p.service.as_ref(), &p.groups, &ctx.options).await.map_err(Failure::failed)?);
    }
    let plans = dry_run(&targets, &phases(&targets, requested)).map_err(Failure::failed)?;
    output::plans(&plans, ctx.format);
    Ok(EXIT_OK)
}
