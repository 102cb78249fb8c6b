//! The statement grammar of `script!`: Rust tokens in, shell IR with holes out.
//!
//! ```text
//! block     := stmt*
//! stmt      := doc-comment | `sh!("raw shell")` [;] | `fn` NAME `()` `{` block `}` | list terminator
//! list      := pipeline ((`&&` | `||`) pipeline)* [`&`]
//! pipeline  := [`!`] command (`|` command)*
//! command   := compound redirect* | simple
//! compound  := `if` list `{` block `}` (`else` `if` list `{` block `}`)* [`else` `{` block `}`]
//!            | (`while` | `until`) list `{` block `}` | `loop` `{` block `}`
//!            | `for` NAME `in` word* `{` block `}` | `case` word `{` (pattern (`|` pattern)* `=>` `{` block `}` [,])* `}`
//!            | `{` block `}` | `(` block `)`
//! simple    := (NAME`=`word)* (word | `[` word* `]` | redirect)+
//! redirect  := [N](`>` | `>>` | `<`) word | [N]`>&`N | [N]`<&`N | `<<` ("literal" | #value)
//! ```
//! A simple command ends with `;`; a compound one may omit it. Words are described in
//! [`crate::word`].

use crate::ctxt::Ctxt;
use crate::tokens::{Cursor, ident_text};
use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use stevedore_core::ir::*;
use stevedore_core::quote::RESERVED_WORDS;

/// An error was recorded in the [`Ctxt`]; the caller recovers.
#[derive(Debug)]
pub struct Reported;

/// Result of a parse step.
pub type R<T> = Result<T, Reported>;

/// A Rust value spliced into the script at run time.
#[derive(Clone)]
pub struct HoleSpec {
    /// The expression, as written.
    pub expr: TokenStream,
    /// Where it was written (for type errors).
    pub span: Span,
    /// The value is the body of a here-document.
    pub heredoc: bool,
}

/// Parser state shared by one macro call: the errors and the holes found so far.
pub struct Parser<'a> {
    /// Errors.
    pub cx: &'a mut Ctxt,
    /// Holes, indexed by [`Hole`] number.
    pub holes: Vec<HoleSpec>,
}

/// Where a command is being parsed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A statement: a `{` here is an error.
    Stmt,
    /// A condition (`if`, `while`): a `{` ends it and opens the body.
    Cond,
}

const KEYWORDS: &[&str] = &["if", "while", "until", "loop", "for", "case"];

impl<'a> Parser<'a> {
    /// A parser recording errors in `cx`.
    pub fn new(cx: &'a mut Ctxt) -> Parser<'a> {
        Parser { cx, holes: Vec::new() }
    }

    /// Records an error and returns the marker.
    pub fn err(&mut self, span: Span, msg: impl std::fmt::Display) -> Reported {
        self.cx.error(span, msg);
        Reported
    }

    /// Parses statements until the end of the cursor, recovering after errors.
    pub fn block(&mut self, c: &mut Cursor) -> Block {
        let mut stmts = Vec::new();
        while !c.at_end() {
            if c.punct(';').is_some() {
                continue;
            }
            match self.stmt(c) {
                Ok(s) => stmts.push(s),
                Err(Reported) => c.skip_statement(),
            }
        }
        Block(stmts)
    }

    fn stmt(&mut self, c: &mut Cursor) -> R<Stmt> {
        if c.is_punct('#')
            && (c.is_group_at(1, Delimiter::Bracket) || (c.is_punct_at(1, '!') && c.is_group_at(2, Delimiter::Bracket)))
        {
            return self.doc_comment(c);
        }
        if c.is_ident("sh") && c.is_punct_at(1, '!') && c.is_group_at(2, Delimiter::Parenthesis) {
            let s = self.raw(c)?;
            c.punct(';');
            return Ok(s);
        }
        if c.is_ident("fn") && !c.adjacent_at(1) {
            return self.function(c);
        }
        let (list, ends_with_block) = self.and_or(c, Mode::Stmt)?;
        if c.at_end() || c.punct(';').is_some() || ends_with_block {
            return Ok(Stmt::List(list));
        }
        Err(self.err(c.span(), "expected `;` to end the command before this"))
    }

    fn doc_comment(&mut self, c: &mut Cursor) -> R<Stmt> {
        let hash = c.bump().expect("checked");
        c.punct('!');
        let g = c.group(Delimiter::Bracket).expect("checked");
        let attr: syn::Result<syn::MetaNameValue> = syn::parse2(g.stream());
        match attr {
            Ok(m) if m.path.is_ident("doc") => match &m.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => {
                    let text = s.value();
                    let text = text.strip_prefix(' ').unwrap_or(&text).trim_end().to_string();
                    Ok(Stmt::Comment(text))
                }
                _ => Err(self.err(hash.span(), "a doc comment needs a string")),
            },
            _ => Err(self.err(
                hash.span(),
                "attributes are not allowed in scripts (only `///` comments, which become shell comments)",
            )),
        }
    }

