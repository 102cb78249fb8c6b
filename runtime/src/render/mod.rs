//! Phase scripts: a node's whole phase rendered to one POSIX sh script, and the record protocol
//! it speaks back (see DESIGN.md, "Execution model").

pub mod phase;
pub mod records;

pub use phase::{dry_run, render_phase, PhaseRenderError, PhaseScript, PlannedAction, RenderOptions};
pub use records::{Event, RecordParser};
