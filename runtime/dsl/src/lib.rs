//! Parser and expander of pallet's spec macros, as a plain library on `syn`: `plan_fn!`,
//! `node_spec!`, `server_spec!`, `group_spec!`, `cluster_spec!`. `pallet-macros` is the thin
//! proc-macro crate over it; every error carries the span of the user's token, all errors of a
//! call are reported together, and a fallback value keeps the surrounding code type-checking.

pub mod options;
pub mod plan_fn;
pub mod specs;

use proc_macro2::TokenStream;

/// Splits the leading `(crate path)` passed by the `pallet_runtime` wrapper macros.
fn split(input: TokenStream) -> (TokenStream, TokenStream) {
    let mut iter = input.clone().into_iter();
    if let Some(proc_macro2::TokenTree::Group(g)) = iter.next()
        && g.delimiter() == proc_macro2::Delimiter::Parenthesis
    {
        return (g.stream(), iter.collect());
    }
    (quote::quote!(::pallet_runtime), input)
}

/// `plan_fn!`.
pub fn plan_fn(input: TokenStream) -> TokenStream {
    let (k, i) = split(input);
    plan_fn::plan_fn(&k, i)
}

/// `node_spec!`.
pub fn node_spec(input: TokenStream) -> TokenStream {
    let (k, i) = split(input);
    specs::node_spec(&k, i)
}

/// `server_spec!`.
pub fn server_spec(input: TokenStream) -> TokenStream {
    let (k, i) = split(input);
    specs::server_spec(&k, i)
}

/// `group_spec!`.
pub fn group_spec(input: TokenStream) -> TokenStream {
    let (k, i) = split(input);
    specs::group_spec(&k, i)
}

/// `cluster_spec!`.
pub fn cluster_spec(input: TokenStream) -> TokenStream {
    let (k, i) = split(input);
    specs::cluster_spec(&k, i)
}
