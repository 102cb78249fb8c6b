//! The whole run: connect and identify every member, then each phase in order with a barrier
//! between phases (Pallet's semantics: nodes run a phase concurrently; a failed node stops at its
//! failing action, the others finish the phase, later phases do not run), then close every
//! connection, on every path.
//!
//! Nodes that cannot be reached (connection, host key, authentication, sudo) are reported as
//! failed in the `connect` step and left out; the reachable nodes go on.

use super::Event;
use super::batch::group_run;
use super::connect::{Connected, connect, user_for};
use super::dependents::Reads;
use super::members::Member;
use super::node_run::{Job, NodeOutcome};
use super::options::RunOptions;
use crate::compute::ComputeService;
use crate::node::Node;
use crate::plan::{AdminInfo, Unreachable, World};
use crate::report::{NodeResult, Report};
use crate::spec::PhaseMeta;
use crate::spec::SETTINGS;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

/// Why nothing new may start: a stop request, or the operation deadline passed.
fn stop_reason(o: &RunOptions, deadline: Option<(Instant, Duration)>) -> Option<String> {
    if o.stop.is_stopped() {
        return Some("the operation was interrupted".to_string());
    }
    match deadline {
        Some((at, d)) if Instant::now() >= at => Some(format!("the operation deadline ({d:?}) passed")),
        _ => None,
    }
}

/// What the phase-level functions of a run share.
struct RunCtx<'a> {
    o: &'a Arc<RunOptions>,
    limits: &'a Limits,
    tx: &'a mpsc::UnboundedSender<Event>,
    deadline: Option<(Instant, Duration)>,
}

/// One phase's results, and whether the operation stops after it (a failure beyond what the
/// phase tolerates, an interrupt).
struct PhaseOutcome {
    results: Vec<NodeResult>,
    stop: bool,
}

/// Limits shared by every task of a run.
struct Limits {
    global: Arc<Semaphore>,
    handshakes: Arc<Semaphore>,
}

/// Runs `phases` (in order; see [`super::phases::phases_to_run`]) over `members`.
pub(crate) async fn run(
    operation: &str,
    members: Vec<Member>,
    phases: Vec<String>,
    o: RunOptions,
    tx: mpsc::UnboundedSender<Event>,
) -> Report {
    let started = Instant::now();
    let mut report = Report::new(operation);
    let o = Arc::new(o);
    let limits = limits_of(&o);
    let deadline = o.deadline.map(|d| (Instant::now() + d, d));
    let (connected, unreachable) = connect_all(members, &phases, &o, &limits, &tx, &mut report).await;
    let mut world = world_of(&connected, unreachable, &o);
    let mut reads = Reads::default();
    let rc = RunCtx { o: &o, limits: &limits, tx: &tx, deadline };
    run_phases(&phases, &connected, &mut world, &rc, &mut reads, &mut report).await;
    super::dependents::finish(&mut report, &connected, &world, &mut reads, &o, &tx).await;
    // All at once: closing a master waits for it to exit, which one after the other cost
    // about 10 ms per node.
    futures_util::future::join_all(connected.iter().map(|c| c.conns.close())).await;
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    report.summarize();
    report
}

fn limits_of(o: &RunOptions) -> Limits {
    Limits {
        global: Arc::new(Semaphore::new(o.concurrency.max(1))),
        handshakes: Arc::new(Semaphore::new(o.handshake_concurrency.max(1))),
    }
}

