//! Printing: reports, dry-run scripts, node, image, hardware and provider lists, for people or as
//! JSON (`docs/report.schema.json`).

use crate::args::Format;
use crate::{EXIT_CHANGES, EXIT_FAILED, EXIT_OK};
use pallet_runtime::compute::{HardwareInfo, ImageInfo};
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

/// `-` for a missing value in a table.
fn or_dash(v: Option<&str>) -> &str {
    v.filter(|s| !s.is_empty()).unwrap_or("-")
}

/// A listed item with the name of the service it comes from (flattened in JSON).
#[derive(serde::Serialize)]
struct FromService<'a, T> {
    service: &'a str,
    #[serde(flatten)]
    item: &'a T,
}

/// Prints images with their services: a table, or `{"images": [{"service": ..., "id": ...}]}`.
pub fn images(images: &[(String, ImageInfo)], format: Format) {
    match format {
        Format::Json => {
            let rows: Vec<_> = images.iter().map(|(s, i)| FromService { service: s, item: i }).collect();
            let v = serde_json::json!({ "images": rows });
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        Format::Human => {
            println!("{:<12} {:<24} {:<44} {:<8} {:<26} description", "service", "id", "name", "arch", "created");
            for (s, i) in images {
                println!(
                    "{:<12} {:<24} {:<44} {:<8} {:<26} {}",
                    s,
                    i.id,
                    or_dash(i.name.as_deref()),
                    or_dash(i.architecture.as_deref()),
                    or_dash(i.created.as_deref()),
                    or_dash(i.description.as_deref().or(i.size.as_deref())),
                );
            }
        }
    }
}

/// Prints machine types with their services: a table, or
/// `{"hardware": [{"service": ..., "id": ...}]}`.
pub fn hardware(hardware: &[(String, HardwareInfo)], format: Format) {
    match format {
        Format::Json => {
            let rows: Vec<_> = hardware.iter().map(|(s, h)| FromService { service: s, item: h }).collect();
            let v = serde_json::json!({ "hardware": rows });
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        Format::Human => {
            println!("{:<12} {:<20} {:>5} {:>10} {:<16} description", "service", "id", "cores", "ram (MiB)", "arch");
            for (s, h) in hardware {
                println!(
                    "{:<12} {:<20} {:>5} {:>10} {:<16} {}",
                    s,
                    h.id,
                    h.cores.map_or_else(|| "-".into(), |c| c.to_string()),
                    h.ram_mib.map_or_else(|| "-".into(), |m| m.to_string()),
                    or_dash(Some(&h.architectures.join(","))),
                    or_dash(h.description.as_deref()),
                );
            }
        }
    }
}

/// One service `ops providers` lists.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServiceRow {
    /// Its name (`services.NAME`, or the program's name for it).
    pub name: String,
    /// Its provider (configured services); `None` for the program's own services.
    pub provider: Option<String>,
    /// `config` or `program`.
    pub origin: &'static str,
    /// `file:line` of its configuration, for configured services.
    pub defined_at: Option<String>,
    /// Is it the service used without `--service`?
    pub default: bool,
}

/// One group of the program and the service its nodes come from (`ops providers`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct GroupRow {
    /// The group.
    pub group: String,
    /// Its service's name; `None` when no service is configured.
    pub service: Option<String>,
}

/// Prints the registered providers, the services and where the groups are placed: tables, or
/// `{"providers": [...], "services": [...], "default_service": ..., "groups": [...]}`.
pub fn providers(providers: &[&str], services: &[ServiceRow], groups: &[GroupRow], format: Format) {
    let default = services.iter().find(|s| s.default).map(|s| s.name.clone());
    match format {
        Format::Json => {
            let v = serde_json::json!({
                "providers": providers,
                "services": services,
                "default_service": default,
                "groups": groups,
            });
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        Format::Human => {
            println!("providers: {}", providers.join(", "));
            println!();
            println!("  {:<20} {:<14} {:<8} defined at", "service", "provider", "origin");
            for s in services {
                println!(
                    "{} {:<20} {:<14} {:<8} {}",
                    if s.default { "*" } else { " " },
                    s.name,
                    or_dash(s.provider.as_deref()),
                    s.origin,
                    or_dash(s.defined_at.as_deref()),
                );
            }
            if services.is_empty() {
                println!("  (no services: configure one under [services.NAME])");
            }
            println!();
            println!("  {:<20} service", "group");
            for g in groups {
                println!("  {:<20} {}", g.group, or_dash(g.service.as_deref()));
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
