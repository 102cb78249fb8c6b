//! Parser and expander of stevedore's shell DSL, as a plain library on `syn`.
//!
//! `stevedore-macros` is a thin proc-macro crate that hands its input to [`script`] and
//! [`script_fn`]; everything here is testable with ordinary unit tests. Each entry point follows
//! parse → validate → render (at compile time, with `stevedore-core`) → expand, collects every
//! error with the span of the user's token, and on error still emits a plausible expansion so one
//! typo does not cascade.
//!
//! The grammar is documented in the `stevedore` crate.

pub mod ctxt;
pub mod expand;
pub mod parse;
pub mod raw;
pub mod script_fn;
pub mod suggest;
pub mod tokens;
pub mod word;

use ctxt::Ctxt;
use parse::{HoleSpec, Parser};
use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::quote;
use stevedore_core::ir::Block;
use stevedore_core::render::render;
use tokens::Cursor;

/// Splits the leading `(path)` that names the runtime crate (the `stevedore` wrapper macros pass
/// `($crate)`); without it the path is `::stevedore`.
pub fn split_crate_path(input: TokenStream) -> (TokenStream, TokenStream) {
    let mut iter = input.clone().into_iter();
    if let Some(TokenTree::Group(g)) = iter.next()
        && g.delimiter() == Delimiter::Parenthesis
    {
        return (g.stream(), iter.collect());
    }
    (quote!(::stevedore), input)
}

/// Parses the body of a `script!` into IR with holes.
pub fn parse_script(body: TokenStream, cx: &mut Ctxt) -> (Block, Vec<HoleSpec>) {
    let mut p = Parser::new(cx);
    let block = p.block(&mut Cursor::new(body, Span::call_site()));
    (block, p.holes)
}

/// Expands `script!{ ... }` (input: optional `(crate path)` then the script).
pub fn script(input: TokenStream) -> TokenStream {
    let (krate, body) = split_crate_path(input);
    let mut cx = Ctxt::new();
    let (block, holes) = parse_script(body, &mut cx);
    if cx.has_errors() {
        return expand::fallback(&krate, cx.to_compile_errors(), &holes);
    }
    match render(&block) {
        Ok(rendered) => expand::expand_rendered(&krate, &rendered, &holes),
        Err(e) => {
            cx.error(Span::call_site(), e);
            expand::fallback(&krate, cx.to_compile_errors(), &holes)
        }
    }
}

/// Expands `script_fn!{ ... }` (input: optional `(crate path)` then function items).
pub fn script_fn(input: TokenStream) -> TokenStream {
    let (krate, body) = split_crate_path(input);
    script_fn::expand(&krate, body)
}