    fn raw(&mut self, c: &mut Cursor) -> R<Stmt> {
        c.bump();
        c.bump();
        let g = c.group(Delimiter::Parenthesis).expect("checked");
        let mut inner = Cursor::of_group(&g);
        let lit = match (inner.literal(), inner.at_end()) {
            (Some(l), true) => l,
            _ => return Err(self.err(g.span(), "`sh!` takes one string literal of raw shell: `sh!(\"...\")`")),
        };
        let text = match syn::Lit::new(lit.clone()) {
            syn::Lit::Str(s) => s.value(),
            _ => return Err(self.err(lit.span(), "`sh!` takes a string literal")),
        };
        if let Err(msg) = crate::raw::check(&text) {
            return Err(self.err(lit.span(), format!("raw shell in `sh!` does not parse: {msg}")));
        }
        Ok(Stmt::Raw(text))
    }

    fn function(&mut self, c: &mut Cursor) -> R<Stmt> {
        let fn_kw = c.bump().expect("checked");
        let Some(name) = c.ident() else {
            return Err(self.err(c.span(), "expected the function name after `fn`"));
        };
        let text = ident_text(&name);
        if !is_name(&text) {
            return Err(self.err(name.span(), format!("`{text}` is not a valid shell function name")));
        }
        match c.group(Delimiter::Parenthesis) {
            Some(g) if g.stream().is_empty() => {}
            Some(g) => {
                return Err(self.err(
                    g.span(),
                    "shell functions declare no parameters: write `fn name() { ... }` and read `$1`, `$2`, ...",
                ));
            }
            None => return Err(self.err(c.span(), "expected `()` after the function name")),
        }
        let body = self.body_group(c, fn_kw.span())?;
        Ok(Stmt::Function(Function { name: text, body }))
    }

    /// `{ block }` after a keyword.
    pub fn body_group(&mut self, c: &mut Cursor, kw: Span) -> R<Block> {
        match c.group(Delimiter::Brace) {
            Some(g) => Ok(self.block(&mut Cursor::of_group(&g))),
            None => {
                let at = if c.at_end() { kw } else { c.span() };
                Err(self.err(at, "expected `{` to open the body"))
            }
        }
    }

    /// An and-or list; the flag says whether it ends with a compound command's `}`.
    pub fn and_or(&mut self, c: &mut Cursor, mode: Mode) -> R<(AndOr, bool)> {
        let (first, mut ends_with_block) = self.pipeline(c, mode)?;
        let mut rest = Vec::new();
        loop {
            let conn = if c.is_op2('&', '&') {
                Connector::And
            } else if c.is_op2('|', '|') {
                Connector::Or
            } else {
                break;
            };
            c.bump();
            c.bump();
            let (p, b) = self.pipeline(c, mode)?;
            rest.push((conn, p));
            ends_with_block = b;
        }
        let mut background = false;
        if c.is_punct('&') {
            c.bump();
            background = true;
            ends_with_block = false;
        }
        Ok((AndOr { first, rest, background }, ends_with_block))
    }

