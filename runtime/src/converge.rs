//! `converge`: make each group have its node count, then configure (Pallet's `converge`).
//!
//! Order, as Pallet: surplus nodes run the `destroy-server` phase and are destroyed (the
//! highest-numbered first); groups going to zero run `destroy-group`, groups coming from zero
//! run `create-group` (both group-level phases run on the controller with a local shell);
//! missing nodes are created in parallel; then on every node of the groups: OS detection,
//! `settings`, `bootstrap` on nodes without the `bootstrapped` flag (as the image's login
//! user; the flag is set where it succeeds), then the requested phases (default `configure`).

use crate::compute::{ComputeService, Localhost};
use crate::node::Node;
use crate::operation::members::{Member, Placement, add_considered, members};
use crate::operation::phases::{check_phases, phases_to_run};
use crate::operation::{Event, Operation, OperationError, RunOptions, run};
use crate::report::{NodeResult, Report};
use crate::spec::{BOOTSTRAP, GroupSpec};
use std::sync::Arc;
use tokio::sync::mpsc;

/// The group-level phase run on nodes about to be destroyed.
pub const DESTROY_SERVER: &str = "destroy-server";
/// The group-level phase run when a group goes to zero nodes.
pub const DESTROY_GROUP: &str = "destroy-group";
/// The group-level phase run when a group comes from zero nodes.
pub const CREATE_GROUP: &str = "create-group";

/// What a converge changes in the node sets, before it changes anything.
#[derive(Debug, Default)]
struct Changes {
    to_destroy: Vec<Node>,
    going_to_zero: Vec<GroupSpec>,
    coming_from_zero: Vec<GroupSpec>,
}

/// `(number, name)` of a `<group>-<n>` node, for highest-numbered-first removal.
fn numbered(n: &Node) -> (u64, String) {
    let k = n.name.rsplit('-').next().and_then(|s| s.parse().ok()).unwrap_or(0);
    (k, n.name.clone())
}

/// The surplus and broken (not running) nodes of each group, and the groups crossing zero.
fn changes(groups: &[GroupSpec], nodes: &[Node]) -> Changes {
    let mut c = Changes::default();
    for g in groups {
        let want = g.node_count().unwrap_or(0);
        let (mut running, broken): (Vec<Node>, Vec<Node>) =
            nodes.iter().filter(|n| g.contains(n)).cloned().partition(|n| n.running);
        // Broken (not running) nodes are always replaced.
        c.to_destroy.extend(broken);
        running.sort_by_key(numbered);
        if want == 0 && !running.is_empty() {
            c.going_to_zero.push(g.clone());
        }
        if want > 0 && running.is_empty() {
            c.coming_from_zero.push(g.clone());
        }
        if running.len() > want {
            c.to_destroy.extend(running.split_off(want));
        }
    }
    c
}

/// Converges `groups` (each with its `count`) on `compute` (consider-groups from
/// [`RunOptions::consider_groups`], on the same service).
pub fn converge(compute: Arc<dyn ComputeService>, groups: Vec<GroupSpec>, options: RunOptions) -> Operation {
    let consider = vec![Placement::new(compute.clone(), options.consider_groups.clone())];
    converge_across("converge", vec![Placement::new(compute, groups)], consider, options)
}

/// Destroys every node of `groups` on `compute`: `converge` to zero nodes (with the
/// `destroy-server` and `destroy-group` hooks), reported as `destroy`.
pub fn destroy(compute: Arc<dyn ComputeService>, groups: Vec<GroupSpec>, options: RunOptions) -> Operation {
    let groups = groups.into_iter().map(|g| g.count(0)).collect();
    converge_across("destroy", vec![Placement::new(compute, groups)], Vec::new(), options)
}

/// Converges the groups of `targets`, each on its own service (a hybrid operation: Pallet's
/// hybrid provider), then configures them all in one run, so relationships span the services;
/// the groups of `consider` run only `settings` (changing nothing). `operation` names the report
/// (`converge`, `destroy`).
pub fn converge_across(
    operation: &'static str,
    targets: Vec<Placement>,
    consider: Vec<Placement>,
    options: RunOptions,
) -> Operation {
    Operation::spawn(options.stop.clone(), move |tx| async move {
        let started = std::time::Instant::now();
        let all_groups: Vec<GroupSpec> = targets.iter().flat_map(|p| p.groups.iter().cloned()).collect();
        if let Some(g) = all_groups.iter().find(|g| g.node_count().is_none()) {
            return Err(OperationError::NoCount(g.name().to_string()));
        }
        if operation == "converge" {
            let specs: Vec<_> = all_groups.iter().map(|g| (g.name(), g.server().effective())).collect();
            check_phases(&options.phases, specs.iter().map(|(n, s)| (*n, s)))?;
        }
        let mut report = Report::new(operation);
        let mut create_failures = Vec::new();
        for p in &targets {
            create_failures.extend(resize(p, &options, &tx, &mut report).await?);
            if report.interrupted.is_some() {
                break;
            }
        }
        // Configure every node of the groups, across their services.
        let mut m = Vec::new();
        for p in &targets {
            m.extend(p.members(true).await?);
        }
        let m = add_considered(m, &consider).await?;
        if !m.is_empty() && operation == "converge" {
            let phases =
                phases_to_run(&[BOOTSTRAP], &options.phases, m.iter().filter(|m| m.target).map(|m| m.spec.as_ref()));
            let r = run(operation, m, phases, options, tx.clone()).await;
            report.results.extend(r.results);
            report.phases = r.phases;
            report.stale = r.stale;
            report.interrupted = report.interrupted.or(r.interrupted);
        }
        report.results.extend(create_failures);
        report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        report.summarize();
        Ok(report)
    })
}

