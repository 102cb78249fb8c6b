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
//!
//! Literal values given to the library's actions are checked here against their rules
//! (`stevedore_core::names`), each error at the literal and naming the action, the field and
//! the value: positional arguments (`user("root;id")`, `package("--help")`,
//! `service("ngin x")`, `directory("relative/path")`, `wait_for_port(0)`, `cron` schedules and
//! users, `sudoers` names and lines...), `name = value` options and builder calls on an action
//! (`owner = "-x"`, `mode = 0o77777`, `.home("relative")`, `packages().apt(["--help"])`). An
//! action is recognised by its function's name, written alone or as `...action::NAME`; values
//! that are not literals are checked when the plan runs (`Action::validate`).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use stevedore_core::names::{self, Checked, NameError, Packager};
use stevedore_dsl::ctxt::Ctxt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
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
    Checker { cx: &mut cx }.visit_block(&item.body);
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

/// A check of one literal value: the field's name and the rule.
#[derive(Clone, Copy)]
enum Rule {
    Str(&'static str, fn(&str) -> Checked),
    Int(&'static str, fn(u64) -> Checked),
    /// A list literal of strings, each checked.
    List(&'static str, fn(&str) -> Checked),
    /// A list literal of pairs of strings (`[("a", "b")]`), each part checked.
    Pairs(&'static str, fn(&str) -> Checked, &'static str, fn(&str) -> Checked),
}

fn sudoers_name(s: &str) -> Checked {
    names::file_name(s)?;
    if let Some(at) = s.find(['.', '~']) {
        return Err(NameError {
            kind: names::Kind::FileName,
            value: s.to_string(),
            problem: names::Problem::Malformed(format!(
                "`{}` at byte {at}: sudo skips files whose name holds `.` or `~`",
                &s[at..at + 1]
            )),
        });
    }
    Ok(())
}

/// The positional arguments of an action's function that `plan_fn!` checks when they are
/// literals, by position.
fn action_args(action: &str) -> &'static [Option<Rule>] {
    use Rule::*;
    const PATH: Option<Rule> = Some(Str("path", names::absolute_path));
    const FILE: Option<Rule> = Some(Str("path", names::file_path));
    match action {
        "directory" | "remote_directory" | "wait_for_file" => &[PATH],
        "file" | "remote_file" => &[FILE],
        "sed" => &[FILE, Some(Pairs("regex", names::bre, "replacement", names::sed_replacement))],
        "line_in_file" => &[FILE, Some(Str("line", names::line))],
        "symbolic_link" => &[None, Some(Str("link", names::file_path))],
        "user" => &[Some(Str("name", names::user_name))],
        "group" => &[Some(Str("name", names::group_name))],
        "package" => &[Some(Str("name", names::any_package_name))],
        "package_source" => &[Some(Str("name", names::file_name))],
        "service" => &[Some(Str("name", names::service_name))],
        "hostname" => &[Some(Str("name", names::hostname))],
        "cron" => &[
            Some(Str("name", names::cron_file_name)),
            Some(Str("schedule", names::cron_schedule)),
            Some(Str("user", names::user_name)),
            Some(Str("command", names::line)),
        ],
        "sudoers" => &[Some(Str("name", sudoers_name)), Some(List("lines", names::line))],
        "authorize_key" => &[Some(Str("user", names::user_name)), Some(Str("public_key", names::line))],
        "wait_for_port" => &[Some(Int("port", names::port))],
        _ => &[],
    }
}

/// Is `action` one of the actions whose literals `plan_fn!` checks?
fn is_checked_action(action: &str) -> bool {
    !action_args(action).is_empty() || action == "packages"
}

fn apt(s: &str) -> Checked {
    names::package_name(Packager::Apt, s)
}
fn dnf(s: &str) -> Checked {
    names::package_name(Packager::Dnf, s)
}
fn yum(s: &str) -> Checked {
    names::package_name(Packager::Yum, s)
}
fn apk(s: &str) -> Checked {
    names::package_name(Packager::Apk, s)
}
fn pacman(s: &str) -> Checked {
    names::package_name(Packager::Pacman, s)
}
fn zypper(s: &str) -> Checked {
    names::package_name(Packager::Zypper, s)
}

/// The arguments of an option (a builder method, or `name = value` in the call) checked when
/// they are literals, for an action.
fn option_args(action: &str, option: &str) -> &'static [Option<Rule>] {
    use Rule::*;
    match (action, option) {
        (_, "owner") => &[Some(Str("owner", names::owner))],
        ("user", "primary_group") => &[Some(Str("primary_group", names::group))],
        ("user", "groups") => &[Some(List("groups", names::group))],
        ("user", "home") => &[Some(Str("home", names::login_path))],
        ("user", "shell") => &[Some(Str("shell", names::login_path))],
        ("user", "comment") => &[Some(Str("comment", names::passwd_field))],
        ("user", "password_hash") => &[Some(Str("password_hash", names::password_hash))],
        (_, "group") => &[Some(Str("group", names::group))],
        (_, "mode") => &[Some(Int("mode", names::file_mode))],
        (_, "flag_on_changed") => &[Some(Str("flag_on_changed", names::file_name))],
        (_, "if_flag") => &[Some(Str("if_flag", names::file_name))],
        ("line_in_file", "regexp") => &[Some(Str("regexp", names::ere))],
        ("sed", "restriction") => &[Some(Str("restriction", names::sed_address))],
        ("wait_for_port", "host") => &[Some(Str("host", names::host))],
        ("remote_file" | "remote_directory", "url") => {
            &[Some(Str("url", names::url)), Some(Str("sha256", names::sha256))]
        }
        ("package_source", "apt") => &[Some(Str("url", names::url))],
        ("package_source", "yum") => &[Some(Str("baseurl", names::url))],
        ("package_source", "zypper") => &[Some(Str("baseurl", names::url))],
        ("package_source", "pacman") => &[Some(Str("server", names::url))],
        ("package", "version") => &[Some(Str("version", names::package_version))],
        ("packages", "apt") => &[Some(List("apt", apt))],
        ("packages", "dnf") => &[Some(List("dnf", dnf))],
        ("packages", "yum") => &[Some(List("yum", yum))],
        ("packages", "apk") => &[Some(List("apk", apk))],
        ("packages", "pacman") => &[Some(List("pacman", pacman))],
        ("packages", "zypper") => &[Some(List("zypper", zypper))],
        _ => &[],
    }
}

/// The action a call names: its function's name when the path is that name alone or ends in
/// `action::NAME`.
fn called_action(c: &syn::ExprCall) -> Option<String> {
    let Expr::Path(p) = &*c.func else { return None };
    let segs: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
    let name = segs.last()?.clone();
    let ok_path = segs.len() == 1 || segs.get(segs.len() - 2).is_some_and(|s| s == "action");
    (ok_path && is_checked_action(&name)).then_some(name)
}

/// The action at the root of a builder chain (`directory("/x").owner("a").mode(0o750)`).
fn root_action(mut e: &Expr) -> Option<String> {
    loop {
        match e {
            Expr::MethodCall(m) => e = &m.receiver,
            Expr::Paren(p) => e = &p.expr,
            Expr::Call(c) => return called_action(c),
            _ => return None,
        }
    }
}

/// Checks the literal values given to the library's actions: positional arguments, `name =
/// value` options and builder calls. An error names the action, the field and the value, at
/// the literal.
struct Checker<'a> {
    cx: &'a mut Ctxt,
}

