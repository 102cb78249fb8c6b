//! One node, one phase: plan (a panicking plan function fails its node only), render, run the
//! script, read the records back into action results.

use super::connect::Conns;
use super::facts_cache;
use super::options::RunOptions;
use crate::facts::Facts;
use crate::plan::{NodeValue, PlanOutput, Target, World, plan_phase};
use crate::render::{Event as Record, PhaseScript, RecordParser, RenderOptions, render_phase};
use crate::report::{ActionResult, NodeResult, Status};
use crate::spec::PlanFn;
use crate::transport::{AdminUser, ExecOutcome, Transport, TransportError};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// What a node's phase produced besides its result.
pub(crate) struct NodeOutcome {
    pub result: NodeResult,
    pub published: BTreeMap<String, serde_json::Value>,
    /// Values actions captured.
    pub values: Vec<(String, NodeValue)>,
    /// Other groups the node's plans read.
    pub reads: BTreeSet<String>,
    /// The node's facts, when they turned out to differ from the cached ones.
    pub facts: Option<Arc<Facts>>,
}

impl NodeOutcome {
    pub(crate) fn of(result: NodeResult, planned: Option<&PlanOutput>) -> NodeOutcome {
        NodeOutcome {
            result,
            published: planned.map(|p| p.published.clone()).unwrap_or_default(),
            reads: planned.map(|p| p.reads.clone()).unwrap_or_default(),
            values: Vec::new(),
            facts: None,
        }
    }
}

/// One node's work in one phase.
pub(crate) struct Job {
    pub target: Target,
    pub fns: Vec<PlanFn>,
    pub conns: Arc<Conns>,
    pub user: AdminUser,
    /// Check mode for this node (the operation's, or forced for nodes that only provide
    /// settings to others).
    pub check: bool,
    /// The group's package-manager override (applied again when the facts change).
    pub packager: Option<stevedore::os::Packager>,
}

impl Job {
    /// Plans, connects (if needed) and runs the phase. When the node's facts came from the
    /// controller's cache, the script checks them first; a node that changed stops the script
    /// before any action (exit 98) and is planned, rendered and run again with its new facts.
    pub(crate) async fn run(
        mut self,
        phase: &str,
        world: &World,
        o: &RunOptions,
        handshakes: &Semaphore,
        deadline: Option<(Instant, Duration)>,
    ) -> NodeOutcome {
        let started = Instant::now();
        let mut refreshed: Option<Arc<Facts>> = None;
        loop {
            let planned = match plan(&self.fns, &self.target, phase, world) {
                Ok(p) => p,
                Err(mut done) => {
                    done.facts = refreshed;
                    return *done;
                }
            };
            let transport = match self.conns.get(&self.user, o, handshakes).await {
                Ok(t) => t,
                Err(e) => {
                    let mut result = NodeResult::failed(&self.target.node, phase, e, started.elapsed());
                    result.retries = self.conns.take_retries();
                    return NodeOutcome::of(result, Some(&planned));
                }
            };
            let mut ro = RenderOptions::new(phase, &self.target.node.name);
            ro.check = self.check;
            ro.state_dir.clone_from(&o.state_dir);
            ro.guard = if refreshed.is_some() { None } else { self.conns.take_guard() };
            let mut out = NodeOutcome::of(NodeResult::new(&self.target.node, phase), Some(&planned));
            out.facts = refreshed.clone();
            match render_phase(&planned.actions, &self.target.os, &ro) {
                Ok(script) => {
                    let limit = Limit::of(o.phase_timeout, deadline);
                    let t = transport.as_ref().as_ref();
                    let ran = execute(&self.target, phase, &script, t, &self.user, limit, started).await;
                    if let (Some(cached), Some(bytes)) = (&ro.guard, ran.new_facts) {
                        tracing::info!(
                            "{}: the node's facts differ from the cached ones; planning {phase} again{}",
                            self.target.node.name,
                            facts_difference(cached, &bytes)
                        );
                        match crate::facts::parse_probe(&bytes) {
                            Ok(f) => {
                                facts_cache::store(&o.controller_state, &self.target.node, &self.user.username, &bytes);
                                self.target.os = match self.packager {
                                    Some(p) => f.os.clone().with_packager(p),
                                    None => f.os.clone(),
                                };
                                let f = Arc::new(Facts { os: self.target.os.clone(), ..f });
                                self.target.facts = f.clone();
                                refreshed = Some(f);
                                continue;
                            }
                            Err(e) => {
                                let error = format!("the node changed since its facts were cached, and: {e}");
                                out.result = NodeResult::failed(&self.target.node, phase, error, started.elapsed());
                            }
                        }
                    } else {
                        out.result = ran.result;
                        out.values = ran.values;
                    }
                }
                Err(e) => {
                    let error = format!("cannot render for {}: {e}", self.target.os);
                    out.result = NodeResult::failed(&self.target.node, phase, error, started.elapsed());
                }
            }
            out.result.retries = self.conns.take_retries();
            return out;
        }
    }
}

