//! `ops lift [GROUP ...] [--phase P ...]`: run phases on the existing nodes of groups; every
//! other group of the program runs `settings` only, so plans see it.

use super::Online;
use crate::{Failure, output};
use pallet_runtime::lift::lift_across;
use pallet_runtime::operation::RunOptions;

pub(crate) async fn run(ctx: Online, phases: &[String]) -> Result<u8, Failure> {
    let o = RunOptions { phases: phases.to_vec(), ..ctx.options.clone() };
    let report = ctx.wait(lift_across(ctx.targets.clone(), ctx.consider.clone(), o)).await?;
    Ok(output::report(&report, ctx.format, false, ctx.quiet))
}