/// Brings the groups of `p` to their counts on its service: surplus nodes destroyed (with their
/// hooks), group hooks, missing nodes created. Returns the creation failures.
async fn resize(
    p: &Placement,
    options: &RunOptions,
    tx: &mpsc::UnboundedSender<Event>,
    report: &mut Report,
) -> Result<Vec<NodeResult>, OperationError> {
    let compute = &p.service;
    let compute_err =
        |step, source| OperationError::Compute { groups: p.names(), step, service: compute.name().to_string(), source };
    let nodes = compute.nodes().await.map_err(|e| compute_err("listing nodes", e))?;
    let c = changes(&p.groups, &nodes);
    if options.stop.is_stopped() {
        report.interrupted = Some("the operation was interrupted before any node was changed".into());
        return Ok(Vec::new());
    }
    destroy_surplus(compute, &p.groups, &c.to_destroy, options, tx, report)
        .await
        .map_err(|e| compute_err("destroying nodes", e))?;
    group_hooks(&c.going_to_zero, DESTROY_GROUP, options, tx, report).await;
    group_hooks(&c.coming_from_zero, CREATE_GROUP, options, tx, report).await;
    let remaining: Vec<Node> = nodes.into_iter().filter(|n| !c.to_destroy.iter().any(|d| d.id == n.id)).collect();
    if options.stop.is_stopped() {
        report.interrupted = Some("the operation was interrupted before nodes were created".into());
        return Ok(Vec::new());
    }
    Ok(create_missing(compute, &p.groups, &remaining, tx, report).await)
}

/// Runs `destroy-server` on the running surplus nodes that define it, then destroys them all.
async fn destroy_surplus(
    compute: &Arc<dyn ComputeService>,
    groups: &[GroupSpec],
    to_destroy: &[Node],
    options: &RunOptions,
    tx: &mpsc::UnboundedSender<Event>,
    report: &mut Report,
) -> Result<(), crate::compute::ComputeError> {
    let hooked: Vec<Member> =
        members(to_destroy, groups, compute, true).into_iter().filter(|m| m.spec.has_phase(DESTROY_SERVER)).collect();
    if !hooked.is_empty() {
        let r = run(&report.operation, hooked, vec![DESTROY_SERVER.into()], options.clone(), tx.clone()).await;
        report.results.extend(r.results);
    }
    if to_destroy.is_empty() {
        return Ok(());
    }
    compute.destroy_nodes(to_destroy).await?;
    for n in to_destroy {
        let _ = tx.send(Event::Nodes { message: format!("destroyed {}", n.name) });
        report.destroyed.push(n.name.clone());
    }
    Ok(())
}

/// Runs group-level `phase` for each of `groups` that defines it, on the controller.
async fn group_hooks(
    groups: &[GroupSpec],
    phase: &str,
    options: &RunOptions,
    tx: &mpsc::UnboundedSender<Event>,
    report: &mut Report,
) {
    let hooked: Vec<Member> = groups
        .iter()
        .map(|g| {
            let node = Node::new(g.name(), g.name(), "localhost");
            let service: Arc<dyn ComputeService> = Arc::new(Localhost::new(g.name()));
            Member::new(node, g, service, true)
        })
        .filter(|m| m.spec.has_phase(phase))
        .collect();
    if hooked.is_empty() {
        return;
    }
    let mut o = options.clone();
    o.user = o.user.clone().no_sudo(true);
    let r = run(&report.operation, hooked, vec![phase.to_string()], o, tx.clone()).await;
    report.results.extend(r.results);
}

/// Creates the missing nodes of every group, all groups in parallel; failures become `create`
/// results of their group.
async fn create_missing(
    compute: &Arc<dyn ComputeService>,
    groups: &[GroupSpec],
    remaining: &[Node],
    tx: &mpsc::UnboundedSender<Event>,
    report: &mut Report,
) -> Vec<NodeResult> {
    let creations = groups.iter().filter_map(|g| {
        let have = remaining.iter().filter(|n| g.contains(n) && n.running).count();
        let want = g.node_count().unwrap_or(0);
        (want > have).then_some(async move { (g.name(), compute.create_nodes(g, want - have).await) })
    });
    let mut failures = Vec::new();
    // Groups that keep their nodes still get what the service keeps for the group brought in
    // line with their spec (a security group's rules after the inbound ports changed); creating
    // nodes does it for the others.
    let keeping = groups.iter().filter(|g| {
        let have = remaining.iter().filter(|n| g.contains(n) && n.running).count();
        let want = g.node_count().unwrap_or(0);
        want > 0 && want <= have
    });
    let prepared =
        futures_util::future::join_all(keeping.map(|g| async move { (g.name(), compute.prepare_group(g).await) }));
    for (group, r) in prepared.await {
        if let Err(e) = r {
            failures.push(NodeResult::group_failed(group, "prepare", format!("group {group}: {e}")));
        }
    }
    for (group, r) in futures_util::future::join_all(creations).await {
        match r {
            Ok(new) => {
                for n in new {
                    let _ = tx.send(Event::Nodes { message: format!("created {}", n.name) });
                    report.created.push(n.name);
                }
            }
            Err(e) => failures.push(NodeResult::group_failed(group, "create", format!("group {group}: {e}"))),
        }
    }
    failures
}
