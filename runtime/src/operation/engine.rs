//! The phase runner: connect and detect, `settings` on every member, then each phase in order
//! with a barrier between phases (Pallet's semantics: nodes run a phase concurrently; a failed
//! node stops at its failing action, the others finish the phase, later phases do not run).
//!
//! Nodes that cannot be reached (connection, host key, authentication, sudo) are reported as
//! failed in the `connect` step and left out; the reachable nodes go on.

use super::node_run::NodePhase;
use super::{Event, OperationError, RunOptions};
use crate::compute::ComputeService;
use crate::facts::{parse_probe, probe_script};
use crate::node::Node;
use crate::plan::{Target, World};
use crate::report::{NodeResult, Report, Status};
use crate::spec::{BOOTSTRAPPED, FlagPolicy, GroupSpec, SETTINGS};
use crate::transport::local::LocalTransport;
use crate::transport::ssh::SshTransport;
use crate::transport::{AdminUser, Transport};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

/// A node in the operation with its group spec; `target` is false for consider-groups.
#[derive(Clone)]
pub(crate) struct Member {
    pub node: Node,
    pub group: GroupSpec,
    pub target: bool,
}

/// A node's open connections, one per login user (a ControlMaster each).
pub(crate) struct Conns {
    node: Node,
    open: tokio::sync::Mutex<HashMap<String, Arc<Transport>>>,
}

impl Conns {
    fn new(node: Node) -> Conns {
        Conns { node, open: tokio::sync::Mutex::new(HashMap::new()) }
    }

    /// The connection as `user`, opened on first use (within the handshake limit).
    async fn get(&self, user: &AdminUser, o: &RunOptions, handshakes: &Semaphore) -> Result<Arc<Transport>, String> {
        let mut open_map = self.open.lock().await;
        if let Some(t) = open_map.get(&user.username) {
            return Ok(t.clone());
        }
        let t = {
            let _permit = handshakes.acquire().await.expect("never closed");
            Arc::new(open(&self.node, user, o).await?)
        };
        open_map.insert(user.username.clone(), t.clone());
        Ok(t)
    }

    async fn close(self) {
        for (_, t) in self.open.into_inner() {
            if let Ok(t) = Arc::try_unwrap(t) {
                t.close().await;
            }
        }
    }
}

struct Connected {
    member: Member,
    target: Target,
    conns: Arc<Conns>,
}

fn connect_failure(m: &Member, error: String) -> NodeResult {
    NodeResult {
        node: m.node.name.clone(),
        group: m.node.group.clone(),
        phase: "connect".into(),
        status: Status::Failed,
        actions: Vec::new(),
        error: Some(error),
        duration_ms: 0,
    }
}

/// Opens a connection to `node` as `user`.
pub(crate) async fn open(node: &Node, user: &AdminUser, o: &RunOptions) -> Result<Transport, String> {
    if node.local {
        return Ok(Transport::Local(LocalTransport));
    }
    SshTransport::connect(&node.primary_ip, node.ssh_port, user, &o.ssh)
        .await
        .map(Transport::Ssh)
        .map_err(|e| e.to_string())
}

/// The user a phase runs as on `node`: the image user for image-credential phases (and the
/// first connection) of nodes not yet bootstrapped, else the admin user.
fn user_for(node: &Node, image_credentials: bool, o: &RunOptions) -> AdminUser {
    match (&o.image_user, image_credentials && !node.has_flag(BOOTSTRAPPED)) {
        (Some(u), true) => u.clone(),
        _ => o.user.clone(),
    }
}

async fn connect_one(m: Member, o: Arc<RunOptions>, handshakes: Arc<Semaphore>) -> Result<Connected, (Member, String)> {
    let conns = Arc::new(Conns::new(m.node.clone()));
    let bootstraps = !m.group.server().phase_fns(crate::spec::BOOTSTRAP).is_empty();
    let user = user_for(&m.node, bootstraps && o.phases.iter().any(|p| p == crate::spec::BOOTSTRAP), &o);
    let transport = match conns.get(&user, &o, &handshakes).await {
        Ok(t) => t,
        Err(e) => return Err((m, e)),
    };
    let os = match (&m.node.os, o.os_detect) {
        // An OS the inventory states is trusted: no probe (one exec per phase, nothing else).
        (Some(os), _) => os.clone(),
        (None, false) => return Err((m, "the node's OS is unknown and OS detection is off".to_string())),
        (None, true) => {
            let check_sudo = user.uses_sudo() && user.sudo_password.is_none();
            let probe = probe_script(check_sudo);
            let mut out = Vec::new();
            let probe_user = user.clone().no_sudo(true);
            match transport.run(&probe, &probe_user, &mut |c: &[u8]| out.extend_from_slice(c)).await {
                Ok(r) if r.exit_code == Some(0) => match parse_probe(&out) {
                    Ok(f) => f.os,
                    Err(e) => return Err((m, e.to_string())),
                },
                Ok(r) => {
                    let msg = String::from_utf8_lossy(&r.stderr).trim().to_string();
                    return Err((m, format!("OS detection failed: {msg}")));
                }
                Err(e) => return Err((m, e.to_string())),
            }
        }
    };
    let os = match m.group.server().get_packager() {
        Some(p) => os.with_packager(p),
        None => os,
    };
    let target = Target { node: m.node.clone(), os, roles: m.group.server().get_roles() };
    Ok(Connected { member: m, target, conns })
}

