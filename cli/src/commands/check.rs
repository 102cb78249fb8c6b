//! `ops check [GROUP ...] [--phase P ...]`: run only the checks (check mode) and report what
//! would change, with diffs for files; exit 2 when anything would.

use super::Online;
use crate::{Failure, output};
use pallet_runtime::lift::lift_across;
use pallet_runtime::operation::RunOptions;

pub(crate) async fn run(ctx: Online, phases: &[String]) -> Result<u8, Failure> {
    let o = RunOptions { phases: phases.to_vec(), check: true, ..ctx.options.clone() };
    let report = ctx.wait(lift_across(ctx.targets.clone(), ctx.consider.clone(), o)).await?;
    Ok(output::report(&report, ctx.format, true, ctx.quiet))
}
