//! One node, one phase: plan, render, run the script, read the records back.

use crate::plan::{PlanOutput, Target, World, plan_phase};
use crate::render::{Event as Record, RecordParser, RenderOptions, render_phase};
use crate::report::{ActionResult, NodeResult, Status};
use crate::spec::PlanFn;
use crate::transport::{AdminUser, Transport, TransportError};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What a node's phase produced besides its result.
pub(crate) struct NodeOutcome {
    pub result: NodeResult,
    pub published: BTreeMap<String, serde_json::Value>,
}

pub(crate) struct NodePhase<'a> {
    pub target: &'a Target,
    pub planned: PlanOutput,
    pub phase: &'a str,
    pub transport: &'a Transport,
    pub user: &'a AdminUser,
    pub check: bool,
    pub state_dir: &'a str,
    pub timeout: Option<Duration>,
}

pub(crate) fn failed(t: &Target, phase: &str, error: String, started: Instant) -> NodeResult {
    NodeResult {
        node: t.node.name.clone(),
        group: t.node.group.clone(),
        phase: phase.to_string(),
        status: Status::Failed,
        actions: Vec::new(),
        error: Some(error),
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

/// Plans `target`'s phase; `Err` carries the finished outcome when nothing needs to run
/// remotely (no actions, or planning failed).
pub(crate) fn plan(fns: &[PlanFn], target: &Target, phase: &str, world: &World) -> Result<PlanOutput, NodeOutcome> {
    let started = Instant::now();
    let out = plan_phase(fns, target, phase, world);
    if !out.errors.is_empty() {
        let result = failed(target, phase, format!("planning failed: {}", out.errors.join("; ")), started);
        return Err(NodeOutcome { result, published: out.published });
    }
    if out.actions.is_empty() {
        let result = NodeResult {
            node: target.node.name.clone(),
            group: target.node.group.clone(),
            phase: phase.to_string(),
            status: Status::Ok,
            actions: Vec::new(),
            error: None,
            duration_ms: started.elapsed().as_millis() as u64,
        };
        return Err(NodeOutcome { result, published: out.published });
    }
    Ok(out)
}

impl NodePhase<'_> {
    pub async fn run(self) -> NodeOutcome {
        let started = Instant::now();
        let t = self.target;
        let PlanOutput { actions, published, .. } = self.planned;
        let mut o = RenderOptions::new(self.phase, &t.node.name);
        o.check = self.check;
        o.state_dir = self.state_dir.to_string();
        let script = match render_phase(&actions, &t.os, &o) {
            Ok(s) => s,
            Err(e) => {
                return NodeOutcome {
                    result: failed(t, self.phase, format!("cannot render for {}: {e}", t.os), started),
                    published,
                };
            }
        };
        let mut parser = RecordParser::new(&script.nonce);
        let mut records: Vec<(Instant, Record)> = Vec::new();
        let mut on_stdout = |chunk: &[u8]| {
            let now = Instant::now();
            for e in parser.feed(chunk) {
                records.push((now, e));
            }
        };
        let run = self.transport.run(&script.text, self.user, &mut on_stdout);
        let outcome = match self.timeout {
            Some(limit) => match tokio::time::timeout(limit, run).await {
                Ok(r) => r,
                Err(_) => Err(TransportError::Timeout(limit)),
            },
            None => run.await,
        };
        let end = Instant::now();
        for e in parser.finish() {
            records.push((end, e));
        }

        let mut results: Vec<ActionResult> = script
            .actions
            .iter()
            .map(|a| ActionResult {
                index: a.index,
                kind: a.kind.clone(),
                description: a.description.clone(),
                status: Status::Skipped,
                exit_code: None,
                stderr: String::new(),
                output: Vec::new(),
                duration_ms: 0,
            })
            .collect();
        let mut done = false;
        let mut last = started;
        let mut current = 0usize;
        for (at, e) in records {
            match e {
                Record::Output(line) => {
                    if let Some(r) = results.get_mut(current) {
                        r.output.push(String::from_utf8_lossy(&line).into_owned());
                    }
                }
                Record::Action { index, status, code } => {
                    if let Some(r) = results.get_mut(index.wrapping_sub(1)) {
                        r.status = match status.as_str() {
                            "ok" => Status::Ok,
                            "changed" => Status::Changed,
                            _ => Status::Failed,
                        };
                        r.exit_code = Some(code);
                        r.duration_ms = at.duration_since(last).as_millis() as u64;
                    }
                    last = at;
                    current = index;
                }
                Record::Stderr { index, text } => {
                    if let Some(r) = results.get_mut(index.wrapping_sub(1)) {
                        r.stderr = String::from_utf8_lossy(&text).into_owned();
                    }
                }
                Record::Flag(_) => {}
                Record::Done => done = true,
            }
        }
        let any_failed = results.iter().any(|r| r.status == Status::Failed);
        let error = match &outcome {
            Err(e) => Some(e.to_string()),
            Ok(o) if !done && !any_failed => {
                let stderr = String::from_utf8_lossy(&o.stderr).trim().to_string();
                let code = o.exit_code.map_or("a signal".to_string(), |c| format!("exit code {c}"));
                Some(if stderr.is_empty() {
                    format!("the phase script stopped early ({code})")
                } else {
                    format!("the phase script stopped early ({code}): {stderr}")
                })
            }
            Ok(_) => None,
        };
        let status = if any_failed || error.is_some() {
            Status::Failed
        } else if results.iter().any(|r| r.status == Status::Changed) {
            Status::Changed
        } else {
            Status::Ok
        };
        let result = NodeResult {
            node: t.node.name.clone(),
            group: t.node.group.clone(),
            phase: self.phase.to_string(),
            status,
            actions: results,
            error,
            duration_ms: started.elapsed().as_millis() as u64,
        };
        NodeOutcome { result, published }
    }
}
