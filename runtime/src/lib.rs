//! The pallet runtime: specs, plans, actions, phase scripts. Use it through the `pallet` crate.
#![warn(missing_docs)]

pub mod action;
pub mod node;
pub mod plan;
pub mod render;
pub mod spec;
