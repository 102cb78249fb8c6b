//! `ops converge [GROUP=N ...] [--phase P ...]`: make each group have N nodes (or its spec's
//! count), then bootstrap and run the phases.

use super::Online;
use crate::{Failure, output};
use pallet_runtime::converge::converge_across;
use pallet_runtime::operation::RunOptions;

pub(crate) async fn run(ctx: Online, counts: &[String], phases: &[String]) -> Result<u8, Failure> {
    let mut targets = ctx.targets.clone();
    for c in counts {
        let (g, n) = c
            .split_once('=')
            .and_then(|(g, n)| n.parse::<usize>().ok().map(|n| (g, n)))
            .ok_or_else(|| Failure::usage(format!("expected GROUP=COUNT, got `{c}`")))?;
        for spec in targets.iter_mut().flat_map(|p| p.groups.iter_mut()).filter(|s| s.name() == g) {
            *spec = spec.clone().count(n);
        }
    }
    if let Some(g) = targets.iter().flat_map(|p| &p.groups).find(|g| g.node_count().is_none()) {
        return Err(Failure::usage(format!("group {} has no count: give {}=N", g.name(), g.name())));
    }
    let o = RunOptions { phases: phases.to_vec(), ..ctx.options.clone() };
    let report = ctx.wait(converge_across("converge", targets, ctx.consider.clone(), o)).await?;
    Ok(output::report(&report, ctx.format, false, ctx.quiet))
}