    fn pipeline(&mut self, c: &mut Cursor, mode: Mode) -> R<(Pipeline, bool)> {
        let negated = c.punct('!').is_some();
        let mut commands = Vec::new();
        let (cmd, mut ends_with_block) = self.command(c, mode)?;
        commands.push(cmd);
        while c.is_punct('|') && !c.is_op2('|', '|') {
            c.bump();
            let (cmd, b) = self.command(c, mode)?;
            commands.push(cmd);
            ends_with_block = b;
        }
        Ok((Pipeline { negated, commands }, ends_with_block))
    }

    fn command(&mut self, c: &mut Cursor, mode: Mode) -> R<(Command, bool)> {
        let compound = match c.peek() {
            Some(TokenTree::Ident(i)) if KEYWORDS.contains(&i.to_string().as_str()) && !c.adjacent_at(1) => {
                Some(self.compound(c)?)
            }
            Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                if mode == Mode::Cond {
                    return Err(self.err(g.span(), "expected a condition before `{`"));
                }
                let g = g.clone();
                c.bump();
                Some(Compound::Group(self.block(&mut Cursor::of_group(&g))))
            }
            Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => {
                let g = g.clone();
                c.bump();
                Some(Compound::Subshell(self.block(&mut Cursor::of_group(&g))))
            }
            _ => None,
        };
        if let Some(compound) = compound {
            let mut redirects = Vec::new();
            while self.at_redirect(c) {
                redirects.push(self.redirect(c)?);
            }
            let ends_with_block = redirects.is_empty();
            return Ok((Command::Compound(compound, redirects), ends_with_block));
        }
        Ok((Command::Simple(self.simple(c, mode)?), false))
    }

    fn compound(&mut self, c: &mut Cursor) -> R<Compound> {
        let kw = c.ident().expect("checked");
        let span = kw.span();
        match kw.to_string().as_str() {
            "if" => {
                let mut branches = Vec::new();
                let cond = self.cond(c, span)?;
                let body = self.body_group(c, span)?;
                branches.push((cond, body));
                let mut otherwise = None;
                while c.is_ident("else") {
                    let else_kw = c.ident().expect("checked");
                    if c.is_ident("if") && !c.adjacent_at(1) {
                        let if_kw = c.ident().expect("checked");
                        let cond = self.cond(c, if_kw.span())?;
                        let body = self.body_group(c, if_kw.span())?;
                        branches.push((cond, body));
                    } else {
                        otherwise = Some(self.body_group(c, else_kw.span())?);
                        break;
                    }
                }
                Ok(Compound::If(If { branches, otherwise }))
            }
            "while" | "until" => {
                let cond = self.cond(c, span)?;
                let body = self.body_group(c, span)?;
                Ok(Compound::While(While { until: kw == "until", cond, body }))
            }
            "loop" => {
                let body = self.body_group(c, span)?;
                let cond = Block(vec![Simple { args: vec![Arg::Word(Word::bare(":"))], ..Simple::default() }.stmt()]);
                Ok(Compound::While(While { until: false, cond, body }))
            }
            "for" => {
                let Some(var) = c.ident() else {
                    return Err(self.err(c.span(), "expected the loop variable after `for`"));
                };
                let var_text = ident_text(&var);
                if !is_name(&var_text) {
                    return Err(self.err(var.span(), format!("`{var_text}` is not a valid shell variable name")));
                }
                if !c.is_ident("in") {
                    return Err(self.err(c.span(), "expected `in` after the loop variable"));
                }
                c.bump();
                let mut words = Vec::new();
                while !c.at_end() && !c.is_group(Delimiter::Brace) {
                    if c.is_punct(';') {
                        return Err(self.err(c.span(), "expected `{` to open the loop body"));
                    }
                    words.push(self.arg(c)?);
                }
                let body = self.body_group(c, span)?;
                Ok(Compound::For(For { var: var_text, words, body }))
            }
            "case" => {
                if c.is_group(Delimiter::Brace) || c.at_end() {
                    return Err(self.err(span, "expected the word to match after `case`"));
                }
                let word = self.word(c)?;
                let Some(g) = c.group(Delimiter::Brace) else {
                    return Err(self.err(c.span(), "expected `{` with the `case` arms"));
                };
                let mut ac = Cursor::of_group(&g);
                let mut arms = Vec::new();
                while !ac.at_end() {
                    arms.push(self.case_arm(&mut ac)?);
                    ac.punct(',');
                }
                Ok(Compound::Case(Case { word, arms }))
            }
            _ => unreachable!("keyword list"),
        }
    }

    fn case_arm(&mut self, c: &mut Cursor) -> R<CaseArm> {
        let start = c.span();
        let mut patterns = Vec::new();
        loop {
            if c.is_ident("_") && !c.adjacent_at(1) {
                c.bump();
                patterns.push(Word::bare("*"));
            } else {
                patterns.push(self.word(c)?);
            }
            if c.is_punct('|') {
                c.bump();
                continue;
            }
            break;
        }
        if !c.is_op2('=', '>') {
            return Err(self.err(c.span(), "expected `=>` after the `case` pattern"));
        }
        c.bump();
        c.bump();
        let body = self.body_group(c, start)?;
        Ok(CaseArm { patterns, body })
    }

    fn cond(&mut self, c: &mut Cursor, kw: Span) -> R<Block> {
        if c.at_end() || c.is_group(Delimiter::Brace) {
            return Err(self.err(kw, "expected a condition after this keyword"));
        }
        let (list, _) = self.and_or(c, Mode::Cond)?;
        Ok(Block(vec![Stmt::List(list)]))
    }

    fn simple(&mut self, c: &mut Cursor, mode: Mode) -> R<Simple> {
        let mut s = Simple::default();
        let first = c.span().start();
        let mut n = 0usize;
        while let Some(t) = c.peek() {
            match t {
                TokenTree::Punct(p) if p.as_char() == ';' || p.as_char() == '|' => break,
                TokenTree::Punct(p) if p.as_char() == '&' => {
                    if c.is_op2('&', '>') {
                        return Err(self.err(p.span(), "`&>` is a bash extension; write `> file 2>&1`"));
                    }
                    break;
                }
                TokenTree::Punct(p) if p.as_char() == '=' && c.is_op2('=', '>') => break,
                TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                    if mode == Mode::Cond {
                        break;
                    }
                    return Err(self.err(
                        g.span(),
                        "unexpected `{`: a `{ ... }` group must start a command (quote a literal brace: \"{\")",
                    ));
                }
                _ => {}
            }
            let here = c.span().start();
            if n > 0 && first.line != 0 && here.line > first.line && here.column <= first.column {
                return Err(self.err(
                    c.span(),
                    "expected `;` before this line: it starts a new command (indent it to continue the previous one)",
                ));
            }
            n += 1;
            if self.at_redirect(c) {
                let r = self.redirect(c)?;
                s.redirects.push(r);
                continue;
            }
            if s.args.is_empty() && self.at_assignment(c) {
                let name = c.ident().expect("checked");
                c.bump();
                let value = if c.adjacent_at(0) && self.at_word(c) { self.word(c)? } else { Word(vec![]) };
                s.assignments.push(Assignment { name: ident_text(&name), value });
                continue;
            }
            let start_span = c.span();
            let args = self.args(c)?;
            if s.args.is_empty()
                && let Some(Arg::Word(Word(parts))) = args.first()
                && let [WordPart::Bare(b)] = parts.as_slice()
                && RESERVED_WORDS.contains(&b.as_str())
            {
                let msg = match b.as_str() {
                    "else" | "elif" => "`else` must follow the `}` of an `if` block".to_string(),
                    other => format!(
                        "`{other}` is a shell keyword; the DSL writes blocks with `{{ ... }}` (quote it to run a command of that name)"
                    ),
                };
                return Err(self.err(start_span, msg));
            }
            s.args.extend(args);
        }
        if s.args.is_empty() && s.assignments.is_empty() && s.redirects.is_empty() {
            return Err(self.err(c.span(), "expected a command"));
        }
        Ok(s)
    }

    fn at_assignment(&self, c: &Cursor) -> bool {
        matches!(c.peek(), Some(TokenTree::Ident(i)) if is_name(&ident_text(i)))
            && c.is_punct_at(1, '=')
            && c.adjacent_at(1)
            && !(c.is_punct_at(2, '>') && c.adjacent_at(2))
            && !(c.is_punct_at(2, '=') && c.adjacent_at(2))
    }

    /// Is the next token the start of a redirection (`>`, `<`, or a descriptor number touching one)?
    pub fn at_redirect(&self, c: &Cursor) -> bool {
        if c.is_punct('>') || c.is_punct('<') {
            return true;
        }
        matches!(c.peek(), Some(TokenTree::Literal(l)) if l.to_string().bytes().all(|b| b.is_ascii_digit()))
            && (c.is_punct_at(1, '>') || c.is_punct_at(1, '<'))
            && c.adjacent_at(1)
    }

    fn redirect(&mut self, c: &mut Cursor) -> R<Redirect> {
        let fd = match c.peek() {
            Some(TokenTree::Literal(l)) => {
                let text = l.to_string();
                let span = l.span();
                c.bump();
                Some(text.parse::<u32>().map_err(|_| self.err(span, "file descriptor number too large"))?)
            }
            _ => None,
        };
        let op = c.bump().expect("checked");
        let op_span = op.span();
        let out = matches!(&op, TokenTree::Punct(p) if p.as_char() == '>');
        let kind = if out && c.is_punct('>') && c.adjacent_at(0) {
            c.bump();
            RedirectKind::Append(self.redirect_target(c, op_span)?)
        } else if c.is_punct('&') && c.adjacent_at(0) {
            c.bump();
            let target = match c.bump() {
                Some(TokenTree::Literal(l)) if l.to_string().bytes().all(|b| b.is_ascii_digit()) => l.to_string(),
                Some(TokenTree::Punct(p)) if p.as_char() == '-' => "-".to_string(),
                _ => return Err(self.err(op_span, "expected a descriptor number or `-` after `>&` / `<&`")),
            };
            if out { RedirectKind::DupOut(target) } else { RedirectKind::DupIn(target) }
        } else if !out && c.is_punct('<') && c.adjacent_at(0) {
            c.bump();
            RedirectKind::Heredoc(self.heredoc(c, op_span)?)
        } else if out {
            RedirectKind::Write(self.redirect_target(c, op_span)?)
        } else {
            RedirectKind::Read(self.redirect_target(c, op_span)?)
        };
        Ok(Redirect { fd, kind })
    }

    fn redirect_target(&mut self, c: &mut Cursor, op: Span) -> R<Word> {
        if !self.at_word(c) {
            return Err(self.err(op, "expected a file name after the redirection"));
        }
        self.word(c)
    }

    fn heredoc(&mut self, c: &mut Cursor, op: Span) -> R<HeredocBody> {
        match c.peek() {
            Some(TokenTree::Literal(l)) => {
                let l = l.clone();
                c.bump();
                match syn::Lit::new(l.clone()) {
                    syn::Lit::Str(s) => {
                        let v = s.value();
                        if v.contains('\0') {
                            return Err(self.err(l.span(), "a here-document cannot hold a NUL byte"));
                        }
                        Ok(HeredocBody::Static(v))
                    }
                    _ => Err(self.err(l.span(), "a here-document takes a string literal or a `#value`")),
                }
            }
            Some(TokenTree::Punct(p)) if p.as_char() == '#' => {
                let h = self.interpolation(c)?;
                self.holes[h.0].heredoc = true;
                Ok(HeredocBody::Hole(h))
            }
            _ => Err(self.err(op, "`<<` takes the here-document content: a string literal or a `#value`")),
        }
    }
}
