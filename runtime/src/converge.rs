//! `converge`: make each group have its node count, then configure (Pallet's `converge`).
//!
//! Order, as Pallet: surplus nodes run the `destroy-server` phase and are destroyed (the
//! highest-numbered first); groups going to zero run `destroy-group`, groups coming from zero
//! run `create-group` (both group-level phases run on the controller with a local shell);
//! missing nodes are created in parallel; then on every node of the groups: OS detection,
//! `settings`, `bootstrap` on nodes without the `bootstrapped` flag (as the image's login
//! user; the flag is set where it succeeds), then the requested phases (default `configure`).

use crate::compute::ComputeService;
use crate::node::Node;
use crate::operation::{Event, Member, Operation, OperationError, RunOptions, members, run};
use crate::report::Report;
use crate::spec::{BOOTSTRAP, GroupSpec};
use std::sync::Arc;

/// The group-level phase run on nodes about to be destroyed.
pub const DESTROY_SERVER: &str = "destroy-server";
/// The group-level phase run when a group goes to zero nodes.
pub const DESTROY_GROUP: &str = "destroy-group";
/// The group-level phase run when a group comes from zero nodes.
pub const CREATE_GROUP: &str = "create-group";

fn numbered(n: &Node) -> (u64, String) {
    let k = n.name.rsplit('-').next().and_then(|s| s.parse().ok()).unwrap_or(0);
    (k, n.name.clone())
}

/// Converges `groups` (each with its `count`) on `compute`.
pub fn converge(compute: Arc<dyn ComputeService>, groups: Vec<GroupSpec>, options: RunOptions) -> Operation {
    Operation::spawn(move |tx| async move {
        let mut report = Report::new("converge");
        let started = std::time::Instant::now();
        for g in &groups {
            if g.get_count().is_none() {
                return Err(OperationError::Failed(format!("group {} has no count to converge to", g.name())));
            }
        }
        let group_names = groups.iter().map(|g| g.name()).collect::<Vec<_>>().join(", ");
        let nodes = compute.nodes().await.map_err(|e| {
            OperationError::Failed(format!("group(s) {group_names}: listing nodes on {}: {e}", compute.name()))
        })?;
        let local_group_node = |g: &GroupSpec| {
            let mut n = Node::new(g.name(), g.name(), "localhost");
            n.local = true;
            n
        };

        // Destroy surplus nodes, with their hooks.
        let mut to_destroy: Vec<Node> = Vec::new();
        let mut going_to_zero = Vec::new();
        let mut coming_from_zero = Vec::new();
        for g in &groups {
            let mut current: Vec<Node> = nodes.iter().filter(|n| g.contains(n)).cloned().collect();
            let want = g.get_count().unwrap_or(0);
            // Broken (not running) nodes are always replaced.
            let (running, broken): (Vec<Node>, Vec<Node>) = current.drain(..).partition(|n| n.running);
            to_destroy.extend(broken);
            let mut running = running;
            running.sort_by_key(numbered);
            if running.len() > want {
                to_destroy.extend(running.split_off(want));
            }
            if want == 0 && !running.is_empty() {
                going_to_zero.push(g.clone());
            }
            if want > 0 && running.is_empty() {
                coming_from_zero.push(g.clone());
            }
        }
        let hooked: Vec<Member> = to_destroy
            .iter()
            .filter(|n| n.running)
            .filter_map(|n| groups.iter().find(|g| g.contains(n)).map(|g| (n, g)))
            .filter(|(_, g)| !g.server().phase_fns(DESTROY_SERVER).is_empty())
            .map(|(n, g)| Member { node: n.clone(), group: g.clone(), target: true })
            .collect();
        if !hooked.is_empty() {
            let o = RunOptions { phases: vec![DESTROY_SERVER.into()], ..options.clone() };
            let r = run("converge", hooked, Some(compute.clone()), o, tx.clone()).await?;
            report.results.extend(r.results);
        }
        if !to_destroy.is_empty() {
            compute
                .destroy_nodes(&to_destroy)
                .await
                .map_err(|e| OperationError::Failed(format!("group(s) {group_names}: destroying nodes: {e}")))?;
            for n in &to_destroy {
                let _ = tx.send(Event::Nodes { message: format!("destroyed {}", n.name) });
                report.destroyed.push(n.name.clone());
            }
        }
        for (list, phase) in [(&going_to_zero, DESTROY_GROUP), (&coming_from_zero, CREATE_GROUP)] {
            let hooked: Vec<Member> = list
                .iter()
                .filter(|g| !g.server().phase_fns(phase).is_empty())
                .map(|g| Member { node: local_group_node(g), group: g.clone(), target: true })
                .collect();
            if !hooked.is_empty() {
                let mut o = RunOptions { phases: vec![phase.into()], ..options.clone() };
                o.user = o.user.clone().no_sudo(true);
                let r = run("converge", hooked, None, o, tx.clone()).await?;
                report.results.extend(r.results);
            }
        }

        // Create missing nodes, all groups in parallel.
        let remaining: Vec<Node> = nodes.iter().filter(|n| !to_destroy.iter().any(|d| d.id == n.id)).cloned().collect();
        let creations = groups.iter().filter_map(|g| {
            let have = remaining.iter().filter(|n| g.contains(n) && n.running).count();
            let want = g.get_count().unwrap_or(0);
            (want > have).then(|| {
                let compute = compute.clone();
                async move { (g.name().to_string(), compute.create_nodes(g, want - have).await) }
            })
        });
        let mut create_errors = Vec::new();
        for (group, r) in futures_util::future::join_all(creations).await {
            match r {
                Ok(new) => {
                    for n in new {
                        let _ = tx.send(Event::Nodes { message: format!("created {}", n.name) });
                        report.created.push(n.name);
                    }
                }
                Err(e) => create_errors.push(format!("group {group}: {e}")),
            }
        }

        // Configure every node of the groups.
        let nodes = compute.nodes().await.map_err(|e| OperationError::Failed(e.to_string()))?;
        let mut m = members(&nodes, &groups, true);
        let considered: Vec<Member> = members(&nodes, &options.consider_groups, false)
            .into_iter()
            .filter(|c| !m.iter().any(|t| t.node.id == c.node.id))
            .collect();
        m.extend(considered);
        let mut phases = vec![BOOTSTRAP.to_string()];
        if options.phases.is_empty() {
            for g in &groups {
                for p in g.server().get_default_phases() {
                    if !phases.contains(&p) {
                        phases.push(p);
                    }
                }
            }
        } else {
            phases.extend(options.phases.iter().filter(|p| p.as_str() != BOOTSTRAP).cloned());
        }
        if !m.is_empty() {
            let o = RunOptions { phases, ..options.clone() };
            let r = run("converge", m, Some(compute.clone()), o, tx.clone()).await?;
            report.results.extend(r.results);
            report.phases = r.phases;
        }
        for e in create_errors {
            report.results.push(crate::report::NodeResult {
                node: e.split(':').next().unwrap_or("create").to_string(),
                group: String::new(),
                phase: "create".into(),
                status: crate::report::Status::Failed,
                actions: Vec::new(),
                error: Some(e),
                duration_ms: 0,
            });
        }
        report.duration_ms = started.elapsed().as_millis() as u64;
        report.summarize();
        Ok(report)
    })
}
