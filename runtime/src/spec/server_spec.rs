//! Server specs: reusable bundles of phases (Pallet's `server-spec`).

use super::node_spec::NodeSpec;
use super::phase::{BOOTSTRAP, CONFIGURE, PhaseMeta, PlanFn};
use crate::plan::Plan;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use stevedore::os::Packager;

/// Phases with their plan functions, phase metadata, default phases, roles, a node spec and a
/// packager override; other server specs it `extends`.
///
/// **Extends** (as Pallet's `extend-specs`): the effective spec ([`ServerSpec::effective`]) merges
/// the extended specs in `extends` order, then this spec's own fields: a phase runs the inherited
/// plan functions first, in extends order, then its own; roles are a union; default phases keep
/// the first-seen order; phase metadata and node specs merge field by field, later wins; the
/// packager is the last one set.
#[derive(Clone, Default)]
pub struct ServerSpec {
    phases: BTreeMap<String, Vec<PlanFn>>,
    phase_order: Vec<String>,
    phases_meta: BTreeMap<String, PhaseMeta>,
    default_phases: Vec<String>,
    roles: BTreeSet<String>,
    node_spec: NodeSpec,
    packager: Option<Packager>,
    extends: Vec<ServerSpec>,
}

impl std::fmt::Debug for ServerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = self.flattened();
        f.debug_struct("ServerSpec")
            .field("phases", &e.phase_order)
            .field("phases_meta", &e.phases_meta)
            .field("default_phases", &e.default_phases)
            .field("roles", &e.roles)
            .field("node_spec", &e.node_spec)
            .field("packager", &e.packager)
            .finish()
    }
}

impl ServerSpec {
    /// An empty server spec.
    pub fn new() -> ServerSpec {
        ServerSpec::default()
    }

    /// Adds plan function `f` to `phase` (after any already there).
    pub fn phase(mut self, phase: impl Into<String>, f: impl Fn(&mut Plan<'_>) + Send + Sync + 'static) -> Self {
        self.add_phase_fn(phase.into(), Arc::new(f));
        self
    }

    /// Adds an existing [`PlanFn`] to `phase`.
    pub fn phase_fn(mut self, phase: impl Into<String>, f: PlanFn) -> Self {
        self.add_phase_fn(phase.into(), f);
        self
    }

    fn add_phase_fn(&mut self, phase: String, f: PlanFn) {
        if !self.phase_order.contains(&phase) {
            self.phase_order.push(phase.clone());
        }
        self.phases.entry(phase).or_default().push(f);
    }

    /// Sets the metadata of `phase` (merged over any already set).
    pub fn phase_meta(mut self, phase: impl Into<String>, meta: PhaseMeta) -> Self {
        let phase = phase.into();
        let merged = self.phases_meta.get(&phase).map_or(meta.clone(), |m| m.merge(&meta));
        self.phases_meta.insert(phase, merged);
        self
    }

    /// Sets the phases `lift` and `converge` run when none are named (default: `configure`).
    pub fn default_phases<S: Into<String>>(mut self, phases: impl IntoIterator<Item = S>) -> Self {
        self.default_phases = phases.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a role.
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.roles.insert(role.into());
        self
    }

    /// Adds roles.
    pub fn roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
        self.roles.extend(roles.into_iter().map(Into::into));
        self
    }

    /// Sets the node spec (merged over any already set).
    pub fn node_spec(mut self, spec: NodeSpec) -> Self {
        self.node_spec = self.node_spec.merge(&spec);
        self
    }

    /// Overrides the package manager the node's OS would imply.
    pub fn packager(mut self, p: Packager) -> Self {
        self.packager = Some(p);
        self
    }

    /// Inherits from `base`: its plan functions run before this spec's.
    pub fn extends(mut self, base: ServerSpec) -> Self {
        self.extends.push(base);
        self
    }

    /// Inherits from each of `bases`, in order.
    pub fn extends_all(mut self, bases: impl IntoIterator<Item = ServerSpec>) -> Self {
        self.extends.extend(bases);
        self
    }

    /// The spec with everything it extends merged in (see the type's docs for the order): what
    /// the runtime reads. Compute it once and keep it; each call merges the whole `extends` tree.
    pub fn effective(&self) -> EffectiveSpec {
        EffectiveSpec { spec: self.flattened() }
    }

