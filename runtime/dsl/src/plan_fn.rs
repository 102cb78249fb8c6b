//! `plan_fn!`: plan functions with Pallet-style named options on action calls.
//!
//! ```text
//! plan_fn! {
//!     /// docs
//!     pub fn web_server(ctx [, extra: Type, ...]) {
//!         package("nginx");
//!         remote_file("/etc/nginx/site", content = text, owner = "www-data", mode = 0o644);
//!     }
//! }
//! ```
//! expands to `pub fn web_server(ctx: &mut Plan<'_> [, extra: Type, ...])` whose expression
//! statements are recorded in the plan: every statement's value goes through `Plan::record`
//! (actions are added, `()` is ignored), in nested blocks too (`if`, `for`, `while`, `match`).
//! A call with trailing `name = value` arguments becomes builder calls:
//! `f(a, k = v)` → `f(a).k(v)`, so an unknown option is the compiler's "no method named" error
//! (with its "similar name" suggestion) at the option's name, and a wrong type its type error
//! at the value. A repeated option is reported here.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use stevedore_dsl::ctxt::Ctxt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Token};

/// A parsed `plan_fn!` item.
pub struct PlanFnItem {
    attrs: Vec<syn::Attribute>,
    vis: syn::Visibility,
    name: Ident,
    ctx: Ident,
    extra: Vec<(syn::Pat, syn::Type)>,
    body: syn::Block,
}

impl Parse for PlanFnItem {
    fn parse(input: ParseStream) -> syn::Result<PlanFnItem> {
        let attrs = input.call(syn::Attribute::parse_outer)?;
        let vis: syn::Visibility = input.parse()?;
        input.parse::<Token![fn]>()?;
        let name: Ident = input.parse()?;
        let content;
        syn::parenthesized!(content in input);
        let ctx: Ident = content.parse().map_err(|e| {
            syn::Error::new(e.span(), "a plan function's first parameter is the plan's name, e.g. `ctx`")
        })?;
        if content.peek(Token![:]) {
            return Err(content.error("the plan parameter has no type: it is `&mut Plan`; write just its name"));
        }
        let mut extra = Vec::new();
        if content.peek(Token![,]) {
            content.parse::<Token![,]>()?;
            let rest = Punctuated::<(syn::Pat, syn::Type), Token![,]>::parse_terminated_with(&content, |s| {
                let pat = syn::Pat::parse_single(s)?;
                s.parse::<Token![:]>()?;
                let ty: syn::Type = s.parse()?;
                Ok((pat, ty))
            })?;
            extra = rest.into_iter().collect();
        }
        if input.peek(Token![->]) {
            return Err(input.error("plan functions return nothing: they record actions in the plan"));
        }
        let body: syn::Block = input.parse()?;
        Ok(PlanFnItem { attrs, vis, name, ctx, extra, body })
    }
}

struct Items(Vec<PlanFnItem>);

impl Parse for Items {
    fn parse(input: ParseStream) -> syn::Result<Items> {
        let mut v = Vec::new();
        while !input.is_empty() {
            v.push(input.parse()?);
        }
        Ok(Items(v))
    }
}

/// Expands a `plan_fn!` call.
pub fn plan_fn(krate: &TokenStream, input: TokenStream) -> TokenStream {
    let items = match syn::parse2::<Items>(input) {
        Ok(i) => i.0,
        Err(e) => return e.to_compile_error(),
    };
    items.into_iter().map(|i| expand(krate, i)).collect()
}

fn expand(krate: &TokenStream, mut item: PlanFnItem) -> TokenStream {
    let mut cx = Ctxt::new();
    let mut rewriter = Rewriter { ctx: item.ctx.clone(), cx: &mut cx, depth: 0 };
    rewriter.visit_block_mut(&mut item.body);
    let PlanFnItem { attrs, vis, name, ctx, extra, body } = item;
    let pats = extra.iter().map(|(p, _)| p);
    let tys = extra.iter().map(|(_, t)| t);
    let errors = cx.to_compile_errors();
    quote! {
        #(#attrs)*
        #vis fn #name(#ctx: &mut #krate::plan::Plan<'_>, #(#pats: #tys),*) {
            #errors
            #body
        }
    }
}

