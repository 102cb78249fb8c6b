//! Procedural macros of pallet. Internal: use them through `stevedore` or `pallet`, whose
//! `macro_rules!` wrappers pass the runtime crate's path as the first token group.
//!
//! Each entry point only converts token streams; parsing, validation, rendering and expansion
//! live in `stevedore-dsl`, a plain library with ordinary unit tests.

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

/// `plan_fn!` expansion. Input: `(crate path) fn items...`.
#[proc_macro]
pub fn plan_fn_impl(input: TokenStream) -> TokenStream {
    pallet_runtime_dsl::plan_fn(input.into()).into()
}

/// `node_spec!` expansion. Input: `(crate path) options`.
#[proc_macro]
pub fn node_spec_impl(input: TokenStream) -> TokenStream {
    pallet_runtime_dsl::node_spec(input.into()).into()
}

/// `server_spec!` expansion. Input: `(crate path) options`.
#[proc_macro]
pub fn server_spec_impl(input: TokenStream) -> TokenStream {
    pallet_runtime_dsl::server_spec(input.into()).into()
}

/// `group_spec!` expansion. Input: `(crate path) options`.
#[proc_macro]
pub fn group_spec_impl(input: TokenStream) -> TokenStream {
    pallet_runtime_dsl::group_spec(input.into()).into()
}

/// `cluster_spec!` expansion. Input: `(crate path) options`.
#[proc_macro]
pub fn cluster_spec_impl(input: TokenStream) -> TokenStream {
    pallet_runtime_dsl::cluster_spec(input.into()).into()
}
