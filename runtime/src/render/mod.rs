//! Phase scripts: a node's whole phase rendered to one POSIX sh script, and the record protocol
//! it speaks back (see ARCHITECTURE.md, "Invariants").

pub mod payload;
pub mod phase;
pub mod records;

pub use payload::Payload;
pub use phase::{PhaseRenderError, PhaseScript, PlannedAction, RenderOptions, dry_run, render_phase};
pub use records::{Event, RecordParser};