/// The first line that differs between cached and current facts, for the log.
fn facts_difference(cached: &[u8], now: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(cached), String::from_utf8_lossy(now));
    let mut old = a.lines();
    for new in b.lines() {
        match old.next() {
            Some(o) if o == new => {}
            o => return format!(" (was `{}`, now `{new}`)", o.unwrap_or("")),
        }
    }
    match old.next() {
        Some(o) => format!(" (`{o}` is gone)"),
        None => String::new(),
    }
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

/// Plans `target`'s phase; `Err` carries the finished outcome when nothing needs to run
/// remotely (no actions, planning failed, or a plan function panicked).
pub(crate) fn plan(
    fns: &[PlanFn],
    target: &Target,
    phase: &str,
    world: &World,
) -> Result<PlanOutput, Box<NodeOutcome>> {
    let started = Instant::now();
    let out = match std::panic::catch_unwind(AssertUnwindSafe(|| plan_phase(fns, target, phase, world))) {
        Ok(out) => out,
        Err(payload) => {
            let error = format!("a plan function panicked: {}", panic_message(payload.as_ref()));
            let result = NodeResult::failed(&target.node, phase, error, started.elapsed());
            return Err(Box::new(NodeOutcome::of(result, None)));
        }
    };
    if !out.errors.is_empty() {
        let error = format!("planning failed: {}", out.errors.join("; "));
        let result = NodeResult::failed(&target.node, phase, error, started.elapsed());
        return Err(Box::new(NodeOutcome::of(result, Some(&out))));
    }
    if out.actions.is_empty() {
        let result = NodeResult::new(&target.node, phase).took(started.elapsed());
        return Err(Box::new(NodeOutcome::of(result, Some(&out))));
    }
    Ok(out)
}

/// How long a phase script may run: the phase timeout, or what is left of the operation
/// deadline, whichever ends first.
#[derive(Clone, Copy)]
struct Limit {
    /// The time allowed.
    allowed: Duration,
    /// The message when it runs out.
    what: &'static str,
    /// The limit as configured (for the message).
    configured: Duration,
}

impl Limit {
    fn of(phase: Option<Duration>, deadline: Option<(Instant, Duration)>) -> Option<Limit> {
        let p = phase.map(|d| Limit { allowed: d, what: "phase timeout", configured: d });
        let d = deadline.map(|(at, d)| Limit {
            allowed: at.saturating_duration_since(Instant::now()),
            what: "operation deadline",
            configured: d,
        });
        match (p, d) {
            (Some(p), Some(d)) => Some(if d.allowed < p.allowed { d } else { p }),
            (p, d) => p.or(d),
        }
    }
}