    /// The merged spec as a plain server spec with no `extends` left (to build upon).
    pub fn flattened(&self) -> ServerSpec {
        let mut acc = ServerSpec::default();
        for base in &self.extends {
            acc.merge_in(&base.flattened());
        }
        let mut own = self.clone();
        own.extends.clear();
        acc.merge_in(&own);
        acc
    }

    fn merge_in(&mut self, next: &ServerSpec) {
        for phase in &next.phase_order {
            for f in &next.phases[phase] {
                self.add_phase_fn(phase.clone(), f.clone());
            }
        }
        for (phase, meta) in &next.phases_meta {
            let merged = self.phases_meta.get(phase).map_or(meta.clone(), |m| m.merge(meta));
            self.phases_meta.insert(phase.clone(), merged);
        }
        for p in &next.default_phases {
            if !self.default_phases.contains(p) {
                self.default_phases.push(p.clone());
            }
        }
        self.roles.extend(next.roles.iter().cloned());
        self.node_spec = self.node_spec.merge(&next.node_spec);
        if next.packager.is_some() {
            self.packager = next.packager;
        }
    }

    /// The own (not inherited) plan functions of each phase, in phase order.
    pub(crate) fn own_phases(&self) -> Vec<(String, Vec<PlanFn>)> {
        self.phase_order.iter().map(|p| (p.clone(), self.phases[p].clone())).collect()
    }

    pub(crate) fn own_extends(&self) -> &[ServerSpec] {
        &self.extends
    }
}

/// A server spec with its `extends` merged in ([`ServerSpec::effective`]): the phases, metadata,
/// roles, node spec and packager the runtime uses.
#[derive(Clone, Debug)]
pub struct EffectiveSpec {
    spec: ServerSpec,
}

impl EffectiveSpec {
    /// This spec and `other` as one, for a node that belongs to both groups (Pallet merges the
    /// specs of every group a node is in): each phase runs this spec's plan functions, then
    /// `other`'s; roles are a union; metadata and node specs merge field by field, `other`
    /// winning; default phases keep the first-seen order.
    pub fn merged(&self, other: &EffectiveSpec) -> EffectiveSpec {
        let mut spec = self.spec.clone();
        spec.merge_in(&other.spec);
        EffectiveSpec { spec }
    }

    /// The plan functions of `phase` in run order (inherited first); empty when the phase is
    /// not defined.
    pub fn phase_fns(&self, phase: &str) -> &[PlanFn] {
        self.spec.phases.get(phase).map_or(&[], Vec::as_slice)
    }

    /// Does the spec define `phase` (with at least one plan function)?
    pub fn has_phase(&self, phase: &str) -> bool {
        !self.phase_fns(phase).is_empty()
    }

    /// The phases that have plan functions, in the order they were first added.
    pub fn phase_names(&self) -> &[String] {
        &self.spec.phase_order
    }

    /// The metadata of `phase`; `bootstrap` has [`PhaseMeta::bootstrap`] under anything set.
    pub fn meta(&self, phase: &str) -> PhaseMeta {
        let set = self.spec.phases_meta.get(phase).cloned().unwrap_or_default();
        if phase == BOOTSTRAP { PhaseMeta::bootstrap().merge(&set) } else { set }
    }

    /// The default phases (`configure` when none are set).
    pub fn default_phases(&self) -> Vec<String> {
        let d = &self.spec.default_phases;
        if d.is_empty() { vec![CONFIGURE.to_string()] } else { d.clone() }
    }

    /// The default phases the spec names explicitly but defines no plan function for (a typo,
    /// or a phase of a spec it forgot to extend).
    pub fn undefined_default_phases(&self) -> Vec<String> {
        self.spec.default_phases.iter().filter(|p| !self.has_phase(p)).cloned().collect()
    }

    /// The roles.
    pub fn roles(&self) -> &BTreeSet<String> {
        &self.spec.roles
    }

    /// The node spec.
    pub fn node_spec(&self) -> &NodeSpec {
        &self.spec.node_spec
    }

    /// The packager override.
    pub fn packager(&self) -> Option<Packager> {
        self.spec.packager
    }
}