impl Checker<'_> {
    fn check(&mut self, action: &str, rule: Rule, e: &Expr) {
        let report = |cx: &mut Ctxt, field: &str, span: Span, r: Checked| {
            if let Err(err) = r {
                cx.error(span, format!("`{action}`: {field}: {err}"));
            }
        };
        match (rule, strip(e)) {
            (Rule::Str(field, f), Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. })) => {
                report(self.cx, field, s.span(), f(&s.value()));
            }
            (Rule::Int(field, f), Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. })) => {
                if let Ok(v) = i.base10_parse::<u64>() {
                    report(self.cx, field, i.span(), f(v));
                }
            }
            (Rule::List(field, f), Expr::Array(a)) => {
                for item in &a.elems {
                    if let Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = strip(item) {
                        report(self.cx, field, s.span(), f(&s.value()));
                    }
                }
            }
            (Rule::Pairs(field_a, fa, field_b, fb), Expr::Array(a)) => {
                for item in &a.elems {
                    if let Expr::Tuple(t) = strip(item)
                        && t.elems.len() == 2
                    {
                        for (e, field, f) in [(&t.elems[0], field_a, fa), (&t.elems[1], field_b, fb)] {
                            if let Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = strip(e) {
                                report(self.cx, field, s.span(), f(&s.value()));
                            }
                        }
                    }
                }
            }
            (Rule::List(field, f), Expr::Reference(r)) => {
                if let Expr::Array(a) = strip(&r.expr) {
                    for item in &a.elems {
                        if let Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = strip(item) {
                            report(self.cx, field, s.span(), f(&s.value()));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn args<'e>(&mut self, action: &str, rules: &[Option<Rule>], args: impl IntoIterator<Item = &'e Expr>) {
        for (rule, arg) in rules.iter().zip(args) {
            if let Some(rule) = rule {
                self.check(action, *rule, arg);
            }
        }
    }
}

/// `e` without parentheses and groups.
fn strip(mut e: &Expr) -> &Expr {
    loop {
        match e {
            Expr::Paren(p) => e = &p.expr,
            Expr::Group(g) => e = &g.expr,
            other => return other,
        }
    }
}

impl<'ast> Visit<'ast> for Checker<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        visit::visit_expr_call(self, c);
        if let Some(action) = called_action(c) {
            let positional = c.args.iter().take_while(|a| !matches!(a, Expr::Assign(_)));
            self.args(&action, action_args(&action), positional);
            for a in c.args.iter() {
                if let Expr::Assign(a) = a
                    && let Expr::Path(p) = &*a.left
                    && let Some(key) = p.path.get_ident()
                {
                    self.args(&action, option_args(&action, &key.to_string()), [&*a.right]);
                }
            }
        }
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        // The receiver first, so errors come in the order of the source.
        visit::visit_expr_method_call(self, m);
        if let Some(action) = root_action(&m.receiver) {
            let rules = option_args(&action, &m.method.to_string());
            self.args(&action, rules, m.args.iter().take_while(|a| !matches!(a, Expr::Assign(_))));
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {
        // Nested items are not part of the plan.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(body: &str) -> Vec<String> {
        let input: TokenStream = format!("fn p(ctx) {{ {body} }}").parse().unwrap();
        let out = plan_fn(&quote!(::pallet_runtime), input).to_string();
        out.split("compile_error !").skip(1).map(|e| e.split(')').next().unwrap_or("").to_string()).collect()
    }

    #[test]
    fn literals_given_to_actions_are_checked() {
        let cases = [
            (r#"user("root;id");"#, "`user`: name: \\\"root;id\\\" is not a valid user name"),
            (r#"package("--help");"#, "`package`: name:"),
            (r#"service("ngin x");"#, "`service`: name:"),
            (r#"directory("relative/path");"#, "`directory`: path:"),
            (r#"wait_for_port(0);"#, "`wait_for_port`: port: \\\"0\\\""),
            (r#"file("/x", owner = "-x");"#, "`file`: owner:"),
            (r#"directory("/x", mode = 0o77777);"#, "`directory`: mode: \\\"0o77777\\\""),
            (r#"directory("/x").owner("root").group("a b");"#, "`directory`: group:"),
            (r#"cron("backup", "* * * *", "root", "x");"#, "`cron`: schedule:"),
            (r#"cron("backup", "* * * * *", "root\nx", "x");"#, "`cron`: user:"),
            (r#"sudoers("a.b", ["x"]);"#, "`sudoers`: name:"),
            (r#"sudoers("ok", ["x", "y\nz"]);"#, "`sudoers`: lines:"),
            (r#"packages().apt(["nginx", "--help"]);"#, "`packages`: apt:"),
            (r#"user("deploy", home = "home/deploy");"#, "`user`: home:"),
            (r#"pallet::action::hostname("-x");"#, "`hostname`: name:"),
            (r#"line_in_file("/etc/x", "a\nb");"#, "`line_in_file`: line:"),
            (r#"wait_for_port(80, host = "-p");"#, "`wait_for_port`: host:"),
            (r#"sed("/etc/x", [("a", "b")], restriction = "1e touch /tmp/x");"#, "`sed`: restriction:"),
            (r#"sed("/etc/x", [("a", "ok"), ("b", "\\U&")]);"#, "`sed`: replacement:"),
            (r#"sed("/etc/x", [("", "b")]);"#, "`sed`: regex:"),
            (r#"line_in_file("/etc/x", "a", regexp = "a||b");"#, "`line_in_file`: regexp:"),
            (r#"file("/etc/");"#, "`file`: path:"),
            (r#"package("nginx", version = "1.2 && id");"#, "`package`: version:"),
            (r#"package_source("x").pacman("-x", None);"#, "`package_source`: server:"),
        ];
        for (body, want) in cases {
            let e = errors(body);
            assert_eq!(e.len(), 1, "{body}: {e:?}");
            assert!(e[0].contains(want), "{body}: {e:?} lacks {want}");
        }
    }

    #[test]
    fn good_literals_and_other_values_pass() {
        let body = r#"
            user("deploy", home = "/home/deploy", shell = "/bin/sh", groups = ["adm", "www-data"]);
            directory("/srv/app", owner = "app", group = "1000", mode = 0o750).recursive(true);
            package("nginx");
            packages().apt(["libssl-dev"]).dnf(["openssl-devel"]);
            service("nginx").restart().if_flag("site");
            cron("backup", "@daily", "root", "/usr/local/bin/backup");
            wait_for_port(8080).host("db-1");
            user(name);
            my::file("relative");
            let f = |x: &str| file(x);
        "#;
        assert_eq!(errors(body), Vec::<String>::new());
    }
}
