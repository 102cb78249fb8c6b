//! `script_fn!`: shell functions with one arm per OS family (or family group), package manager,
//! init system or user-management flavour.
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
//! Every arm is parsed and rendered at compile time. All arms of a function name one axis (the
//! names come from `stevedore_core::os`); these are compile errors, each at the offending name:
//!
//! - a name on no axis, or on another axis than the function's first name;
//! - a name given twice (a family, a group, a package manager...);
//! - two family groups that share a family (`rhel_like` and `el`), even in one arm;
//! - without `_`: a value of the axis that no arm covers (a group arm covers its members), at
//!   the function's name, listing the missing ones;
//! - a second `_`, or `_` sharing an arm with names.
//!
//! A family's own arm beats a group arm that covers it. The generated function returns a
//! `Script` that picks its arm when rendered for a node's OS.

use crate::ctxt::Ctxt;
use crate::expand;
use crate::parse::{HoleSpec, Parser};
use crate::suggest::hint;
use crate::tokens::{Cursor, ident_text};
use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use stevedore_core::os::{Axis, FamilyGroup, Selector};
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
                                    "unknown OS family, family group, package manager, init system or \
                                     user-management flavour `{text}`{}",
                                    hint(&text, Selector::all_names())
                                ),
                            );
                            ok = false;
                        }
                    }
                }
                None => {
                    cx.error(c.span(), "expected an arm name (`apt`, `debian`, `rhel_like`, `systemd`, ... or `_`)");
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
    let mut groups: Vec<FamilyGroup> = Vec::new();
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
                        s.describe_with_article(),
                        first.describe_with_article()
                    ),
                ),
                Some(_) => {}
            }
            if seen.contains(&s) {
                cx.error(span, format!("`{s}` already has an arm"));
                continue;
            }
            if let Selector::Group(g) = s {
                for &other in &groups {
                    let shared: Vec<&str> =
                        g.members().into_iter().filter(|f| f.in_group(other)).map(|f| f.name()).collect();
                    if !shared.is_empty() {
                        cx.error(
                            span,
                            format!(
                                "family group `{g}` overlaps `{other}` (both cover {}): a family may fall under one \
                                 group arm only; list the families of one of the groups instead",
                                shared.join(", ")
                            ),
                        );
                    }
                }
                groups.push(g);
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
        let covered: Vec<&str> = seen.iter().flat_map(|s| s.covers()).map(Selector::name).collect();
        let missing: Vec<&str> = axis.names().into_iter().filter(|n| !covered.contains(n)).collect();
        if !missing.is_empty() {
            cx.error(
                item.name.span(),
                if missing.len() == 1 {
                    format!(
                        "script function `{}` has no arm for this {}: {}; add an arm for it or a `_` arm",
                        item.name,
                        axis.describe(),
                        missing[0]
                    )
                } else {
                    format!(
                        "script function `{}` has no arm for these {}: {}; add arms for them or a `_` arm",
                        item.name,
                        axis.describe_plural(),
                        missing.join(", ")
                    )
                },
            );
        }
    }
    Some(axis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// The error messages of one `script_fn!` item with `arms` as its body.
    fn errors(arms: &str) -> Vec<String> {
        let item: FnItem = syn::parse2(TokenStream::from_str(&format!("fn f() {{ {arms} }}")).unwrap()).unwrap();
        let mut cx = Ctxt::new();
        let parsed = parse_arms(&item, &mut cx);
        check_arms(&item, &parsed, &mut cx);
        cx.messages()
    }

    #[test]
    fn groups_cover_their_members() {
        assert_eq!(
            errors("debian_like => { a; } rhel_like => { b; } suse_like | arch_like | alpine_like => { c; }"),
            Vec::<String>::new()
        );
        // A family's own arm next to its group's is allowed (it wins when rendered).
        assert_eq!(errors("rhel => { a; } rhel_like => { b; } _ => { c; }"), Vec::<String>::new());
        let missing = errors("debian_like => { a; } el => { b; }");
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert!(missing[0].starts_with("script function `f` has no arm for these OS families: "), "{missing:?}");
        for f in stevedore_core::os::Family::ALL {
            let covered = f.in_group(FamilyGroup::DebianLike) || f.in_group(FamilyGroup::El);
            assert_eq!(missing[0].contains(&format!(" {f},")) || missing[0].contains(&format!(" {f};")), !covered);
        }
    }

    #[test]
    fn overlapping_groups_and_repeated_names_are_errors() {
        let e = errors("rhel_like => { a; } el => { b; } _ => { c; }");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("family group `el` overlaps `rhel_like` (both cover rhel, "), "{e:?}");
        let e = errors("rhel_like | el => { a; } _ => { c; }");
        assert!(e[0].starts_with("family group `el` overlaps `rhel_like`"), "{e:?}");
        assert_eq!(errors("debian => { a; } debian | ubuntu => { b; } _ => { c; }"), ["`debian` already has an arm"]);
        assert_eq!(errors("el => { a; } el => { b; } _ => { c; }"), ["`el` already has an arm"]);
        assert_eq!(
            errors("rhel_like => { a; } apt => { b; } _ => { c; }"),
            ["`apt` is a package manager but `rhel_like` is an OS family group: all arms of one script function \
                 dispatch on one axis"]
        );
    }

    #[test]
    fn user_management_is_an_axis() {
        assert_eq!(errors("shadow => { a; } shadow_short => { b; } busybox => { c; }"), Vec::<String>::new());
        assert_eq!(
            errors("shadow | shadow_short => { a; }"),
            [
                "script function `f` has no arm for this user-management flavour: busybox; add an arm for it or a `_` arm"
            ]
        );
    }
}
