//! Collects every error of one macro call so they are all reported at once (serde_derive's
//! `Ctxt`): parsing goes on after an error, and the expansion emits all of them together.

use proc_macro2::{Span, TokenStream};
use std::fmt::Display;

/// The errors found so far.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// No errors yet.
    pub fn new() -> Ctxt {
        Ctxt::default()
    }

    /// Records an error at `span`.
    pub fn error(&mut self, span: Span, msg: impl Display) {
        self.errors.push(syn::Error::new(span, msg));
    }

    /// Records an already built error.
    pub fn push(&mut self, e: syn::Error) {
        self.errors.push(e);
    }

    /// Were there errors?
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The errors as `compile_error!` invocations (empty when there are none).
    pub fn to_compile_errors(&self) -> TokenStream {
        self.errors.iter().map(syn::Error::to_compile_error).collect()
    }

    /// The error messages (for tests).
    pub fn messages(&self) -> Vec<String> {
        self.errors.iter().map(|e| e.to_string()).collect()
    }
}