/// Runs `phases` over already connected members, each phase a barrier; failed nodes leave the
/// run; an interrupt, the deadline or a failure beyond the phase's tolerance stops it.
async fn run_phases(
    phases: &[String],
    connected: &[Connected],
    world: &mut World,
    rc: &RunCtx<'_>,
    reads: &mut Reads,
    report: &mut Report,
) {
    let mut failed: HashSet<String> = HashSet::new();
    let ids: HashMap<&str, &str> =
        connected.iter().map(|c| (c.target.node.name.as_str(), c.target.node.id.as_str())).collect();
    for phase in phases {
        if let Some(why) = stop_reason(rc.o, rc.deadline) {
            report.interrupted = Some(format!("{why} before phase {phase}"));
            break;
        }
        let live: Vec<&Connected> = connected.iter().filter(|c| !failed.contains(&c.target.node.id)).collect();
        let outcome = run_phase(phase, &live, world, rc, reads).await;
        if phase == SETTINGS {
            let failed_names: HashSet<&str> = outcome
                .as_ref()
                .map(|o| o.results.iter().filter(|r| r.is_failed()).map(|r| r.node.as_str()).collect())
                .unwrap_or_default();
            let ran = live.iter().filter(|c| !failed_names.contains(c.target.node.name.as_str()));
            world.settings_ran.extend(ran.map(|c| c.target.node.id.clone()));
        }
        let Some(outcome) = outcome else { continue };
        let failed_now = outcome.results.iter().filter(|r| r.is_failed());
        failed.extend(failed_now.filter_map(|r| ids.get(r.node.as_str()).map(|id| (*id).to_string())));
        if let Some(hook) = &rc.o.post_phase {
            (hook.0)(phase, &outcome.results);
        }
        report.phases.push(phase.clone());
        report.results.extend(outcome.results);
        let _ = rc.tx.send(Event::PhaseFinished { phase: phase.clone() });
        if outcome.stop {
            break;
        }
    }
}

/// Runs `phases` on members that are connected already (dependents run in the same operation).
pub(crate) async fn run_more(
    members: &[Connected],
    phases: Vec<String>,
    mut world: World,
    o: &Arc<RunOptions>,
    tx: &mpsc::UnboundedSender<Event>,
) -> Report {
    let mut report = Report::new("dependents");
    let limits = limits_of(o);
    let deadline = o.deadline.map(|d| (Instant::now() + d, d));
    let rc = RunCtx { o, limits: &limits, tx, deadline };
    run_phases(&phases, members, &mut world, &rc, &mut Reads::default(), &mut report).await;
    report
}

/// Connects every member within the handshake limit; failures become `connect` results and
/// unreachable nodes of the world.
async fn connect_all(
    members: Vec<Member>,
    phases: &[String],
    o: &Arc<RunOptions>,
    limits: &Limits,
    tx: &mpsc::UnboundedSender<Event>,
    report: &mut Report,
) -> (Vec<Connected>, Vec<Unreachable>) {
    let mut unreachable = Vec::new();
    let mut set = JoinSet::new();
    let mut names = HashMap::new();
    for m in members {
        let node = m.node.clone();
        let first_phases = phases.to_vec();
        let h = set.spawn(connect(m, first_phases, o.clone(), limits.handshakes.clone()));
        names.insert(h.id(), node);
    }
    let mut connected = Vec::new();
    while let Some(r) = set.join_next_with_id().await {
        let failure = match r {
            Ok((_, Ok(c))) => {
                let _ = tx.send(Event::Connected { node: c.target.node.name.clone(), os: c.target.os.to_string() });
                connected.push(c);
                continue;
            }
            Ok((_, Err((m, e, retries)))) => {
                unreachable.push(Unreachable {
                    node: m.node.clone(),
                    roles: m.spec.roles().clone(),
                    why: e.to_string(),
                });
                let mut r = NodeResult::failed(&m.node, "connect", e, std::time::Duration::ZERO);
                r.retries = retries;
                r
            }
            Err(e) => match names.get(&e.id()) {
                Some(node) => {
                    NodeResult::failed(node, "connect", format!("connecting panicked: {e}"), Default::default())
                }
                None => continue,
            },
        };
        let _ = tx.send(Event::NodeFinished {
            phase: "connect".into(),
            node: failure.node.clone(),
            status: failure.status,
        });
        report.results.push(failure);
    }
    connected.sort_by(|a, b| a.target.node.name.cmp(&b.target.node.name));
    (connected, unreachable)
}

