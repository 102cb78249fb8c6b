//! `node_spec!`, `server_spec!`, `group_spec!` and `cluster_spec!`: Pallet's keyword options,
//! checked at compile time, expanded to builder calls on the spec types.

use crate::options::{Opt, Opts, expect_kind, int_literal, literal_kind, span_of};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use stevedore_core::os::{Family, Packager};
use stevedore_dsl::ctxt::Ctxt;
use stevedore_dsl::suggest::hint;
use syn::Expr;

const NODE_SPEC: &[&str] = &["image", "hardware", "location", "network", "qos"];
const IMAGE: &[&str] = &["os_family", "os_version_matches", "image_id", "login_user", "login_key"];
const HARDWARE: &[&str] = &["min_cores", "min_ram", "smallest", "fastest", "biggest", "hardware_id"];
const LOCATION: &[&str] = &["location_id"];
const NETWORK: &[&str] = &["inbound_ports"];
const QOS: &[&str] = &["spot_price", "enable_monitoring"];
const SERVER_SPEC: &[&str] = &["phases", "phases_meta", "default_phases", "roles", "node_spec", "packager", "extends"];
const GROUP_SPEC: &[&str] = &[
    "name",
    "count",
    "node_filter",
    "phases",
    "phases_meta",
    "default_phases",
    "roles",
    "node_spec",
    "packager",
    "extends",
];
const CLUSTER_SPEC: &[&str] = &["name", "groups", "extends", "roles", "phases", "node_spec"];
const PHASE_META: &[&str] = &[
    "execute_and_flag",
    "execute_on_unflagged",
    "image_credentials",
    "serial",
    "partition",
    "concurrency",
    "max_fail_percentage",
];

/// The standard phases: Pallet's lifecycle phases and the phases the runtime itself knows.
/// A `phases` key close to one of these (a likely typo) needs the `custom` marker.
const STANDARD_PHASES: &[&str] = &["bootstrap", "settings", "configure", "install", "deploy", "restart"];

/// Checks the phase names of a server-spec option list: a `phases` key close to a standard phase
/// name needs `custom`; a name in `default_phases` or `phases_meta` must be a `phases` key or a
/// standard phase (or, with `extends`, may come from an extended spec unless it is close to a
/// known name, which makes it a likely typo); `custom` elsewhere is an error.
fn check_phase_names(opts: &[&Opt], cx: &mut Ctxt) {
    let has_extends = opts.iter().any(|o| o.name() == "extends");
    let mut defined: Vec<String> = STANDARD_PHASES.iter().map(|s| (*s).to_string()).collect();
    for o in opts {
        let (true, crate::options::Value::Nested(inner, _)) = (o.name() == "phases", &o.value) else { continue };
        for p in &inner.0 {
            let name = p.key.to_string();
            if p.custom.is_none()
                && !STANDARD_PHASES.contains(&name.as_str())
                && let Some(close) = stevedore_dsl::suggest::did_you_mean(&name, STANDARD_PHASES.iter().copied())
            {
                cx.error(
                    p.key.span(),
                    format!(
                        "phase `{name}` is not a standard phase; did you mean `{close}`? (for a custom phase of this name, write `custom {name} = ...`)"
                    ),
                );
            }
            defined.push(name);
        }
    }
    let check = |name: &str, span: Span, where_: &str, cx: &mut Ctxt| {
        if defined.iter().any(|d| d == name) {
            return;
        }
        let close = stevedore_dsl::suggest::did_you_mean(name, defined.iter().map(String::as_str));
        match close {
            Some(c) => cx.error(
                span,
                format!("{where_} names phase `{name}`, which no `phases` entry defines; did you mean `{c}`?"),
            ),
            None if !has_extends => cx.error(
                span,
                format!(
                    "{where_} names phase `{name}`, which no `phases` entry defines; phases: {}",
                    defined.join(", ")
                ),
            ),
            None => {}
        }
    };
    for o in opts {
        match (o.name().as_str(), &o.value) {
            ("default_phases", crate::options::Value::Expr(Expr::Array(a))) => {
                for e in &a.elems {
                    if let Some((n, span)) = name_of(e, "a phase", &mut Ctxt::new()) {
                        check(&n, span, "`default_phases`", cx);
                    }
                }
            }
            ("phases_meta", crate::options::Value::Nested(inner, _)) => {
                for p in &inner.0 {
                    check(&p.key.to_string(), p.key.span(), "`phases_meta`", cx);
                }
            }
            _ => {}
        }
    }
}

