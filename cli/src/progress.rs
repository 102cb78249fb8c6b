//! Showing an operation's progress: a live indicatif display on a terminal (one bar per phase
//! with node counts), plain lines otherwise.

use indicatif::{ProgressBar, ProgressStyle};
use pallet_runtime::operation::{Event, Operation, OperationError};
use pallet_runtime::report::{Report, Status};
use std::io::IsTerminal;

/// Where progress goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// Bars on stderr (a terminal).
    Live,
    /// One line per event on stderr.
    Lines,
    /// Nothing.
    Quiet,
}

impl Display {
    /// [`Display::Live`] when stderr is a terminal, else [`Display::Lines`].
    pub fn auto() -> Display {
        if std::io::stderr().is_terminal() { Display::Live } else { Display::Lines }
    }
}

/// Shows `op`'s events as they come and returns its report.
///
/// # Errors
/// As [`Operation::wait`].
pub async fn watch(mut op: Operation, display: Display) -> Result<Report, OperationError> {
    let mut bar: Option<ProgressBar> = None;
    let style = ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} nodes {msg}")
        .expect("valid template")
        .progress_chars("=> ");
    while let Some(e) = op.events().recv().await {
        match display {
            Display::Quiet => {}
            Display::Lines => match &e {
                Event::Connected { node, os } => eprintln!("connected {node} ({os})"),
                Event::PhaseStarted { phase, nodes } => eprintln!("{phase}: {nodes} node(s)"),
                Event::NodeFinished { phase, node, status } => eprintln!("{phase} {node} {}", word(*status)),
                Event::PhaseFinished { phase } => eprintln!("{phase}: done"),
                Event::Nodes { message } => eprintln!("{message}"),
            },
            Display::Live => match &e {
                Event::PhaseStarted { phase, nodes } => {
                    let b = ProgressBar::new(*nodes as u64).with_style(style.clone()).with_prefix(phase.clone());
                    bar = Some(b);
                }
                Event::NodeFinished { node, status, .. } => {
                    if let Some(b) = &bar {
                        b.inc(1);
                        if *status == Status::Failed {
                            b.println(format!("FAILED {node}"));
                        }
                    }
                }
                Event::PhaseFinished { .. } => {
                    if let Some(b) = bar.take() {
                        b.finish();
                    }
                }
                Event::Nodes { message } => eprintln!("{message}"),
                Event::Connected { .. } => {}
            },
        }
    }
    if let Some(b) = bar {
        b.abandon();
    }
    op.wait().await
}

fn word(s: Status) -> &'static str {
    match s {
        Status::Failed => "FAILED",
        other => other.word(),
    }
}
