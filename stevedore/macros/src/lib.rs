//! Procedural macros of stevedore. Internal: use them through `stevedore` (or `pallet`), whose
//! `macro_rules!` wrappers `script!` and `script_fn!` pass the runtime crate's path as the first
//! token group.
//!
//! Each entry point only converts token streams; parsing, validation, rendering and expansion
//! live in `stevedore-dsl`, a plain library with ordinary unit tests. The spec macros
//! (`plan_fn!`, `node_spec!`, ...) are in `pallet-macros`, so the shell layer never builds
//! their parser.

use proc_macro::TokenStream;

/// `script!` expansion. Input: `(crate path) script...`.
#[proc_macro]
pub fn script_impl(input: TokenStream) -> TokenStream {
    stevedore_dsl::script(input.into()).into()
}

/// `script_fn!` expansion. Input: `(crate path) fn items...`.
#[proc_macro]
pub fn script_fn_impl(input: TokenStream) -> TokenStream {
    stevedore_dsl::script_fn(input.into()).into()
}