/// Parses `input` as options, or returns the parse error as tokens.
fn parse(input: TokenStream) -> Result<Opts, TokenStream> {
    syn::parse2::<Opts>(input).map_err(|e| e.to_compile_error())
}

fn finish(cx: Ctxt, ok: TokenStream, fallback: TokenStream) -> TokenStream {
    if cx.has_errors() {
        let errors = cx.to_compile_errors();
        quote! { { #errors #fallback } }
    } else {
        ok
    }
}

/// `node_spec! { ... }`.
pub fn node_spec(krate: &TokenStream, input: TokenStream) -> TokenStream {
    let opts = match parse(input) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let mut cx = Ctxt::new();
    let calls = node_spec_calls(krate, &opts, &mut cx);
    let ok = quote! { #krate::spec::NodeSpec::new() #(#calls)* };
    finish(cx, ok, quote!(#krate::spec::NodeSpec::new()))
}

fn node_spec_calls(krate: &TokenStream, opts: &Opts, cx: &mut Ctxt) -> Vec<TokenStream> {
    let mut calls = Vec::new();
    for o in opts.checked("node_spec", NODE_SPEC, cx) {
        let Some(inner) = o.nested(cx) else { continue };
        match o.name().as_str() {
            "image" => {
                for i in inner.checked("image", IMAGE, cx) {
                    let Some(v) = i.expr(cx) else { continue };
                    let key = &i.key;
                    match key.to_string().as_str() {
                        "os_family" => {
                            if let Some(f) = os_family(krate, v, cx) {
                                calls.push(quote!(.os_family(#f)));
                            }
                        }
                        _ => {
                            expect_kind(v, &key.to_string(), "a string", &["a string"], cx);
                            calls.push(quote_spanned!(span_of(v)=> .#key(#v)));
                        }
                    }
                }
            }
            "hardware" => {
                for h in inner.checked("hardware", HARDWARE, cx) {
                    let Some(v) = h.expr(cx) else { continue };
                    let key = h.name();
                    match key.as_str() {
                        "min_cores" | "min_ram" => {
                            if let Some(n) = non_negative(v, &key, cx) {
                                let m = if key == "min_ram" {
                                    format_ident!("min_ram_mib")
                                } else {
                                    format_ident!("min_cores")
                                };
                                calls.push(quote_spanned!(span_of(v)=> .#m(#n)));
                            }
                        }
                        "smallest" | "fastest" | "biggest" => {
                            if expect_kind(v, &key, "`true`", &["a boolean"], cx) {
                                let pref = match key.as_str() {
                                    "smallest" => format_ident!("Smallest"),
                                    "fastest" => format_ident!("Fastest"),
                                    _ => format_ident!("Biggest"),
                                };
                                calls.push(quote_spanned!(span_of(v)=> .hardware_preference(#krate::spec::HardwarePreference::#pref)));
                            }
                        }
                        _ => {
                            let key = &h.key;
                            calls.push(quote_spanned!(span_of(v)=> .#key(#v)));
                        }
                    }
                }
            }
            "location" => {
                for l in inner.checked("location", LOCATION, cx) {
                    let Some(v) = l.expr(cx) else { continue };
                    expect_kind(v, "location_id", "a string", &["a string"], cx);
                    calls.push(quote_spanned!(span_of(v)=> .location_id(#v)));
                }
            }
            "network" => {
                for n in inner.checked("network", NETWORK, cx) {
                    let Some(items) = n.list(cx) else { continue };
                    let mut ports = Vec::new();
                    for p in items {
                        match int_literal(p) {
                            Some((i, neg)) => match i.base10_parse::<u64>() {
                                Ok(v) if !neg && (1..=65535).contains(&v) => ports.push(quote_spanned!(i.span()=> #i)),
                                _ => cx.error(
                                    i.span(),
                                    format!("port {}{} is outside 1..=65535", if neg { "-" } else { "" }, i),
                                ),
                            },
                            None => {
                                if let Some(k) = literal_kind(p) {
                                    cx.error(span_of(p), format!("a port is an integer in 1..=65535, found {k}"));
                                } else {
                                    ports.push(quote!(#p));
                                }
                            }
                        }
                    }
                    calls.push(quote!(.inbound_ports([#(#ports),*])));
                }
            }
            "qos" => {
                for q in inner.checked("qos", QOS, cx) {
                    let Some(v) = q.expr(cx) else { continue };
                    let key = &q.key;
                    match key.to_string().as_str() {
                        "spot_price" => {
                            expect_kind(v, "spot_price", "a price in dollars per hour", &["a float", "an integer"], cx);
                            calls.push(quote_spanned!(span_of(v)=> .spot_price(#v)));
                        }
                        _ => {
                            expect_kind(v, "enable_monitoring", "a boolean", &["a boolean"], cx);
                            calls.push(quote_spanned!(span_of(v)=> .enable_monitoring(#v)));
                        }
                    }
                }
            }
            _ => unreachable!("checked"),
        }
    }
    calls
}

/// A name of one of the OS enums (`Family`, `Packager`) written as an identifier, case
/// insensitive (`Debian`, `debian`): the path to its variant, or an error with a "did you mean".
/// A value that is not a plain name is left to the type checker when `other_exprs` is set.
fn os_name(
    krate: &TokenStream,
    v: &Expr,
    cx: &mut Ctxt,
    what: &str,
    enum_name: &str,
    variants: &[&'static str],
    other_exprs: bool,
) -> Option<TokenStream> {
    let Expr::Path(p) = v else {
        if other_exprs {
            return Some(quote!(#v));
        }
        cx.error(span_of(v), format!("expected {what} name: {}", variants.join(", ")));
        return None;
    };
    let last = p.path.segments.last()?.ident.to_string();
    match variants.iter().find(|n| n.eq_ignore_ascii_case(&last)) {
        Some(n) => {
            let (en, var) = (format_ident!("{enum_name}"), format_ident!("{n}", span = span_of(v)));
            Some(quote!(#krate::__private::#en::#var))
        }
        None => {
            cx.error(
                span_of(v),
                format!(
                    "unknown {what} `{last}`{}; expected one of: {}",
                    hint(&last, variants.iter().copied()),
                    variants.join(", ")
                ),
            );
            None
        }
    }
}

fn os_family(krate: &TokenStream, v: &Expr, cx: &mut Ctxt) -> Option<TokenStream> {
    let names: Vec<&'static str> = Family::ALL.iter().map(|f| f.variant()).collect();
    os_name(krate, v, cx, "OS family", "Family", &names, false)
}

fn packager(krate: &TokenStream, v: &Expr, cx: &mut Ctxt) -> Option<TokenStream> {
    let names: Vec<&'static str> = Packager::ALL.iter().map(|p| p.variant()).collect();
    os_name(krate, v, cx, "package manager", "Packager", &names, true)
}

/// A non-negative integer literal (or a non-literal expression, left to the type checker).
fn non_negative(v: &Expr, key: &str, cx: &mut Ctxt) -> Option<TokenStream> {
    match int_literal(v) {
        Some((_, true)) => {
            cx.error(span_of(v), format!("`{key}` must not be negative"));
            None
        }
        Some((i, false)) => Some(quote!(#i)),
        None => match literal_kind(v) {
            Some(k) => {
                cx.error(span_of(v), format!("`{key}` expects a non-negative integer, found {k}"));
                None
            }
            None => Some(quote!(#v)),
        },
    }
}

/// A name or string (`configure`, `"deploy"`).
fn name_of(e: &Expr, what: &str, cx: &mut Ctxt) -> Option<(String, Span)> {
    match e {
        Expr::Path(p) if p.path.get_ident().is_some() => Some((p.path.get_ident()?.to_string(), span_of(e))),
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some((s.value(), s.span())),
        other => {
            cx.error(span_of(other), format!("{what} is a name (`configure`) or a string (`\"configure\"`)"));
            None
        }
    }
}

/// Builder calls for the server-spec options (shared by server, group and cluster specs).
fn server_calls(krate: &TokenStream, o: &Opt, cx: &mut Ctxt) -> Vec<TokenStream> {
    let mut calls = Vec::new();
    match o.name().as_str() {
        "phases" => {
            let Some(inner) = o.nested(cx) else { return calls };
            let mut seen = Vec::new();
            for p in &inner.0 {
                let name = p.key.to_string();
                if seen.contains(&name) {
                    cx.error(p.key.span(), format!("duplicate phase `{name}`"));
                    continue;
                }
                seen.push(name.clone());
                let Some(f) = p.expr(cx) else { continue };
                calls.push(quote_spanned!(span_of(f)=> .phase(#name, #f)));
            }
        }
        "phases_meta" => {
            let Some(inner) = o.nested(cx) else { return calls };
            for p in &inner.0 {
                let phase = p.key.to_string();
                let Some(meta) = p.nested(cx) else { continue };
                let mut m = quote!(#krate::spec::PhaseMeta::new());
                for k in meta.checked("phase metadata", PHASE_META, cx) {
                    let Some(v) = k.expr(cx) else { continue };
                    let key = &k.key;
                    match k.name().as_str() {
                        "execute_and_flag" | "execute_on_unflagged" => {
                            expect_kind(v, &k.name(), "a flag name string", &["a string"], cx);
                            m = quote_spanned!(span_of(v)=> #m.#key(#v));
                        }
                        "image_credentials" => {
                            if expect_kind(v, "image_credentials", "a boolean", &["a boolean"], cx) {
                                m = quote_spanned!(span_of(v)=> if #v { #m.execute_with_image_credentials() } else { #m });
                            }
                        }
                        "serial" | "concurrency" => {
                            if let Some(n) = non_negative(v, &k.name(), cx) {
                                if matches!(int_literal(v), Some((ref i, false)) if i.base10_parse::<u64>().ok() == Some(0))
                                {
                                    cx.error(span_of(v), format!("`{}` must be at least 1", k.name()));
                                }
                                m = quote_spanned!(span_of(v)=> #m.#key(#n));
                            }
                        }
                        "max_fail_percentage" => {
                            if let Some(n) = non_negative(v, "max_fail_percentage", cx) {
                                if matches!(int_literal(v), Some((ref i, false)) if i.base10_parse::<u64>().is_ok_and(|p| p > 100))
                                {
                                    cx.error(span_of(v), "`max_fail_percentage` is a percentage: 0 to 100");
                                }
                                m = quote_spanned!(span_of(v)=> #m.max_fail_percentage(#n));
                            }
                        }
                        _ => m = quote_spanned!(span_of(v)=> #m.partition(#v)),
                    }
                }
                calls.push(quote!(.phase_meta(#phase, #m)));
            }
        }
        "default_phases" => {
            let Some(items) = o.list(cx) else { return calls };
            let names: Vec<String> = items.iter().filter_map(|e| name_of(e, "a phase", cx)).map(|(n, _)| n).collect();
            calls.push(quote!(.default_phases([#(#names),*])));
        }
        "roles" => {
            let Some(items) = o.list(cx) else { return calls };
            let names: Vec<String> = items.iter().filter_map(|e| name_of(e, "a role", cx)).map(|(n, _)| n).collect();
            calls.push(quote!(.roles([#(#names),*])));
        }
        "node_spec" => match &o.value {
            crate::options::Value::Nested(opts, _) => {
                let inner = node_spec_calls(krate, opts, cx);
                calls.push(quote!(.node_spec(#krate::spec::NodeSpec::new() #(#inner)*)));
            }
            crate::options::Value::Expr(e) => calls.push(quote_spanned!(span_of(e)=> .node_spec(#e))),
        },
        "packager" => {
            if let Some(v) = o.expr(cx)
                && let Some(p) = packager(krate, v, cx)
            {
                calls.push(quote!(.packager(#p)));
            }
        }
        "extends" => {
            let Some(items) = o.list(cx) else { return calls };
            for e in items {
                calls.push(quote_spanned!(span_of(e)=> .extends(::core::convert::Into::into(#e))));
            }
        }
        _ => {}
    }
    calls
}

/// `server_spec! { ... }`.
pub fn server_spec(krate: &TokenStream, input: TokenStream) -> TokenStream {
    let opts = match parse(input) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let mut cx = Ctxt::new();
    let mut calls = Vec::new();
    let checked = opts.checked("server_spec", SERVER_SPEC, &mut cx);
    check_phase_names(&checked, &mut cx);
    for o in checked {
        calls.extend(server_calls(krate, o, &mut cx));
    }
    let ok = quote!(#krate::spec::ServerSpec::new() #(#calls)*);
    finish(cx, ok, quote!(#krate::spec::ServerSpec::new()))
}

/// `group_spec! { name = "web", count = 2, ... }`.
pub fn group_spec(krate: &TokenStream, input: TokenStream) -> TokenStream {
    let opts = match parse(input) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let mut cx = Ctxt::new();
    let mut name = None;
    let mut calls = Vec::new();
    let checked = opts.checked("group_spec", GROUP_SPEC, &mut cx);
    check_phase_names(&checked, &mut cx);
    for o in checked {
        match o.name().as_str() {
            "name" => name = group_name(o, "group", &mut cx),
            "count" => {
                if let Some(v) = o.expr(&mut cx)
                    && let Some(n) = count(v, &mut cx)
                {
                    calls.push(quote_spanned!(span_of(v)=> .count(#n)));
                }
            }
            "node_filter" => {
                if let Some(v) = o.expr(&mut cx) {
                    calls.push(quote_spanned!(span_of(v)=> .node_filter(#v)));
                }
            }
            _ => calls.extend(server_calls(krate, o, &mut cx)),
        }
    }
    let name = required_name(name, &opts, "group", &mut cx);
    let ok = quote!(#krate::spec::GroupSpec::from_checked_name(#name) #(#calls)*);
    finish(cx, ok, quote!(#krate::spec::GroupSpec::from_checked_name("invalid")))
}

/// `cluster_spec! { name = "prod", groups = [...], ... }`.
pub fn cluster_spec(krate: &TokenStream, input: TokenStream) -> TokenStream {
    let opts = match parse(input) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let mut cx = Ctxt::new();
    let mut name = None;
    let mut calls = Vec::new();
    let checked = opts.checked("cluster_spec", CLUSTER_SPEC, &mut cx);
    check_phase_names(&checked, &mut cx);
    for o in checked {
        match o.name().as_str() {
            "name" => name = group_name(o, "cluster", &mut cx),
            "groups" => {
                if let Some(items) = o.list(&mut cx) {
                    for g in items {
                        calls.push(quote_spanned!(span_of(g)=> .group(#g)));
                    }
                }
            }
            "phases" => {
                let Some(inner) = o.nested(&mut cx) else { continue };
                for p in &inner.0 {
                    let phase = p.key.to_string();
                    if let Some(f) = p.expr(&mut cx) {
                        calls.push(quote_spanned!(span_of(f)=> .phase(#phase, #f)));
                    }
                }
            }
            _ => calls.extend(server_calls(krate, o, &mut cx)),
        }
    }
    let name = required_name(name, &opts, "cluster", &mut cx);
    let ok = quote!(#krate::spec::ClusterSpec::from_checked_name(#name) #(#calls)*);
    finish(cx, ok, quote!(#krate::spec::ClusterSpec::from_checked_name("invalid")))
}

/// The group (or cluster) name: a string literal is checked as a DNS label at compile time;
/// another expression is checked when the spec is built.
/// The `name` a group or cluster spec was given, or `"invalid"` as a fallback
/// (so one error does not cascade). Reports a missing `name` key; a present but
/// bad one was already reported by [`group_name`].
fn required_name(name: Option<TokenStream>, opts: &Opts, what: &str, cx: &mut Ctxt) -> TokenStream {
    if name.is_none() && !opts.0.iter().any(|o| o.key == "name") {
        cx.error(Span::call_site(), format!("a {what} spec needs `name = \"...\"`"));
    }
    name.unwrap_or_else(|| quote!("invalid"))
}

fn group_name(o: &Opt, what: &str, cx: &mut Ctxt) -> Option<TokenStream> {
    let v = o.expr(cx)?;
    match v {
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => {
            let n = s.value();
            match check_dns_label(&n) {
                Ok(()) => Some(quote!(#s)),
                Err(reason) => {
                    cx.error(
                        s.span(),
                        format!("invalid {what} name `{n}`: {reason} (a DNS label: 1-63 lowercase letters, digits and `-`, not starting or ending with `-`)"),
                    );
                    None
                }
            }
        }
        other => {
            if let Some(k) = literal_kind(other) {
                cx.error(span_of(other), format!("`name` expects a string, found {k}"));
                return None;
            }
            let ty = if what == "group" { "GroupSpec" } else { "ClusterSpec" };
            cx.error(
                span_of(other),
                format!(
                    "`name` must be a string literal, checked at compile time; for a {what} name computed at run time use `{ty}::new(name)?` and its builder methods"
                ),
            );
            None
        }
    }
}

fn check_dns_label(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("it is empty");
    }
    if name.len() > 63 {
        return Err("it is longer than 63 characters");
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err("it has characters other than lowercase letters, digits and `-`");
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err("it starts or ends with `-`");
    }
    Ok(())
}

/// A node count: a non-negative integer literal, or an expression left to the type checker.
fn count(v: &Expr, cx: &mut Ctxt) -> Option<TokenStream> {
    match int_literal(v) {
        Some((i, true)) => {
            cx.error(span_of(v), format!("`count` must not be negative (found -{i})"));
            None
        }
        Some((i, false)) => Some(quote!(#i)),
        None => match literal_kind(v) {
            Some(k) => {
                cx.error(span_of(v), format!("`count` expects a non-negative integer, found {k}"));
                None
            }
            None => Some(quote!(#v)),
        },
    }
}