/// What plans can read: every connected member, the unreachable ones, the environment and the
/// admin user.
fn world_of(connected: &[Connected], unreachable: Vec<Unreachable>, o: &RunOptions) -> World {
    let mut world = World::new(connected.iter().map(|c| c.target.clone()).collect());
    world.unreachable = unreachable;
    world.environment = o.environment.clone();
    world.admin = Some(AdminInfo {
        username: o.user.username.clone(),
        public_key: o
            .user
            .public_key_path()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|k| k.trim().to_string()),
    });
    world
}

/// Runs `phase` on the members that have it (targets; every member for `settings`): groups
/// side by side, each group's batches one after another. Publishes settings and records flags
/// into `world`. `None` when no member has the phase.
async fn run_phase(
    phase: &str,
    connected: &[&Connected],
    world: &mut World,
    rc: &RunCtx<'_>,
    reads: &mut Reads,
) -> Option<PhaseOutcome> {
    let (o, limits, tx) = (rc.o, rc.limits, rc.tx);
    let mut by_group: BTreeMap<&str, Vec<&Connected>> = BTreeMap::new();
    for c in
        connected.iter().copied().filter(|c| (c.member.target || phase == SETTINGS) && c.member.spec.has_phase(phase))
    {
        by_group.entry(c.member.group.name()).or_default().push(c);
    }
    if by_group.is_empty() {
        return None;
    }
    let _ = tx.send(Event::PhaseStarted { phase: phase.to_string(), nodes: by_group.values().map(Vec::len).sum() });
    let shared = Arc::new(world.clone());
    let mut results = Vec::new();
    let mut groups = JoinSet::new();
    for cs in by_group.into_values() {
        let meta = cs[0].member.spec.meta(phase);
        let plan = group_run(phase, cs, &meta);
        results.extend(plan.skipped);
        let batches: Vec<Vec<(Job, Arc<dyn ComputeService>)>> = plan
            .batches
            .iter()
            .map(|b| {
                b.iter()
                    .map(|c| {
                        let job = Job {
                            target: c.target.clone(),
                            fns: c.member.spec.phase_fns(phase).to_vec(),
                            conns: c.conns.clone(),
                            // Settings runs before bootstrap, so it logs in as bootstrap will.
                            user: user_for(&c.member, meta.image_credentials || phase == SETTINGS, o),
                            // Nodes that only provide settings to others change nothing.
                            check: o.check || !c.member.target,
                            packager: c.member.spec.packager(),
                        };
                        (job, c.member.service.clone())
                    })
                    .collect()
            })
            .collect();
        let ctx = GroupCtx {
            phase: phase.to_string(),
            world: shared.clone(),
            o: o.clone(),
            global: limits.global.clone(),
            handshakes: limits.handshakes.clone(),
            limit: plan.limit,
            tx: tx.clone(),
            meta,
            deadline: rc.deadline,
        };
        groups.spawn(run_batches(ctx, batches, plan.flag));
    }
    let mut stop = false;
    while let Some(r) = groups.join_next().await {
        // Group tasks catch their nodes' panics, so a join error means a bug in the runner.
        let Ok(g) = r else { continue };
        stop |= g.stop;
        for (node, service, out) in g.outs {
            record(world, &node, &service, g.flag.as_deref(), &out, o).await;
            reads.add(&node.group, &out.reads);
            results.push(out.result);
        }
        results.extend(g.not_run);
    }
    results.sort_by(|a, b| a.node.cmp(&b.node));
    Some(PhaseOutcome { results, stop })
}

/// Publishes a node's settings and, when its phase succeeded, sets the phase's flag on it
/// (on the compute service, and in `world` for later phases).
async fn record(
    world: &mut World,
    node: &Node,
    service: &Arc<dyn ComputeService>,
    flag: Option<&str>,
    out: &NodeOutcome,
    o: &RunOptions,
) {
    for (facility, value) in &out.published {
        world.publish(&node.id, facility, value.clone());
    }
    for (name, value) in &out.values {
        world.capture(&node.id, name, value.clone());
    }
    if let Some(f) = &out.facts
        && let Some(t) = world.targets.iter_mut().find(|t| t.node.id == node.id)
    {
        t.os = f.os.clone();
        t.facts = f.clone();
    }
    let (Some(f), false, false) = (flag, out.result.is_failed(), o.check) else { return };
    if let Err(e) = service.set_flag(node, f).await {
        tracing::warn!("cannot record flag {f} on {}: {e}", node.name);
    }
    if let Some(t) = world.targets.iter_mut().find(|t| t.node.id == node.id) {
        t.node.flags.insert(f.to_string());
    }
}

