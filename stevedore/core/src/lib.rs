//! The shell model shared by `stevedore` (run time) and its macros (compile time): the
//! [`ir`] of POSIX `sh` constructs, the [`render`]er that lays it out as readable, deterministic
//! POSIX sh, and [`quote`]-ing of arbitrary bytes into one shell word.
//!
//! This crate uses only `std` so the procedural macros can render scripts at compile time with
//! the very code the run time uses. Most users want the `stevedore` crate instead.
#![warn(missing_docs)]

pub mod ir;
pub mod names;
pub mod os;
pub mod quote;
pub mod render;
