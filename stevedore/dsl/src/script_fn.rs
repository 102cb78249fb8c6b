//! `script_fn!`: shell functions with one arm per OS family, package manager or init system.
//!
//! ```text
//! script_fn! {
//!     /// docs
//!     pub fn install_package(name: &str) {
//!         apt => { apt-get install -q -y #name; }
//!         dnf | yum => { ... }
//!         _ => { ... }            // optional default
//!     }
//!     ... more functions
//! }
//! ```
//! Every arm is parsed and rendered at compile time. All arms of a function name one axis; a
//! function without `_` must cover every name on its axis, or compilation fails naming the
//! missing ones. The generated function returns a `Script` that picks its arm when rendered for a
//! node's OS.

use crate::ctxt::Ctxt;
use crate::expand;
use crate::parse::{HoleSpec, Parser};
use crate::suggest::hint;
use crate::tokens::{Cursor, ident_text};
use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use stevedore_core::os::{Axis, Selector};
use stevedore_core::render::render;
use syn::Token;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;

/// One function item as written.
pub struct FnItem {
    attrs: Vec<syn::Attribute>,
    vis: syn::Visibility,
    name: Ident,
    args: Punctuated<(syn::Pat, syn::Type), Token![,]>,
    body: Group,
}

struct Items(Vec<FnItem>);

impl Parse for Items {
    fn parse(input: ParseStream) -> syn::Result<Items> {
        let mut items = Vec::new();
        while !input.is_empty() {
            items.push(input.parse()?);
        }
        Ok(Items(items))
    }
}

impl Parse for FnItem {
    fn parse(input: ParseStream) -> syn::Result<FnItem> {
        let attrs = input.call(syn::Attribute::parse_outer)?;
        let vis: syn::Visibility = input.parse()?;
        input.parse::<Token![fn]>()?;
        let name: Ident = input.parse()?;
        if input.peek(Token![<]) {
            return Err(input.error("script functions take no generic parameters"));
        }
        let content;
        syn::parenthesized!(content in input);
        let args = content.parse_terminated(
            |s: ParseStream| {
                let pat = syn::Pat::parse_single(s)?;
                s.parse::<Token![:]>()?;
                let ty: syn::Type = s.parse()?;
                Ok((pat, ty))
            },
            Token![,],
        )?;
        if input.peek(Token![->]) {
            return Err(input.error("script functions always return `Script`; leave out the return type"));
        }
        let body = match input.parse::<TokenTree>()? {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => g,
            other => return Err(syn::Error::new(other.span(), "expected `{` with the arms (`apt => { ... }`)")),
        };
        Ok(FnItem { attrs, vis, name, args, body })
    }
}

struct Arm {
    selectors: Vec<(Selector, Span)>,
    default: bool,
    block: stevedore_core::ir::Block,
    holes: Vec<HoleSpec>,
    span: Span,
}

/// Expands the items of a `script_fn!` call.
pub fn expand(krate: &TokenStream, input: TokenStream) -> TokenStream {
    let items = match syn::parse2::<Items>(input) {
        Ok(i) => i.0,
        Err(e) => return e.to_compile_error(),
    };
    items.iter().map(|item| expand_item(krate, item)).collect()
}

