//! Printing: reports, dry-run scripts and node lists, for people or as JSON.

use crate::args::Format;
use crate::{EXIT_CHANGES, EXIT_FAILED, EXIT_OK};
use pallet_runtime::dry_run::PlannedScript;
use pallet_runtime::node::Node;
use pallet_runtime::operation::PostPhaseHook;
use pallet_runtime::report::{NodeResult, Report};

/// Prints `report` (with the would-change lines first in check mode; with `quiet`, only the
/// failures and the summary line) and returns the exit code: 1 when anything failed, 2 when
/// `check` found changes, else 0.
pub fn report(report: &Report, format: Format, check: bool, quiet: bool) -> u8 {
    // The refresh commands of stale groups, as this program's command lines.
    let mut report = report.clone();
    let program = std::env::args()
        .next()
        .and_then(|a| std::path::Path::new(&a).file_name().map(|f| f.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "ops".into());
    for s in &mut report.stale {
        s.refresh = format!("{program} {}", s.refresh);
    }
    match format {
        Format::Json => println!("{}", report.json()),
        Format::Human => {
            if check && !quiet {
                print!("{}", report.changes_text());
            }
            print!("{}", if quiet { report.human_brief() } else { report.human() });
        }
    }
    if report.failed() {
        EXIT_FAILED
    } else if check && report.summary.changed > 0 {
        EXIT_CHANGES
    } else {
        EXIT_OK
    }
}

/// Prints dry-run scripts: a header per node and phase, the action list, the script.
pub fn plans(plans: &[PlannedScript], format: Format) {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(plans).unwrap_or_default()),
        Format::Human => {
            for p in plans {
                println!("# ===== {} / {} ({}) =====", p.node, p.phase, p.os);
                for (i, a) in p.actions.iter().enumerate() {
                    println!("#   {}. {a}", i + 1);
                }
                print!("{}", p.script);
            }
        }
    }
}

/// Prints scripts only (the `script` command).
pub fn scripts(plans: &[PlannedScript]) {
    for p in plans {
        println!("# ===== {} / {} ({}) =====", p.node, p.phase, p.os);
        print!("{}", p.script);
    }
}

/// Prints a node table.
pub fn nodes(nodes: &[Node], format: Format) {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(nodes).unwrap_or_default()),
        Format::Human => {
            println!("{:<20} {:<12} {:<22} {:<16} flags", "name", "group", "address", "private");
            for n in nodes {
                println!(
                    "{:<20} {:<12} {:<22} {:<16} {}",
                    n.name,
                    n.group,
                    format!("{}:{}", n.primary_ip, n.ssh_port),
                    n.private_ip.clone().unwrap_or_default(),
                    n.flags.iter().cloned().collect::<Vec<_>>().join(",")
                );
            }
        }
    }
}

/// A post-phase hook printing each phase's node results when the phase ends (`--phase-reports`),
/// then calling `inner`, the program's own hook, if any.
pub fn phase_reports(inner: Option<PostPhaseHook>) -> PostPhaseHook {
    PostPhaseHook::new(move |phase: &str, results: &[NodeResult]| {
        let r = Report { phases: vec![phase.to_string()], results: results.to_vec(), ..Report::new(phase) };
        eprint!("{}", r.table());
        if let Some(h) = &inner {
            (h.0)(phase, results);
        }
    })
}
