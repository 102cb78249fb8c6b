//! Stevedore: shell scripts written as Rust, checked at compile time, rendered to POSIX sh.
#![warn(missing_docs)]

pub mod dispatch;
pub mod functions;
pub mod gate;
pub mod interpolate;
pub mod os;
pub mod script;

pub use interpolate::{Interpolate, ShellWord};
pub use os::Os;
pub use script::{HeredocValue, Script, ScriptBuf, ScriptError};
pub use stevedore_core::{ir, quote, render};

/// Writes a shell script as Rust tokens; see the [crate documentation](crate) for the grammar.
#[macro_export]
macro_rules! script {
    ($($body:tt)*) => {
        $crate::__private::script_impl!{ ($crate) $($body)* }
    };
}

/// Defines script functions with one arm per OS family, package manager or init system; see
/// the [crate documentation](crate).
#[macro_export]
macro_rules! script_fn {
    ($($body:tt)*) => {
        $crate::__private::script_fn_impl!{ ($crate) $($body)* }
    };
}

#[doc(hidden)]
pub mod __private {
    pub use crate::dispatch::dispatch;
    pub use crate::script::{HeredocValue, ScriptBuf};
    pub use pallet_macros::{script_fn_impl, script_impl};
    pub use stevedore_core::os::{Axis, Family, InitSystem, Packager, Selector};
    pub use stevedore_core::render::SpliceMode;
}