fn expand_item(krate: &TokenStream, item: &FnItem) -> TokenStream {
    let mut cx = Ctxt::new();
    let arms = parse_arms(item, &mut cx);
    let axis = check_arms(item, &arms, &mut cx);
    let FnItem { attrs, vis, name, args, .. } = item;
    let pats = args.iter().map(|(p, _)| p);
    let tys = args.iter().map(|(_, t)| t);
    let signature = quote!(#(#attrs)* #vis fn #name(#(#pats: #tys),*) -> #krate::Script);
    let mut arm_exprs = Vec::new();
    if !cx.has_errors() {
        for arm in &arms {
            match render(&arm.block) {
                Ok(r) => arm_exprs.push(expand::expand_rendered(krate, &r, &arm.holes)),
                Err(e) => cx.error(arm.span, e),
            }
        }
    }
    if cx.has_errors() {
        let errors = cx.to_compile_errors();
        return quote! {
            #[allow(unused_variables)]
            #signature {
                #errors
                #krate::Script::new()
            }
        };
    }
    let axis = axis.expect("no errors means an axis");
    let axis_ident = format_ident!("{}", format!("{axis:?}"));
    let private = quote!(#krate::__private);
    let name_str = name.to_string();
    let mut entries = Vec::new();
    let mut default = quote!(::core::option::Option::None);
    for (arm, expr) in arms.iter().zip(arm_exprs) {
        if arm.default {
            default = quote!(::core::option::Option::Some(#expr));
            continue;
        }
        let sels = arm.selectors.iter().map(|(s, _)| {
            let (sel, en, var) = s.rust_path();
            let (sel, en, var) = (format_ident!("{sel}"), format_ident!("{en}"), format_ident!("{var}"));
            quote!(#private::Selector::#sel(#private::#en::#var))
        });
        entries.push(quote!((::std::vec![#(#sels),*], #expr)));
    }
    quote! {
        #signature {
            #private::dispatch(#name_str, #private::Axis::#axis_ident, ::std::vec![#(#entries),*], #default)
        }
    }
}

fn parse_arms(item: &FnItem, cx: &mut Ctxt) -> Vec<Arm> {
    let mut c = Cursor::of_group(&item.body);
    let mut arms = Vec::new();
    while !c.at_end() {
        let start = c.span();
        let mut selectors = Vec::new();
        let mut default = false;
        let mut ok = true;
        loop {
            match c.ident() {
                Some(i) if i == "_" => default = true,
                Some(i) => {
                    let text = ident_text(&i);
                    match Selector::from_name(&text) {
                        Some(s) => selectors.push((s, i.span())),
                        None => {
                            cx.error(
                                i.span(),
                                format!(
                                    "unknown OS family, package manager or init system `{text}`{}",
                                    hint(&text, Selector::all_names())
                                ),
                            );
                            ok = false;
                        }
                    }
                }
                None => {
                    cx.error(c.span(), "expected an arm name (`apt`, `debian`, `systemd`, ... or `_`)");
                    return arms;
                }
            }
            if c.punct('|').is_some() {
                continue;
            }
            break;
        }
        if !c.is_op2('=', '>') {
            cx.error(c.span(), "expected `=>` after the arm name");
            return arms;
        }
        c.bump();
        c.bump();
        let Some(g) = c.group(Delimiter::Brace) else {
            cx.error(c.span(), "expected `{` with the arm's script");
            return arms;
        };
        c.punct(',');
        let mut p = Parser::new(cx);
        let block = p.block(&mut Cursor::of_group(&g));
        let holes = p.holes;
        if default && !selectors.is_empty() {
            cx.error(start, "`_` must be an arm of its own");
            ok = false;
        }
        if ok {
            arms.push(Arm { selectors, default, block, holes, span: g.span() });
        }
    }
    arms
}

fn check_arms(item: &FnItem, arms: &[Arm], cx: &mut Ctxt) -> Option<Axis> {
    let mut axis: Option<(Axis, Selector)> = None;
    let mut seen: Vec<Selector> = Vec::new();
    let mut has_default = false;
    for arm in arms {
        if arm.default {
            if has_default {
                cx.error(arm.span, "a second `_` arm");
            }
            has_default = true;
            continue;
        }
        for &(s, span) in &arm.selectors {
            match axis {
                None => axis = Some((s.axis(), s)),
                Some((a, first)) if a != s.axis() => cx.error(
                    span,
                    format!(
                        "`{s}` is {} but `{first}` is {}: all arms of one script function dispatch on one axis",
                        s.axis().describe_with_article(),
                        a.describe_with_article()
                    ),
                ),
                Some(_) => {}
            }
            if seen.contains(&s) {
                cx.error(span, format!("`{s}` already has an arm"));
            }
            seen.push(s);
        }
    }
    let Some((axis, _)) = axis else {
        if !cx.has_errors() {
            cx.error(item.name.span(), format!("script function `{}` needs at least one named arm", item.name));
        }
        return None;
    };
    if !has_default {
        let missing: Vec<&str> = axis.names().into_iter().filter(|n| !seen.iter().any(|s| s.name() == *n)).collect();
        if !missing.is_empty() {
            cx.error(
                item.name.span(),
                format!(
                    "script function `{}` has no arm for {}: {}; add arms for them or a `_` arm",
                    item.name,
                    if missing.len() == 1 { "this " } else { "these " }.to_string()
                        + axis.describe()
                        + if missing.len() == 1 { "" } else { "s" },
                    missing.join(", ")
                ),
            );
        }
    }
    Some(axis)
}