/// Runs the phase script (within its limit) and turns its records into the result.
async fn execute(
    t: &Target,
    phase: &str,
    script: &PhaseScript,
    transport: &dyn Transport,
    user: &AdminUser,
    limit: Option<Limit>,
    started: Instant,
) -> Ran {
    let mut parser = RecordParser::new(&script.nonce);
    let mut records: Vec<(Instant, Record)> = Vec::new();
    let mut on_stdout = |chunk: &[u8]| {
        let now = Instant::now();
        records.extend(parser.feed(chunk).into_iter().map(|e| (now, e)));
    };
    let run = transport.run(&script.text, script.payload.chunks(), user, &mut on_stdout);
    let outcome = match limit {
        Some(l) => tokio::time::timeout(l.allowed, run)
            .await
            .unwrap_or(Err(TransportError::Timeout { what: l.what, limit: l.configured })),
        None => run.await,
    };
    let end = Instant::now();
    records.extend(parser.finish().into_iter().map(|e| (end, e)));
    let mut values = Vec::new();
    let mut new_facts = None;
    records.retain(|(_, e)| match e {
        Record::Value { name, secret, bytes, .. } => {
            values.push((name.clone(), NodeValue { bytes: bytes.clone(), secret: *secret }));
            false
        }
        Record::Facts(bytes) => {
            new_facts = Some(bytes.clone());
            false
        }
        _ => true,
    });
    if new_facts.is_some() && matches!(&outcome, Ok(o) if o.exit_code == Some(facts_cache::GUARD_EXIT)) {
        let result = NodeResult::new(&t.node, phase);
        return Ran { result, values, new_facts };
    }
    let (mut actions, done) = collect(script, records, started);
    let any_failed = actions.iter().any(|a| a.status == Status::Failed);
    if !done && !any_failed {
        // The script died while this action ran: it failed; the ones after it did not run.
        if let Some(a) = actions.iter_mut().find(|a| a.status == Status::NotRun) {
            a.status = Status::Failed;
        }
    }
    let error = outcome_error(&outcome, done, any_failed);
    Ran { result: NodeResult::from_actions(&t.node, phase, actions, error, started.elapsed()), values, new_facts: None }
}

/// What running a phase script gave.
struct Ran {
    result: NodeResult,
    values: Vec<(String, NodeValue)>,
    /// The node's facts, when its guard found them changed (the script ran no action).
    new_facts: Option<Vec<u8>>,
}

/// Action results from the records (actions without a record are `NotRun`), and whether the
/// script reached its end.
fn collect(script: &PhaseScript, records: Vec<(Instant, Record)>, started: Instant) -> (Vec<ActionResult>, bool) {
    let mut results: Vec<ActionResult> = script
        .actions
        .iter()
        .map(|a| ActionResult {
            index: a.index,
            kind: a.kind.clone(),
            description: a.description.clone(),
            status: Status::NotRun,
            exit_code: None,
            stderr: String::new(),
            output: Vec::new(),
            duration_ms: 0,
            retries: 0,
        })
        .collect();
    let mut done = false;
    let mut last = started;
    for (at, e) in records {
        match e {
            Record::Output { index, text } => {
                if let Some(r) = results.get_mut(index.wrapping_sub(1)) {
                    r.output.extend(String::from_utf8_lossy(&text).lines().map(str::to_string));
                }
            }
            Record::Action { index, status, code, retries } => {
                if let Some(r) = results.get_mut(index.wrapping_sub(1)) {
                    r.status = status;
                    r.exit_code = Some(code);
                    r.retries = retries;
                    r.duration_ms = u64::try_from(at.duration_since(last).as_millis()).unwrap_or(u64::MAX);
                }
                last = at;
            }
            Record::Stderr { index, text } => {
                if let Some(r) = results.get_mut(index.wrapping_sub(1)) {
                    r.stderr = String::from_utf8_lossy(&text).into_owned();
                }
            }
            Record::Flag(_) | Record::Stray(_) | Record::Value { .. } | Record::Facts(_) => {}
            Record::Done => done = true,
        }
    }
    (results, done)
}

/// The node's error outside its actions: the transport's, or a script that stopped before its
/// end without an action failing.
fn outcome_error(outcome: &Result<ExecOutcome, TransportError>, done: bool, any_failed: bool) -> Option<String> {
    match outcome {
        Err(e) => Some(e.to_string()),
        Ok(o) if !done && !any_failed => {
            let stderr = String::from_utf8_lossy(&o.stderr).trim().to_string();
            // sudo refused before the script started (its facts came from the cache, so no probe
            // checked sudo first).
            let sudo = crate::facts::SudoCause::classify(&stderr);
            if stderr.contains("sudo") && sudo != crate::facts::SudoCause::Other {
                return Some(format!("{sudo}: {stderr}"));
            }
            let code = o.exit_code.map_or("a signal".to_string(), |c| format!("exit code {c}"));
            Some(if stderr.is_empty() {
                format!("the phase script stopped early ({code})")
            } else {
                format!("the phase script stopped early ({code}): {stderr}")
            })
        }
        Ok(_) => None,
    }
}
