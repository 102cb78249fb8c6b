//! Results: per node, phase and action; a run summary; human and JSON output.

use crate::node::Node;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fmt::Write as _;
use std::time::Duration;

/// The outcome of one action, or of one node in one phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing needed doing.
    Ok,
    /// Something was changed (or, in check mode, would be).
    Changed,
    /// It failed.
    Failed,
    /// The node was left out of the phase on purpose (its flag policy says so).
    Skipped,
    /// It did not run: an earlier action of the node failed, the phase script stopped, or an
    /// earlier batch of a rolling phase failed.
    #[serde(rename = "not_run")]
    NotRun,
}

/// One action's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    /// 1-based position in the phase script.
    pub index: usize,
    /// The action kind.
    pub kind: String,
    /// What it does.
    pub description: String,
    /// The outcome.
    pub status: Status,
    /// Its script's exit code, when it ran.
    pub exit_code: Option<i32>,
    /// The tail of its stderr.
    pub stderr: String,
    /// What it printed (diffs in check mode).
    pub output: Vec<String>,
    /// How long it took, in milliseconds (measured on the controller).
    pub duration_ms: u64,
    /// How many times it retried (`retry_until`, transient package-manager failures).
    #[serde(default)]
    pub retries: u32,
}

/// The outcome of one node in one phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeResult {
    /// The node name.
    pub node: String,
    /// Its group.
    pub group: String,
    /// The phase.
    pub phase: String,
    /// Ok, Changed (some action changed), Failed, or Skipped (not a target of this phase).
    pub status: Status,
    /// The actions.
    pub actions: Vec<ActionResult>,
    /// Why the node failed, when it failed outside an action (connection, sudo, planning,
    /// no implementation for its OS).
    pub error: Option<String>,
    /// Connection attempts that were retried before this result (transient failures).
    #[serde(default)]
    pub retries: u32,
    /// Wall time, in milliseconds.
    pub duration_ms: u64,
}

impl NodeResult {
    /// A result of `node` in `phase` with no actions yet: status `Ok`, no error.
    pub fn new(node: &Node, phase: &str) -> NodeResult {
        NodeResult {
            node: node.name.clone(),
            group: node.group.clone(),
            phase: phase.to_string(),
            status: Status::Ok,
            actions: Vec::new(),
            error: None,
            retries: 0,
            duration_ms: 0,
        }
    }

    /// `node` failed in `phase` outside any action (connection, planning, rendering), after
    /// `elapsed`.
    pub fn failed(node: &Node, phase: &str, error: impl fmt::Display, elapsed: Duration) -> NodeResult {
        NodeResult { status: Status::Failed, error: Some(error.to_string()), ..NodeResult::new(node, phase) }
            .took(elapsed)
    }

    /// `node` was due to run `phase` but did not (`why`: an earlier batch failed, an interrupt).
    pub fn not_run(node: &Node, phase: &str, why: impl fmt::Display) -> NodeResult {
        NodeResult { status: Status::NotRun, error: Some(why.to_string()), ..NodeResult::new(node, phase) }
    }

    /// `node` did not run `phase` (its flag policy says so).
    pub fn skipped(node: &Node, phase: &str) -> NodeResult {
        NodeResult { status: Status::Skipped, ..NodeResult::new(node, phase) }
    }

    /// A failure of group `group` that belongs to no node yet (creating nodes): the node column
    /// holds the group name.
    pub fn group_failed(group: &str, phase: &str, error: impl fmt::Display) -> NodeResult {
        NodeResult {
            node: group.to_string(),
            group: group.to_string(),
            phase: phase.to_string(),
            status: Status::Failed,
            actions: Vec::new(),
            error: Some(error.to_string()),
            retries: 0,
            duration_ms: 0,
        }
    }

    /// `node`'s `phase` with these action results and maybe an error outside them: the status
    /// is `Failed` when an action failed or `error` is set, else `Changed` when an action
    /// changed something, else `Ok`.
    pub fn from_actions(
        node: &Node,
        phase: &str,
        actions: Vec<ActionResult>,
        error: Option<String>,
        elapsed: Duration,
    ) -> NodeResult {
        let status = if error.is_some() || actions.iter().any(|a| a.status == Status::Failed) {
            Status::Failed
        } else if actions.iter().any(|a| a.status == Status::Changed) {
            Status::Changed
        } else {
            Status::Ok
        };
        NodeResult { status, actions, error, ..NodeResult::new(node, phase) }.took(elapsed)
    }

    /// Sets the duration.
    pub fn took(mut self, elapsed: Duration) -> NodeResult {
        self.duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Did the node fail in this phase?
    pub fn is_failed(&self) -> bool {
        self.status == Status::Failed
    }
}

/// A group whose configuration is out of date: its plans read groups that changed in this
/// operation, and it did not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleGroup {
    /// The stale group.
    pub group: String,
    /// The groups it reads that changed, with what changed.
    pub because: Vec<String>,
    /// The command that refreshes it.
    pub refresh: String,
}

