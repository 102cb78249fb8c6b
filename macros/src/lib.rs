//! Procedural macros of pallet's specs and plans. Internal: use them through `pallet`, whose
//! `macro_rules!` wrappers pass the runtime crate's path as the first token group.
//!
//! Each entry point only converts token streams; parsing, validation and expansion live in
//! `pallet-runtime-dsl`, a plain library with ordinary unit tests. The shell macros (`script!`,
//! `script_fn!`) are in `stevedore-macros`.

use proc_macro::TokenStream;

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