/// Runs an operation over `members`.
pub(crate) async fn run(
    operation: &str,
    members: Vec<Member>,
    compute: Option<Arc<dyn ComputeService>>,
    o: RunOptions,
    tx: mpsc::UnboundedSender<Event>,
) -> Result<Report, OperationError> {
    let started = Instant::now();
    let mut report = Report::new(operation);
    let o = Arc::new(o);
    let send = |e: Event| {
        let _ = tx.send(e);
    };

    // Connect and detect, bounded by the handshake limit.
    let handshakes = Arc::new(Semaphore::new(o.handshake_concurrency.max(1)));
    let mut set = JoinSet::new();
    for m in members {
        set.spawn(connect_one(m, o.clone(), handshakes.clone()));
    }
    let mut connected: Vec<Connected> = Vec::new();
    while let Some(r) = set.join_next().await {
        match r.map_err(|e| OperationError::Panicked(e.to_string()))? {
            Ok(c) => {
                send(Event::Connected { node: c.target.node.name.clone(), os: c.target.os.to_string() });
                connected.push(c);
            }
            Err((m, e)) => {
                send(Event::NodeFinished {
                    phase: "connect".into(),
                    node: m.node.name.clone(),
                    status: Status::Failed,
                });
                report.results.push(connect_failure(&m, e));
            }
        }
    }
    connected.sort_by(|a, b| a.target.node.name.cmp(&b.target.node.name));
    let mut world = World::new(connected.iter().map(|c| c.target.clone()).collect());
    world.admin = Some(crate::plan::AdminInfo {
        username: o.user.username.clone(),
        public_key: o
            .user
            .public_key_path()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|k| k.trim().to_string()),
    });

    // settings on every member, then the requested phases on targets.
    let mut phases = vec![SETTINGS.to_string()];
    let requested: Vec<String> = if o.phases.is_empty() {
        let mut d = Vec::new();
        for c in connected.iter().filter(|c| c.member.target) {
            for p in c.member.group.server().get_default_phases() {
                if !d.contains(&p) {
                    d.push(p);
                }
            }
        }
        d
    } else {
        o.phases.clone()
    };
    phases.extend(requested.into_iter().filter(|p| p != SETTINGS));

    let global = Arc::new(Semaphore::new(o.concurrency.max(1)));
    for phase in &phases {
        let members: Vec<&Connected> = connected
            .iter()
            .filter(|c| (c.member.target || phase == SETTINGS) && !c.member.group.server().phase_fns(phase).is_empty())
            .collect();
        if members.is_empty() {
            continue;
        }
        report.phases.push(phase.clone());
        send(Event::PhaseStarted { phase: phase.clone(), nodes: members.len() });
        let shared_world = Arc::new(world.clone());
        // Each group runs its batches in order; groups run side by side.
        let mut by_group: BTreeMap<String, Vec<&Connected>> = BTreeMap::new();
        for c in members {
            by_group.entry(c.member.group.name().to_string()).or_default().push(c);
        }
        let mut group_tasks = JoinSet::new();
        for (_, cs) in by_group {
            let meta = cs[0].member.group.server().meta(phase);
            let mut runnable = Vec::new();
            for c in cs {
                let skip = match &meta.flag {
                    Some(FlagPolicy::ExecuteAndFlag(f)) | Some(FlagPolicy::ExecuteOnUnflagged(f)) => {
                        c.target.node.has_flag(f)
                    }
                    None => false,
                };
                if skip {
                    report.results.push(NodeResult {
                        node: c.target.node.name.clone(),
                        group: c.target.node.group.clone(),
                        phase: phase.clone(),
                        status: Status::Skipped,
                        actions: Vec::new(),
                        error: None,
                        duration_ms: 0,
                    });
                } else {
                    runnable.push(c);
                }
            }
            let nodes: Vec<Node> = runnable.iter().map(|c| c.target.node.clone()).collect();
            let batches: Vec<Vec<Node>> = match &meta.partition {
                Some(p) => p.batches(&nodes),
                None => vec![nodes],
            };
            let jobs: Vec<Vec<Job>> = batches
                .into_iter()
                .map(|b| {
                    b.iter()
                        .filter_map(|n| runnable.iter().find(|c| c.target.node.id == n.id))
                        .map(|c| Job {
                            target: c.target.clone(),
                            fns: c.member.group.server().phase_fns(phase),
                            conns: c.conns.clone(),
                            // Settings runs before bootstrap, so it logs in as bootstrap will.
                            user: user_for(&c.target.node, meta.image_credentials || phase == SETTINGS, &o),
                        })
                        .collect()
                })
                .collect();
            let group_limit = meta.concurrency.map(|n| Arc::new(Semaphore::new(n.max(1))));
            let (phase, world, global, o, tx, handshakes) =
                (phase.clone(), shared_world.clone(), global.clone(), o.clone(), tx.clone(), handshakes.clone());
            let flag = match &meta.flag {
                Some(FlagPolicy::ExecuteAndFlag(f)) => Some(f.clone()),
                _ => None,
            };
            group_tasks.spawn(async move {
                let mut outs = Vec::new();
                for batch in jobs {
                    let mut set = JoinSet::new();
                    for job in batch {
                        let (phase, world, global, group_limit, o, handshakes) = (
                            phase.clone(),
                            world.clone(),
                            global.clone(),
                            group_limit.clone(),
                            o.clone(),
                            handshakes.clone(),
                        );
                        set.spawn(async move {
                            let _g = global.acquire_owned().await.expect("never closed");
                            let _l = match group_limit {
                                Some(s) => Some(s.acquire_owned().await.expect("never closed")),
                                None => None,
                            };
                            let planned = match super::node_run::plan(&job.fns, &job.target, &phase, &world) {
                                Ok(p) => p,
                                Err(done) => return (job.target.node.clone(), done),
                            };
                            let transport = match job.conns.get(&job.user, &o, &handshakes).await {
                                Ok(t) => t,
                                Err(e) => {
                                    let result =
                                        super::node_run::failed(&job.target, &phase, e, std::time::Instant::now());
                                    return (
                                        job.target.node.clone(),
                                        super::node_run::NodeOutcome { result, published: BTreeMap::new() },
                                    );
                                }
                            };
                            let out = NodePhase {
                                target: &job.target,
                                planned,
                                phase: &phase,
                                transport: &transport,
                                user: &job.user,
                                check: o.check,
                                state_dir: &o.state_dir,
                                timeout: o.phase_timeout,
                            }
                            .run()
                            .await;
                            (job.target.node.clone(), out)
                        });
                    }
                    let mut batch_failed = false;
                    while let Some(r) = set.join_next().await {
                        let (node, out) = r.expect("node tasks do not panic");
                        let _ = tx.send(Event::NodeFinished {
                            phase: phase.clone(),
                            node: node.name.clone(),
                            status: out.result.status,
                        });
                        batch_failed |= out.result.status == Status::Failed;
                        outs.push((node, out));
                    }
                    // A failed batch stops the rolling run of its group.
                    if batch_failed {
                        break;
                    }
                }
                (flag, outs)
            });
        }
        let mut phase_failed = false;
        let mut results = Vec::new();
        while let Some(r) = group_tasks.join_next().await {
            let (flag, outs) = r.map_err(|e| OperationError::Panicked(e.to_string()))?;
            for (node, out) in outs {
                for (facility, value) in &out.published {
                    world.publish(&node.id, facility, value.clone());
                }
                let ok = out.result.status != Status::Failed;
                phase_failed |= !ok;
                if let (Some(f), true, false) = (&flag, ok, o.check) {
                    if let Some(c) = compute.as_ref() {
                        if let Err(e) = c.set_flag(&node, f).await {
                            tracing::warn!("cannot record flag {f} on {}: {e}", node.name);
                        }
                    }
                    if let Some(t) = world.targets.iter_mut().find(|t| t.node.id == node.id) {
                        t.node.flags.insert(f.clone());
                    }
                }
                results.push(out.result);
            }
        }
        results.sort_by(|a, b| a.node.cmp(&b.node));
        if let Some(hook) = &o.post_phase {
            (hook.0)(phase, &results);
        }
        report.results.extend(results);
        send(Event::PhaseFinished { phase: phase.clone() });
        if phase_failed {
            break;
        }
    }

    for c in connected {
        if let Ok(conns) = Arc::try_unwrap(c.conns) {
            conns.close().await;
        }
    }
    report.duration_ms = started.elapsed().as_millis() as u64;
    report.summarize();
    Ok(report)
}

struct Job {
    target: Target,
    fns: Vec<crate::spec::PlanFn>,
    conns: Arc<Conns>,
    user: AdminUser,
}

/// Matches nodes to groups: a node belongs to every group whose spec contains it.
pub(crate) fn members(nodes: &[Node], groups: &[GroupSpec], target: bool) -> Vec<Member> {
    let mut out = Vec::new();
    for n in nodes.iter().filter(|n| n.running) {
        if let Some(g) = groups.iter().find(|g| g.contains(n)) {
            out.push(Member { node: n.clone(), group: g.clone(), target });
        }
    }
    out
}
