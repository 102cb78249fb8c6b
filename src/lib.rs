//! Pallet for Rust: infrastructure automation written as Rust source.
//!
//! You describe machines (node specs), what runs on them (server specs made of phases, phases of
//! plan functions, plan functions of idempotent actions) and how many of each you want (group and
//! cluster specs). Macros check all of it at compile time and emit POSIX shell for every
//! supported OS; a runtime then converges clusters or lifts existing nodes over SSH.
//!
//! This crate is the facade: it re-exports the layers.
//!
//! - [`stevedore`]: the shell layer — `script!`, `script_fn!`, the OS model and the core library
//!   of script functions ([`stevedore::functions`]).
//!
//! ```
//! use pallet::prelude::*;
//! let s = script! { echo "hello from pallet"; };
//! assert_eq!(s.to_text().unwrap(), "echo 'hello from pallet'\n");
//! ```

pub use stevedore;
pub use stevedore::{script, script_fn};

/// The names most plans need: `use pallet::prelude::*;`.
pub mod prelude {
    pub use stevedore::os::{Family, InitSystem, Os, Packager};
    pub use stevedore::{script, script_fn, Script};
}
