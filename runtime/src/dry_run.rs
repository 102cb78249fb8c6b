//! Dry runs (`ops plan`, `ops script`): the exact script each node would run, per phase,
//! rendered without executing anything; secrets replaced by placeholders.
//!
//! Targets come from the compute service (their OS from the inventory or one probe each,
//! [`service_targets`]) or are hypothetical nodes running a given OS ([`offline_targets`]).

use crate::compute::ComputeService;
use crate::node::Node;
use crate::operation::{ConnectError, RunOptions, detect_facts};
use crate::plan::{AdminInfo, Target, World, plan_phase};
use crate::render::{RenderOptions, render_phase};
use crate::spec::{EffectiveSpec, GroupSpec, SETTINGS};
use std::sync::Arc;
use stevedore::Os;

/// One node's rendered phase.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlannedScript {
    /// The node name.
    pub node: String,
    /// Its group.
    pub group: String,
    /// The phase.
    pub phase: String,
    /// The OS it was rendered for.
    pub os: String,
    /// One line per action.
    pub actions: Vec<String>,
    /// The script, secrets masked.
    pub script: String,
    /// The payload sent after the script (file content, local archives; see
    /// [`crate::render::Payload`]) as text: invalid UTF-8 replaced, secret content replaced by
    /// `<secret: N bytes>` ([`crate::render::Payload::redacted`]).
    pub payload: String,
}

/// A node to plan for, with its group's effective spec.
#[derive(Clone)]
pub struct PlanTarget {
    /// The group.
    pub group: GroupSpec,
    /// Its effective spec.
    pub spec: Arc<EffectiveSpec>,
    /// The node and its OS.
    pub target: Target,
}

/// Why a dry run failed.
#[derive(Debug, thiserror::Error)]
pub enum DryRunError {
    /// Listing the service's nodes failed.
    #[error("listing nodes on {service}: {source}")]
    Compute {
        /// The service.
        service: String,
        /// Its error.
        #[source]
        source: crate::compute::ComputeError,
    },
    /// A node's OS could not be detected.
    #[error("node {node}: {source}")]
    Detect {
        /// The node.
        node: String,
        /// Why.
        #[source]
        source: ConnectError,
    },
    /// Planning a node's phase failed.
    #[error("node {node} phase {phase}: {message}")]
    Plan {
        /// The node.
        node: String,
        /// The phase.
        phase: String,
        /// The planning errors.
        message: String,
    },
}

fn plan_target(group: &GroupSpec, spec: &Arc<EffectiveSpec>, node: Node, os: Os) -> PlanTarget {
    let os = match spec.packager() {
        Some(p) => os.with_packager(p),
        None => os,
    };
    let mut target = Target::new(node, os);
    target.roles = spec.roles().clone();
    PlanTarget { group: group.clone(), spec: spec.clone(), target }
}

/// Hypothetical nodes `<group>-<n>` (the spec's count, at least one) running `os`, addressed
/// 192.0.2.x (TEST-NET-1: never contacted).
pub fn offline_targets(groups: &[GroupSpec], os: &Os) -> Vec<PlanTarget> {
    let mut out = Vec::new();
    let mut k = 10;
    for g in groups {
        let spec = Arc::new(g.server().effective());
        for i in 1..=g.node_count().unwrap_or(1).max(1) {
            k += 1;
            let node = Node::new(format!("{}-{i}", g.name()), g.name(), format!("192.0.2.{k}")).os(os.clone());
            out.push(plan_target(g, &spec, node, os.clone()));
        }
    }
    out
}

/// The running nodes of `groups` on `service`; a node whose OS is not known is probed once.
///
/// # Errors
/// [`DryRunError::Compute`], [`DryRunError::Detect`].
pub async fn service_targets(
    service: &dyn ComputeService,
    groups: &[GroupSpec],
    o: &RunOptions,
) -> Result<Vec<PlanTarget>, DryRunError> {
    let nodes =
        service.nodes().await.map_err(|source| DryRunError::Compute { service: service.name().to_string(), source })?;
    let mut out = Vec::new();
    for g in groups {
        let spec = Arc::new(g.server().effective());
        for n in nodes.iter().filter(|n| g.contains(n) && n.running) {
            let os = match &n.os {
                Some(os) => os.clone(),
                None => {
                    detect_facts(n, service.connector(n).as_ref(), o)
                        .await
                        .map_err(|source| DryRunError::Detect { node: n.name.clone(), source })?
                        .os
                }
            };
            out.push(plan_target(g, &spec, n.clone(), os));
        }
    }
    Ok(out)
}

/// Renders `phases` (in order; a target without a phase skips it) for every target. `settings`
/// plans run first in any case, so plans can read what other nodes publish.
///
/// # Errors
/// [`DryRunError::Plan`] for the first node whose plan fails or cannot be rendered.
pub fn dry_run(targets: &[PlanTarget], phases: &[String]) -> Result<Vec<PlannedScript>, DryRunError> {
    let mut world = World::new(targets.iter().map(|t| t.target.clone()).collect());
    world.admin = Some(AdminInfo { username: "admin".into(), public_key: Some("ssh-ed25519 AAAA... admin".into()) });
    for t in targets {
        let out = plan_phase(t.spec.phase_fns(SETTINGS), &t.target, SETTINGS, &world);
        if out.errors.is_empty() {
            world.settings_ran.insert(t.target.node.id.clone());
        }
        for (facility, value) in out.published {
            world.publish(&t.target.node.id, &facility, value);
        }
    }
    let mut out = Vec::new();
    for t in targets {
        for phase in phases.iter().filter(|p| t.spec.has_phase(p)) {
            if let Some(p) = render_one(t, phase, &world)? {
                out.push(p);
            }
        }
    }
    Ok(out)
}

fn render_one(t: &PlanTarget, phase: &str, world: &World) -> Result<Option<PlannedScript>, DryRunError> {
    let node = &t.target.node;
    let err = |message: String| DryRunError::Plan { node: node.name.clone(), phase: phase.to_string(), message };
    let planned = plan_phase(t.spec.phase_fns(phase), &t.target, phase, world);
    if !planned.errors.is_empty() {
        return Err(err(planned.errors.join("; ")));
    }
    if planned.actions.is_empty() {
        return Ok(None);
    }
    let o = RenderOptions { nonce: "PALLET_DRY_RUN".into(), redact: true, ..RenderOptions::new(phase, &node.name) };
    let r = render_phase(&planned.actions, &t.target.os, &o).map_err(|e| err(e.to_string()))?;
    Ok(Some(PlannedScript {
        node: node.name.clone(),
        group: t.group.name().to_string(),
        phase: phase.to_string(),
        os: t.target.os.to_string(),
        actions: r.actions.iter().map(|a| a.description.clone()).collect(),
        script: String::from_utf8_lossy(&r.text).into_owned(),
        payload: r.payload.redacted(),
    }))
}
