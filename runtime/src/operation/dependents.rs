//! Dependents: which groups read which (recorded while plans run on the controller), and which
//! groups that did not run are stale because a group they read changed.
//!
//! A group's *fingerprint* covers its node set and the settings its nodes published. After a
//! group runs, the controller keeps, per group, the fingerprints of the groups its plans read
//! (`<controller_state>/dependents/<group>.json`). A group that did not run is stale when a group
//! it reads now has another fingerprint than when it last ran. With `with_dependents`, stale
//! groups run their default phases in the same operation; otherwise the report names them with
//! the command that refreshes them.

use super::Event;
use super::connect::Connected;
use super::options::RunOptions;
use crate::plan::{World, plan_phase};
use crate::report::{Report, StaleGroup};
use crate::spec::SETTINGS;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The groups each group's plans read.
#[derive(Debug, Default)]
pub(crate) struct Reads {
    by_group: BTreeMap<String, BTreeSet<String>>,
}

impl Reads {
    /// Records that `group`'s plans read `reads`.
    pub(crate) fn add(&mut self, group: &str, reads: &BTreeSet<String>) {
        self.by_group.entry(group.to_string()).or_default().extend(reads.iter().filter(|g| *g != group).cloned());
    }

    fn of(&self, group: &str) -> BTreeSet<String> {
        self.by_group.get(group).cloned().unwrap_or_default()
    }
}

/// The fingerprint of every group whose nodes were all reachable: a hash of its node ids and
/// their published settings.
fn fingerprints(connected: &[Connected], world: &World) -> BTreeMap<String, String> {
    let mut groups: BTreeMap<String, BTreeMap<String, serde_json::Value>> = BTreeMap::new();
    for c in connected {
        let settings = world.settings.get(&c.target.node.id).cloned().unwrap_or_default();
        groups
            .entry(c.member.group.name().to_string())
            .or_default()
            .insert(c.target.node.id.clone(), serde_json::to_value(settings).unwrap_or_default());
    }
    let broken: BTreeSet<&str> = world.unreachable.iter().map(|u| u.node.group.as_str()).collect();
    groups
        .into_iter()
        .filter(|(g, _)| !broken.contains(g.as_str()))
        .map(|(g, nodes)| {
            let text = serde_json::to_string(&nodes).unwrap_or_default();
            (g, crate::action::remote_file::sha256_hex(text.as_bytes()))
        })
        .collect()
}

fn record_file(o: &RunOptions, group: &str) -> Option<PathBuf> {
    o.controller_state.as_ref().map(|d| d.join("dependents").join(format!("{group}.json")))
}

/// The fingerprints of the groups `group` read when it last ran.
fn last_seen(o: &RunOptions, group: &str) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(record_file(o, group)?).ok()?;
    serde_json::from_str(&text).ok()
}

/// Keeps the fingerprints of the groups `group` read as it ran now (written atomically).
fn remember(o: &RunOptions, group: &str, reads: &BTreeSet<String>, fps: &BTreeMap<String, String>) {
    let Some(file) = record_file(o, group) else { return };
    let seen: BTreeMap<&String, &String> = fps.iter().filter(|(g, _)| reads.contains(*g)).collect();
    let Some(dir) = file.parent() else { return };
    let tmp = file.with_extension("tmp");
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&tmp, serde_json::to_vec(&seen).unwrap_or_default()))
        .and_then(|()| std::fs::rename(&tmp, &file));
    if let Err(e) = written {
        tracing::warn!("cannot keep the dependents record of group {group} in {}: {e}", file.display());
    }
}

/// Plans (without running) the default phases of the members that only provided settings, to
/// learn which groups they read.
fn learn_reads(connected: &[Connected], world: &World, reads: &mut Reads) {
    for c in connected.iter().filter(|c| !c.member.target) {
        for phase in c.member.spec.default_phases() {
            let fns = c.member.spec.phase_fns(&phase);
            let out = std::panic::catch_unwind(AssertUnwindSafe(|| plan_phase(fns, &c.target, &phase, world)));
            if let Ok(out) = out {
                reads.add(c.member.group.name(), &out.reads);
            }
        }
    }
}

/// After the phases: reports stale groups (or runs them with `with_dependents`), and keeps the
/// dependents records of the groups that ran.
pub(crate) async fn finish(
    report: &mut Report,
    connected: &[Connected],
    world: &World,
    reads: &mut Reads,
    o: &Arc<RunOptions>,
    tx: &mpsc::UnboundedSender<Event>,
) {
    learn_reads(connected, world, reads);
    let fps = fingerprints(connected, world);
    let ran: BTreeSet<&str> = connected.iter().filter(|c| c.member.target).map(|c| c.member.group.name()).collect();
    let others: BTreeSet<&str> = connected.iter().filter(|c| !c.member.target).map(|c| c.member.group.name()).collect();
    let healthy = !report.failed() && report.interrupted.is_none();
    if healthy && !o.check {
        for g in &ran {
            remember(o, g, &reads.of(g), &fps);
        }
    }
    for group in others {
        let Some(seen) = last_seen(o, group) else { continue };
        let because: Vec<String> = reads
            .of(group)
            .iter()
            .filter_map(|x| match (seen.get(x), fps.get(x)) {
                (Some(then), Some(now)) if then != now => Some(format!("{x} (its nodes or settings changed)")),
                _ => None,
            })
            .collect();
        if because.is_empty() {
            continue;
        }
        if o.with_dependents && healthy {
            run_dependent(report, connected, world, group, o, tx).await;
            if !report.failed() && !o.check {
                remember(o, group, &reads.of(group), &fps);
            }
        } else {
            report.stale.push(StaleGroup { group: group.to_string(), because, refresh: format!("lift {group}") });
        }
    }
}

/// Runs `group`'s default phases (settings already ran) on its connected members.
async fn run_dependent(
    report: &mut Report,
    connected: &[Connected],
    world: &World,
    group: &str,
    o: &Arc<RunOptions>,
    tx: &mpsc::UnboundedSender<Event>,
) {
    let members: Vec<Connected> = connected
        .iter()
        .filter(|c| c.member.group.name() == group)
        .cloned()
        .map(|mut c| {
            c.member.target = true;
            c
        })
        .collect();
    let Some(first) = members.first() else { return };
    let phases: Vec<String> = first.member.spec.default_phases().into_iter().filter(|p| p != SETTINGS).collect();
    let r = super::engine::run_more(&members, phases, world.clone(), o, tx).await;
    report.phases.extend(r.phases.into_iter().filter(|p| !report.phases.contains(p)).collect::<Vec<_>>());
    report.results.extend(r.results);
}