/// Counts over a run: actions, and nodes (each counted once, by its worst outcome over the
/// phases: failed, then not run, then changed, then ok, then skipped).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Actions that were ok.
    pub ok: usize,
    /// Actions that changed something.
    pub changed: usize,
    /// Actions that failed.
    pub failed: usize,
    /// Actions that did not run.
    pub not_run: usize,
    /// Node results left out on purpose (flag policies).
    pub skipped: usize,
    /// Nodes by outcome.
    pub nodes: NodeCounts,
    /// Nodes with a failure, by name.
    pub failed_nodes: Vec<String>,
}

/// How many nodes ended each way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCounts {
    /// Nodes where every action was ok.
    pub ok: usize,
    /// Nodes where something changed.
    pub changed: usize,
    /// Nodes that failed.
    pub failed: usize,
    /// Nodes that did not run a phase they were due to (an earlier batch failed).
    pub not_run: usize,
    /// Nodes only ever left out by flag policies.
    pub skipped: usize,
}

fn severity(s: Status) -> u8 {
    match s {
        Status::Skipped => 0,
        Status::Ok => 1,
        Status::Changed => 2,
        Status::NotRun => 3,
        Status::Failed => 4,
    }
}

/// A whole operation's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `lift`, `converge`, `check`.
    pub operation: String,
    /// Node results, in phase order.
    pub results: Vec<NodeResult>,
    /// Phases that ran, in order.
    pub phases: Vec<String>,
    /// Counts.
    pub summary: Summary,
    /// Nodes created (converge).
    pub created: Vec<String>,
    /// Nodes destroyed (converge).
    pub destroyed: Vec<String>,
    /// Why the operation stopped before its end, when it did (an interrupt, the deadline).
    #[serde(default)]
    pub interrupted: Option<String>,
    /// Groups not run whose plans read a group that changed in this operation.
    #[serde(default)]
    pub stale: Vec<StaleGroup>,
    /// Wall time, in milliseconds.
    pub duration_ms: u64,
}

impl Report {
    /// An empty report for `operation`.
    pub fn new(operation: &str) -> Report {
        Report {
            operation: operation.to_string(),
            results: Vec::new(),
            phases: Vec::new(),
            summary: Summary::default(),
            created: Vec::new(),
            destroyed: Vec::new(),
            interrupted: None,
            stale: Vec::new(),
            duration_ms: 0,
        }
    }

    /// Recomputes the summary from the results.
    pub fn summarize(&mut self) {
        let mut s = Summary::default();
        let mut worst: Vec<(&str, Status)> = Vec::new();
        for r in &self.results {
            for a in &r.actions {
                match a.status {
                    Status::Ok => s.ok += 1,
                    Status::Changed => s.changed += 1,
                    Status::Failed => s.failed += 1,
                    Status::NotRun | Status::Skipped => s.not_run += 1,
                }
            }
            if r.status == Status::Skipped {
                s.skipped += 1;
            }
            if r.status == Status::Failed && !s.failed_nodes.contains(&r.node) {
                s.failed_nodes.push(r.node.clone());
            }
            match worst.iter_mut().find(|(n, _)| *n == r.node) {
                Some((_, w)) if severity(r.status) > severity(*w) => *w = r.status,
                Some(_) => {}
                None => worst.push((&r.node, r.status)),
            }
        }
        for (_, w) in worst {
            let c = &mut s.nodes;
            *match w {
                Status::Ok => &mut c.ok,
                Status::Changed => &mut c.changed,
                Status::Failed => &mut c.failed,
                Status::NotRun => &mut c.not_run,
                Status::Skipped => &mut c.skipped,
            } += 1;
        }
        self.summary = s;
    }

    /// Did anything fail, or not run because the operation stopped early?
    pub fn failed(&self) -> bool {
        !self.summary.failed_nodes.is_empty() || self.interrupted.is_some() || self.summary.nodes.not_run > 0
    }

