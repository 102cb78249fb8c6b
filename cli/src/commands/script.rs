//! `ops script --os OS [--group G] [--phase P]`: render the scripts of the groups' phases for
//! an OS, without any node or service.

use crate::{App, EXIT_OK, Failure, output, settings};
use pallet_runtime::dry_run::{dry_run, offline_targets};
use pallet_runtime::operation::phases::phases_to_run;
use pallet_runtime::spec::BOOTSTRAP;
use stevedore::Os;

pub(crate) fn run(app: &App, os: &str, group: Option<&str>, phase: Option<&str>) -> Result<u8, Failure> {
    let os = Os::parse(os).map_err(|e| Failure::usage(e.to_string()))?;
    let names: Vec<String> = group.iter().map(|g| (*g).to_string()).collect();
    let groups = settings::select(&app.groups, &names)?;
    let targets = offline_targets(&groups, &os);
    let phases = match phase {
        Some(p) => vec![p.to_string()],
        None => phases_to_run(&[BOOTSTRAP], &[], targets.iter().map(|t| t.spec.as_ref())),
    };
    let plans = dry_run(&targets, &phases).map_err(Failure::failed)?;
    output::scripts(&plans);
    Ok(EXIT_OK)
}
