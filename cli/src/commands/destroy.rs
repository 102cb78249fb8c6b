//! `ops destroy GROUP ... [--yes]`: converge the groups to zero nodes (asks on a terminal).

use super::Online;
use crate::{EXIT_OK, Failure, output};
use pallet_runtime::converge::converge_across;
use pallet_runtime::spec::GroupSpec;
use std::io::IsTerminal;

pub(crate) async fn run(ctx: Online, yes: bool) -> Result<u8, Failure> {
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::usage("destroy asks for confirmation; not on a terminal, pass --yes"));
        }
        let names: Vec<&str> = ctx.groups.iter().map(GroupSpec::name).collect();
        eprint!("destroy every node of {}? type `yes`: ", names.join(", "));
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        if line.trim() != "yes" {
            eprintln!("nothing destroyed");
            return Ok(EXIT_OK);
        }
    }
    let mut targets = ctx.targets.clone();
    for p in &mut targets {
        p.groups = p.groups.iter().map(|g| g.clone().count(0)).collect();
    }
    let report = ctx.wait(converge_across("destroy", targets, Vec::new(), ctx.options.clone())).await?;
    Ok(output::report(&report, ctx.format, false, ctx.quiet))
}