    /// The process exit status for this report: 1 when anything failed, else 0.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.failed())
    }

    /// The result of `node` in `phase`.
    pub fn result(&self, node: &str, phase: &str) -> Option<&NodeResult> {
        self.results.iter().find(|r| r.node == node && r.phase == phase)
    }

    /// Human text: one line per node per phase, then the details of each failure.
    pub fn human(&self) -> String {
        let mut out = String::new();
        self.write_table(&mut out);
        self.write_failures(&mut out);
        if let Some(why) = &self.interrupted {
            let _ = writeln!(out, "\nSTOPPED: {why}");
        }
        self.write_stale(&mut out);
        let _ = writeln!(out, "\n{}", self.summary_line());
        out
    }

    fn write_stale(&self, out: &mut String) {
        for s in &self.stale {
            let _ = writeln!(
                out,
                "\nSTALE: group {} reads {}; refresh it with `{}` (or run with --with-dependents)",
                s.group,
                s.because.join("; "),
                s.refresh
            );
        }
    }

    /// Human text without the per-node table: the failures, then the summary line (`-q`).
    pub fn human_brief(&self) -> String {
        let mut out = String::new();
        self.write_failures(&mut out);
        if let Some(why) = &self.interrupted {
            let _ = writeln!(out, "STOPPED: {why}");
        }
        self.write_stale(&mut out);
        let _ = writeln!(out, "{}{}", if out.is_empty() { "" } else { "\n" }, self.summary_line());
        out
    }

    /// One line per node per phase: phase, node, status, action counts, time.
    pub fn table(&self) -> String {
        let mut out = String::new();
        self.write_table(&mut out);
        out
    }

    fn write_table(&self, out: &mut String) {
        for r in &self.results {
            let count = |st: Status| r.actions.iter().filter(|a| a.status == st).count();
            // Connection and action retries, when there were any.
            let retries = r.retries + r.actions.iter().map(|a| a.retries).sum::<u32>();
            let _ = writeln!(
                out,
                "{:<10} {:<20} {:<8} ok={} changed={} failed={} {:.1}s{}",
                r.phase,
                r.node,
                status_word(r.status),
                count(Status::Ok),
                count(Status::Changed),
                count(Status::Failed),
                r.duration_ms as f64 / 1000.0,
                if retries > 0 { format!(" retries={retries}") } else { String::new() }
            );
        }
    }

    fn write_failures(&self, out: &mut String) {
        for r in self.results.iter().filter(|r| r.status == Status::NotRun) {
            let _ = writeln!(
                out,
                "\nNOT RUN: node {} ({}), phase {}: {}",
                r.node,
                r.group,
                r.phase,
                r.error.as_deref().unwrap_or("")
            );
        }
        for r in self.results.iter().filter(|r| r.status == Status::Failed) {
            let _ = writeln!(out, "\nFAILED: node {} ({}), phase {}", r.node, r.group, r.phase);
            if let Some(e) = &r.error {
                let _ = writeln!(out, "  {e}{}", retried(r.retries, " (the connection was retried {} time(s))"));
            }
            for a in r.actions.iter().filter(|a| a.status == Status::Failed) {
                let _ = writeln!(
                    out,
                    "  action {} ({}): exit code {}{}",
                    a.index,
                    a.description,
                    a.exit_code.map_or("-".into(), |c| c.to_string()),
                    retried(a.retries, " after {} retries")
                );
                for l in a.stderr.lines() {
                    let _ = writeln!(out, "    | {l}");
                }
            }
        }
    }

    /// In check mode: what would change, node by node, with each action's output (diffs).
    pub fn changes_text(&self) -> String {
        let mut s = String::new();
        for r in &self.results {
            for a in r.actions.iter().filter(|a| a.status == Status::Changed) {
                let _ = writeln!(s, "would change: node {} phase {}: {}", r.node, r.phase, a.description);
                for l in &a.output {
                    let _ = writeln!(s, "  {l}");
                }
            }
        }
        s
    }

    /// The one-line summary: nodes, then actions, then the wall time, e.g.
    /// `lift: nodes 2 changed, 1 failed; actions 6 ok, 2 changed, 1 failed, 3 not run; 1.2s`.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let part = |items: &[(usize, &str)]| {
            let v: Vec<String> = items.iter().filter(|(n, _)| *n > 0).map(|(n, w)| format!("{n} {w}")).collect();
            if v.is_empty() { "none".to_string() } else { v.join(", ") }
        };
        let n = &s.nodes;
        format!(
            "{}: nodes {}; actions {}; {:.1}s",
            self.operation,
            part(&[
                (n.ok, "ok"),
                (n.changed, "changed"),
                (n.failed, "failed"),
                (n.not_run, "not run"),
                (n.skipped, "skipped")
            ]),
            part(&[(s.ok, "ok"), (s.changed, "changed"), (s.failed, "failed"), (s.not_run, "not run")]),
            self.duration_ms as f64 / 1000.0
        )
    }

    /// JSON text.
    pub fn json(&self) -> String {
        // A report is strings, numbers and lists: serialization cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// `pattern` with `{}` replaced by `n`, or nothing when `n` is 0.
fn retried(n: u32, pattern: &str) -> String {
    if n == 0 { String::new() } else { pattern.replace("{}", &n.to_string()) }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Failed => "FAILED",
        other => other.word(),
    }
}

impl Status {
    /// The lowercase words of reports and result records: `ok`, `changed`, `failed`, `skipped`,
    /// `not run`.
    pub const fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Changed => "changed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::NotRun => "not run",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}