struct Rewriter<'a> {
    ctx: Ident,
    cx: &'a mut Ctxt,
    /// Closure nesting: statements inside closures are not plan statements.
    depth: usize,
}

impl Rewriter<'_> {
    /// `f(a, k = v, ...)` → `f(a).k(v)...`
    fn named_args(&mut self, e: &mut Expr) {
        let (args, span) = match e {
            Expr::Call(c) => (&mut c.args, c.paren_token.span.join()),
            Expr::MethodCall(m) => (&mut m.args, m.paren_token.span.join()),
            _ => return,
        };
        let first_named = args.iter().position(|a| matches!(a, Expr::Assign(_)));
        let Some(first) = first_named else { return };
        let all: Vec<Expr> = std::mem::take(args).into_iter().collect();
        let (positional, named) = all.split_at(first);
        for p in positional {
            args.push(p.clone());
        }
        let mut chain: Vec<(Ident, Expr)> = Vec::new();
        for n in named {
            match n {
                Expr::Assign(a) => match &*a.left {
                    Expr::Path(p) if p.path.get_ident().is_some() => {
                        let key = p.path.get_ident().expect("checked").clone();
                        if chain.iter().any(|(k, _)| *k == key) {
                            self.cx.error(key.span(), format!("duplicate option `{key}`"));
                            continue;
                        }
                        chain.push((key, (*a.right).clone()));
                    }
                    other => self.cx.error(
                        syn::spanned::Spanned::span(other),
                        "a named option is `name = value` with a plain name",
                    ),
                },
                other => self.cx.error(
                    syn::spanned::Spanned::span(other),
                    "positional arguments come before named options (`name = value`)",
                ),
            }
        }
        let _ = span;
        let base = e.clone();
        let mut out = quote!(#base);
        for (k, v) in chain {
            out = quote_spanned!(k.span()=> #out.#k(#v));
        }
        *e = syn::parse2(out).expect("a method chain is an expression");
    }
}

impl VisitMut for Rewriter<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Expr::Closure(_) = e {
            self.depth += 1;
            visit_mut::visit_expr_mut(self, e);
            self.depth -= 1;
            return;
        }
        visit_mut::visit_expr_mut(self, e);
        self.named_args(e);
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {
        // Nested items (fns, structs) are not part of the plan.
    }

    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        for s in &mut b.stmts {
            self.visit_stmt_mut(s);
        }
        if self.depth > 0 {
            return;
        }
        let ctx = self.ctx.clone();
        let n = b.stmts.len();
        for (i, s) in b.stmts.iter_mut().enumerate() {
            let syn::Stmt::Expr(e, semi) = s else { continue };
            // Control flow is walked into, not recorded; so are plain blocks.
            if matches!(
                e,
                Expr::If(_)
                    | Expr::ForLoop(_)
                    | Expr::While(_)
                    | Expr::Loop(_)
                    | Expr::Match(_)
                    | Expr::Block(_)
                    | Expr::Return(_)
                    | Expr::Break(_)
                    | Expr::Continue(_)
                    | Expr::Macro(_)
                    | Expr::Assign(_)
            ) {
                continue;
            }
            if semi.is_none() && i + 1 != n {
                continue;
            }
            let span = syn::spanned::Spanned::span(&*e);
            let value = Ident::new("__pallet_value", Span::mixed_site());
            let wrapped = quote_spanned! {span=>
                {
                    let #value = #e;
                    #ctx.record(#value);
                }
            };
            *e = syn::parse2(wrapped).expect("a block expression");
            *semi = None;
        }
    }
}
