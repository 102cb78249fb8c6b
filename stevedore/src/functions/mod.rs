//! The core library of script functions (Pallet's `pallet.script.lib`): package managers,
//! users and groups, services, files, downloads.
//!
//! Functions that differ between systems are `script_fn!`s, resolved per node; the others are
//! plain functions returning a [`Script`](crate::Script). Every one is rendered for every OS it
//! supports and checked by the shell gate (`pallet_testkit::gate`) in the test suite.

pub mod file;
pub mod net;
pub mod package;
pub mod service;
pub mod user;

pub use file::*;
pub use net::*;
pub use package::*;
pub use service::*;
pub use user::*;
