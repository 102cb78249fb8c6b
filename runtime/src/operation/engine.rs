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
use super::members::Member;
use super::node_run::{Job, NodeOutcome};
use super::options::RunOptions;
use crate::compute::ComputeService;
use crate::node::Node;
use crate::plan::{AdminInfo, World};
use crate::report::{NodeResult, Report};
use crate::spec::SETTINGS;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

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
    let limits = Limits {
        global: Arc::new(Semaphore::new(o.concurrency.max(1))),
        handshakes: Arc::new(Semaphore::new(o.handshake_concurrency.max(1))),
    };
    let connected = connect_all(members, &phases, &o, &limits, &tx, &mut report).await;
    let mut world = world_of(&connected, &o);
    for phase in &phases {
        let Some(results) = run_phase(phase, &connected, &mut world, &o, &limits, &tx).await else { continue };
        let failed = results.iter().any(NodeResult::is_failed);
        if let Some(hook) = &o.post_phase {
            (hook.0)(phase, &results);
        }
        report.phases.push(phase.clone());
        report.results.extend(results);
        let _ = tx.send(Event::PhaseFinished { phase: phase.clone() });
        if failed {
            break;
        }
    }
    for c in &connected {
        c.conns.close().await;
    }
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    report.summarize();
    report
}

/// Connects every member within the handshake limit; failures become `connect` results.
async fn connect_all(
    members: Vec<Member>,
    phases: &[String],
    o: &Arc<RunOptions>,
    limits: &Limits,
    tx: &mpsc::UnboundedSender<Event>,
    report: &mut Report,
) -> Vec<Connected> {
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
            Ok((_, Err((m, e)))) => NodeResult::failed(&m.node, "connect", e, std::time::Duration::ZERO),
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
    connected
}

/// What plans can read: every connected member, and the admin user.
fn world_of(connected: &[Connected], o: &RunOptions) -> World {
    let mut world = World::new(connected.iter().map(|c| c.target.clone()).collect());
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
    connected: &[Connected],
    world: &mut World,
    o: &Arc<RunOptions>,
    limits: &Limits,
    tx: &mpsc::UnboundedSender<Event>,
) -> Option<Vec<NodeResult>> {
    let mut by_group: BTreeMap<&str, Vec<&Connected>> = BTreeMap::new();
    for c in connected.iter().filter(|c| (c.member.target || phase == SETTINGS) && c.member.spec.has_phase(phase)) {
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
                            user: user_for(&c.target.node, meta.image_credentials || phase == SETTINGS, o),
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
        };
        groups.spawn(run_batches(ctx, batches, plan.flag));
    }
    while let Some(r) = groups.join_next().await {
        // Group tasks catch their nodes' panics, so a join error means a bug in the runner.
        let Ok((flag, outs)) = r else { continue };
        for (node, service, out) in outs {
            record(world, &node, &service, flag.as_deref(), &out, o).await;
            results.push(out.result);
        }
    }
    results.sort_by(|a, b| a.node.cmp(&b.node));
    Some(results)
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
}

type Outs = Vec<(Node, Arc<dyn ComputeService>, NodeOutcome)>;

/// Runs one group's batches in order; a batch with a failed node stops the rolling run.
async fn run_batches(
    ctx: GroupCtx,
    batches: Vec<Vec<(Job, Arc<dyn ComputeService>)>>,
    flag: Option<String>,
) -> (Option<String>, Outs) {
    let ctx = Arc::new(ctx);
    let mut outs = Vec::new();
    for batch in batches {
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
                job.run(&ctx.phase, &ctx.world, &ctx.o, &ctx.handshakes).await
            });
            nodes.insert(h.id(), (node, service));
        }
        let mut batch_failed = false;
        while let Some(r) = set.join_next_with_id().await {
            let (id, out) = match r {
                Ok((id, out)) => (id, out),
                Err(e) => {
                    let Some((node, _)) = nodes.get(&e.id()) else { continue };
                    let error = format!("the node's task panicked: {e}");
                    let result = NodeResult::failed(node, &ctx.phase, error, Default::default());
                    (e.id(), NodeOutcome { result, published: BTreeMap::new() })
                }
            };
            let Some((node, service)) = nodes.remove(&id) else { continue };
            let _ = ctx.tx.send(Event::NodeFinished {
                phase: ctx.phase.clone(),
                node: node.name.clone(),
                status: out.result.status,
            });
            batch_failed |= out.result.is_failed();
            outs.push((node, service, out));
        }
        if batch_failed {
            break;
        }
    }
    (flag, outs)
}
