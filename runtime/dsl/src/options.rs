//! `key = value, ...` option lists, the common syntax of the spec macros (Pallet's keyword
//! options), with duplicate and unknown-key checks. A value in braces is a nested option list.

use proc_macro2::Span;
use stevedore_dsl::ctxt::Ctxt;
use stevedore_dsl::suggest::hint;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token, braced, token};

/// An option's value.
pub enum Value {
    /// `{ key = value, ... }`.
    Nested(Opts, Span),
    /// Any other Rust expression.
    Expr(Expr),
}

impl Value {
    /// Where the value is.
    pub fn span(&self) -> Span {
        match self {
            Value::Nested(_, s) => *s,
            Value::Expr(e) => span_of(e),
        }
    }
}

/// One `key = value`, or `custom key = value` (the marker of a custom phase whose name is
/// close to a standard one).
pub struct Opt {
    /// The `custom` marker, when written.
    pub custom: Option<Ident>,
    /// The key.
    pub key: Ident,
    /// The value.
    pub value: Value,
}

impl Parse for Opt {
    fn parse(input: ParseStream) -> syn::Result<Opt> {
        let mut key: Ident = input.parse()?;
        let mut custom = None;
        if key == "custom" && input.peek(Ident) {
            custom = Some(key);
            key = input.parse()?;
        }
        input.parse::<Token![=]>()?;
        let value = if input.peek(token::Brace) {
            let content;
            let b = braced!(content in input);
            Value::Nested(content.parse()?, b.span.join())
        } else {
            Value::Expr(input.parse()?)
        };
        Ok(Opt { custom, key, value })
    }
}

/// A comma-separated option list.
pub struct Opts(pub Vec<Opt>);

impl Parse for Opts {
    fn parse(input: ParseStream) -> syn::Result<Opts> {
        let list = Punctuated::<Opt, Token![,]>::parse_terminated(input)?;
        Ok(Opts(list.into_iter().collect()))
    }
}

impl Opts {
    /// Checks keys against `known`: an unknown key is an error with a "did you mean", a repeated
    /// key an error at its second occurrence. Returns the options with known, first-seen keys.
    pub fn checked<'a>(&'a self, what: &str, known: &[&str], cx: &mut Ctxt) -> Vec<&'a Opt> {
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for o in &self.0 {
            let k = o.key.to_string();
            if let Some(c) = &o.custom {
                cx.error(c.span(), "`custom` marks a key of `phases = { ... }` only");
            }
            if !known.contains(&k.as_str()) {
                cx.error(
                    o.key.span(),
                    format!(
                        "unknown {what} option `{k}`{}; expected one of: {}",
                        hint(&k, known.iter().copied()),
                        known.join(", ")
                    ),
                );
                continue;
            }
            if seen.contains(&k) {
                cx.error(o.key.span(), format!("duplicate {what} option `{k}`"));
                continue;
            }
            seen.push(k);
            out.push(o);
        }
        out
    }
}

/// The span of an expression.
pub fn span_of(e: &Expr) -> Span {
    syn::spanned::Spanned::span(e)
}

impl Opt {
    /// The nested options, or an error saying the key takes them.
    pub fn nested(&self, cx: &mut Ctxt) -> Option<&Opts> {
        match &self.value {
            Value::Nested(o, _) => Some(o),
            Value::Expr(e) => {
                cx.error(span_of(e), format!("`{}` takes `{{ key = value, ... }}`", self.key));
                None
            }
        }
    }

    /// The expression, or an error saying the key takes one.
    pub fn expr(&self, cx: &mut Ctxt) -> Option<&Expr> {
        match &self.value {
            Value::Expr(e) => Some(e),
            Value::Nested(_, s) => {
                cx.error(*s, format!("`{}` takes a value, not `{{ ... }}`", self.key));
                None
            }
        }
    }

    /// The items of a `[a, b, c]` value, or an error.
    pub fn list(&self, cx: &mut Ctxt) -> Option<Vec<&Expr>> {
        match self.expr(cx)? {
            Expr::Array(a) => Some(a.elems.iter().collect()),
            other => {
                cx.error(span_of(other), format!("`{}` takes a list: `[a, b, ...]`", self.key));
                None
            }
        }
    }

    /// The key as text.
    pub fn name(&self) -> String {
        self.key.to_string()
    }
}

/// An integer literal, possibly negated: `(value, negative)`.
pub fn int_literal(e: &Expr) -> Option<(syn::LitInt, bool)> {
    match e {
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => Some((i.clone(), false)),
        Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. }) => match &**expr {
            Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => Some((i.clone(), true)),
            _ => None,
        },
        _ => None,
    }
}

/// The kind of literal `e` is, if it is one.
pub fn literal_kind(e: &Expr) -> Option<&'static str> {
    match e {
        Expr::Lit(l) => Some(match &l.lit {
            syn::Lit::Str(_) => "a string",
            syn::Lit::Int(_) => "an integer",
            syn::Lit::Float(_) => "a float",
            syn::Lit::Bool(_) => "a boolean",
            syn::Lit::Char(_) => "a character",
            _ => "a literal",
        }),
        Expr::Array(_) => Some("a list"),
        Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. }) if matches!(**expr, Expr::Lit(_)) => {
            Some("a negative number")
        }
        _ => None,
    }
}

/// Records "`key` expects X, found Y" when `e` is a literal whose kind is not in `allowed`.
pub fn expect_kind(e: &Expr, key: &str, expected: &str, allowed: &[&str], cx: &mut Ctxt) -> bool {
    match literal_kind(e) {
        Some(k) if !allowed.contains(&k) => {
            cx.error(span_of(e), format!("`{key}` expects {expected}, found {k}"));
            false
        }
        _ => true,
    }
}