/// What the tasks of one group in one phase share.
struct GroupCtx {
    phase: String,
    world: Arc<World>,
    o: Arc<RunOptions>,
    global: Arc<Semaphore>,
    handshakes: Arc<Semaphore>,
    limit: Option<Arc<Semaphore>>,
    tx: mpsc::UnboundedSender<Event>,
    meta: PhaseMeta,
    deadline: Option<(Instant, Duration)>,
}

/// What one group's run of a phase produced.
struct GroupOutcome {
    /// The flag to set on nodes whose phase succeeded.
    flag: Option<String>,
    /// The nodes that ran, with their service and outcome.
    outs: Vec<(Node, Arc<dyn ComputeService>, NodeOutcome)>,
    /// Nodes of batches that never started, with the reason.
    not_run: Vec<NodeResult>,
    /// Does the operation stop after this phase?
    stop: bool,
}

/// Runs one group's batches in order. A batch whose failures exceed the phase's
/// `max_fail_percentage` (any failure, by default) stops the rolling run and the operation; an
/// interrupt or the deadline stops it before the next batch. Nodes of batches that did not start
/// are reported as not run, with the reason.
async fn run_batches(
    ctx: GroupCtx,
    batches: Vec<Vec<(Job, Arc<dyn ComputeService>)>>,
    flag: Option<String>,
) -> GroupOutcome {
    let ctx = Arc::new(ctx);
    let mut out = GroupOutcome { flag, outs: Vec::new(), not_run: Vec::new(), stop: false };
    let mut why_not: Option<String> = None;
    for batch in batches {
        if let Some(why) = why_not.clone().or_else(|| stop_reason(&ctx.o, ctx.deadline)) {
            out.stop = true;
            for (job, _) in batch {
                let r = NodeResult::not_run(&job.target.node, &ctx.phase, format!("not run: {why}"));
                let _ = ctx.tx.send(Event::NodeFinished {
                    phase: ctx.phase.clone(),
                    node: r.node.clone(),
                    status: r.status,
                });
                out.not_run.push(r);
            }
            why_not = Some(why);
            continue;
        }
        let size = batch.len();
        let mut set = JoinSet::new();
        let mut nodes = HashMap::new();
        for (job, service) in batch {
            let node = job.target.node.clone();
            let ctx = ctx.clone();
            let h = set.spawn(async move {
                let _g = ctx.global.clone().acquire_owned().await.ok();
                let _l = match &ctx.limit {
                    Some(s) => s.clone().acquire_owned().await.ok(),
                    None => None,
                };
                job.run(&ctx.phase, &ctx.world, &ctx.o, &ctx.handshakes, ctx.deadline).await
            });
            nodes.insert(h.id(), (node, service));
        }
        let mut failures = 0;
        while let Some(r) = set.join_next_with_id().await {
            let (id, node_out) = match r {
                Ok((id, o)) => (id, o),
                Err(e) => {
                    let Some((node, _)) = nodes.get(&e.id()) else { continue };
                    let error = format!("the node's task panicked: {e}");
                    let result = NodeResult::failed(node, &ctx.phase, error, Default::default());
                    (e.id(), NodeOutcome::of(result, None))
                }
            };
            let Some((node, service)) = nodes.remove(&id) else { continue };
            let _ = ctx.tx.send(Event::NodeFinished {
                phase: ctx.phase.clone(),
                node: node.name.clone(),
                status: node_out.result.status,
            });
            failures += usize::from(node_out.result.is_failed());
            out.outs.push((node, service, node_out));
        }
        if ctx.meta.stops_at(failures, size) {
            out.stop = true;
            why_not = Some(format!("an earlier batch failed ({failures} of {size} nodes)"));
        }
    }
    out
}
