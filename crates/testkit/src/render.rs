//! Plans rendered offline for every OS of `pallet_testkit::os::ALL`, through the shell gate.

use pallet::dry_run::{PlannedScript, dry_run, offline_targets};
use pallet::spec::GroupSpec;
use pallet::stevedore::Os;

/// The scripts `groups` would run in `phases` on hypothetical nodes running `os` (an OS spec such
/// as `debian-12`), as `ops plan --os` renders them: secrets masked.
///
/// # Errors
/// The planning error (e.g. a crate refusing the OS) as text.
pub fn plan_text(groups: &[GroupSpec], os: &str, phases: &[&str]) -> Result<Vec<PlannedScript>, String> {
    let os = Os::parse(os).map_err(|e| e.to_string())?;
    let targets = offline_targets(groups, &os);
    let phases: Vec<String> = phases.iter().map(|p| (*p).to_string()).collect();
    dry_run(&targets, &phases).map_err(|e| e.to_string())
}

/// Checks a crate's OS support statement against every OS of `pallet_testkit::os::ALL`: on each
/// OS in `claimed`, `groups()` plans in `phases`, renders at least one script, and every script
/// passes the shell gate (dash, bash, busybox sh, shellcheck); on every other OS, planning fails
/// with a message containing `refusal`. Every claimed OS must be in the list. Panics listing
/// every OS that disagrees.
pub fn assert_os_support(groups: impl Fn() -> Vec<GroupSpec>, phases: &[&str], claimed: &[&str], refusal: &str) {
    for c in claimed {
        assert!(pallet_testkit::os::ALL.contains(c), "{c} is claimed but not in pallet_testkit::os::ALL");
    }
    let mut problems = Vec::new();
    for os in pallet_testkit::os::ALL {
        let result = plan_text(&groups(), os, phases);
        match (claimed.contains(os), result) {
            (true, Ok(scripts)) if scripts.is_empty() => problems.push(format!("{os}: nothing rendered")),
            (true, Ok(scripts)) => {
                for s in scripts {
                    if let Err(failures) = pallet_testkit::gate::check(s.script.as_bytes()) {
                        let text: Vec<String> = failures.iter().map(|f| format!("{}: {}", f.tool, f.output)).collect();
                        problems.push(format!("{os} {} {}: gate: {}", s.node, s.phase, text.join("\n")));
                    }
                }
            }
            (true, Err(e)) => problems.push(format!("{os}: claimed, but planning failed: {e}")),
            (false, Ok(_)) => problems.push(format!("{os}: not claimed, but it planned (claim it or refuse it)")),
            (false, Err(e)) if !e.contains(refusal) => {
                problems.push(format!("{os}: refused without naming the crate (`{refusal}`): {e}"))
            }
            (false, Err(_)) => {}
        }
    }
    assert!(problems.is_empty(), "OS support statement disagrees with the plans:\n{}", problems.join("\n"));
}
