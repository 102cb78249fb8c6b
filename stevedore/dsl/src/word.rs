//! Words: adjacent tokens joined into one shell word.
//!
//! | written | emitted | part |
//! |---|---|---|
//! | `apt-get`, `/etc/x.conf`, `-y`, `*.txt` | as written | author's text (bare) |
//! | `"any text"` (Rust string literal) | quoted when needed | literal, never expanded |
//! | `$NAME`, `${NAME}`, `$1`, `$?`, `${NAME:-default}` | `"$NAME"` ... | parameter expansion, double-quoted (the word of `${...}` holds text and `$NAME` only: `#value` there is an error) |
//! | `$(cmd ...)` | `"$(cmd ...)"` | command substitution, double-quoted |
//! | `$((expr))` | `$((expr))` | arithmetic |
//! | `split!($X)`, `split!($(cmd))` | `${X}`, `$(cmd)` | unquoted: field splitting and globbing |
//! | `#name`, `#(expr)` | one quoted word, several words, or code | a Rust value, by type |
//! | `[a-z]` touching other tokens | `[a-z]` | glob bracket expression |
//!
//! A word standing alone as `[ ... ]` is the `test` command.

use crate::parse::{HoleSpec, Parser, R, Reported};
use crate::tokens::{Cursor, ident_text};
use proc_macro2::{Delimiter, Group, Spacing, TokenStream, TokenTree};
use stevedore_core::ir::*;

/// Punctuation that is part of a word as written.
const BARE_PUNCT: &[char] = &['-', '.', '/', ':', '=', '+', ',', '@', '%', '^', '~', '*', '?', '!'];

impl Parser<'_> {
    /// Can a word start at the next token?
    pub fn at_word(&self, c: &Cursor) -> bool {
        match c.peek() {
            None => false,
            Some(TokenTree::Punct(p)) => !matches!(p.as_char(), ';' | '|' | '&' | '<' | '>') && !c.is_op2('=', '>'),
            Some(TokenTree::Group(g)) => g.delimiter() != Delimiter::Brace,
            Some(_) => true,
        }
    }

    /// The arguments starting at the next token: one word or hole, or the words of `[ ... ]`.
    pub fn args(&mut self, c: &mut Cursor) -> R<Vec<Arg>> {
        if let Some(TokenTree::Group(g)) = c.peek() {
            let next_is_operator =
                matches!(c.peek_n(1), Some(TokenTree::Punct(p)) if matches!(p.as_char(), ';' | '|' | '&' | '<' | '>'));
            if g.delimiter() == Delimiter::Bracket && (!c.adjacent_at(1) || next_is_operator) {
                let g = g.clone();
                c.bump();
                return self.test_brackets(&g);
            }
        }
        Ok(vec![self.arg(c)?])
    }

    /// One argument: a word, or a hole when the word is exactly one `#value`.
    pub fn arg(&mut self, c: &mut Cursor) -> R<Arg> {
        let w = self.word(c)?;
        Ok(match w.0.as_slice() {
            [WordPart::Hole(h)] => Arg::Hole(*h),
            _ => Arg::Word(w),
        })
    }

    fn test_brackets(&mut self, g: &Group) -> R<Vec<Arg>> {
        let mut inner = Cursor::of_group(g);
        if let (Some(TokenTree::Group(ig)), None) = (inner.peek_n(0), inner.peek_n(1))
            && ig.delimiter() == Delimiter::Bracket
        {
            return Err(self.err(g.span(), "`[[ ... ]]` is a bash extension; use `[ ... ]`"));
        }
        let mut args = vec![Arg::Word(Word::bare("["))];
        while !inner.at_end() {
            if let Some(TokenTree::Punct(p)) = inner.peek() {
                match p.as_char() {
                    '<' | '>' => {
                        return Err(self.err(
                            p.span(),
                            "`<` and `>` redirect inside `[ ]`; compare numbers with -lt/-gt, strings with `\"<\"`",
                        ));
                    }
                    '&' | '|' | ';' => {
                        return Err(self
                            .err(p.span(), "`&&`, `||` and `;` go outside `[ ]`; use -a/-o sparingly, or two tests"));
                    }
                    _ => {}
                }
            }
            args.push(self.arg(&mut inner)?);
        }
        args.push(Arg::Word(Word::bare("]")));
        Ok(args)
    }

    /// One word: the next token and every token touching it.
    pub fn word(&mut self, c: &mut Cursor) -> R<Word> {
        let mut parts = Vec::new();
        loop {
            if !parts.is_empty() && !c.adjacent_at(0) {
                break;
            }
            if !self.at_word(c) {
                break;
            }
            self.part(c, &mut parts)?;
        }
        if parts.is_empty() {
            return Err(self.err(c.span(), "expected a word"));
        }
        Ok(Word(parts))
    }

    fn part(&mut self, c: &mut Cursor, parts: &mut Vec<WordPart>) -> R<()> {
        let t = c.peek().expect("at_word checked").clone();
        match &t {
            TokenTree::Ident(i) => {
                if i == "split" && c.is_punct_at(1, '!') && c.adjacent_at(1) && c.is_group_at(2, Delimiter::Parenthesis)
                {
                    c.bump();
                    c.bump();
                    let g = c.group(Delimiter::Parenthesis).expect("checked");
                    let mut inner = Cursor::of_group(&g);
                    if inner.at_end() {
                        return Err(
                            self.err(g.span(), "`split!` takes the expansions to leave unquoted: `split!($VAR)`")
                        );
                    }
                    let w = self.word(&mut inner)?;
                    if !inner.at_end() {
                        return Err(self.err(inner.span(), "`split!` takes one word"));
                    }
                    for mut p in w.0 {
                        match &mut p {
                            WordPart::Param(p) => p.split = true,
                            WordPart::CommandSubst { split, .. } => *split = true,
                            _ => {}
                        }
                        parts.push(p);
                    }
                    return Ok(());
                }
                c.bump();
                parts.push(WordPart::Bare(ident_text(i)));
            }
            TokenTree::Literal(l) => {
                c.bump();
                parts.push(self.literal_part(l)?);
            }
            TokenTree::Punct(p) => match p.as_char() {
                '$' => parts.push(self.dollar(c)?),
                '#' => {
                    let h = self.interpolation(c)?;
                    parts.push(WordPart::Hole(h));
                }
                '\'' => {
                    return Err(self.err(
                        p.span(),
                        "single quotes are not Rust tokens: write a Rust string literal \"...\" (it is always taken literally)",
                    ));
                }
                ch if BARE_PUNCT.contains(&ch) => {
                    c.bump();
                    parts.push(WordPart::Bare(ch.to_string()));
                }
                ch => return Err(self.err(p.span(), format!("`{ch}` must be quoted: write \"{ch}\""))),
            },
            TokenTree::Group(g) => match g.delimiter() {
                Delimiter::Bracket => {
                    c.bump();
                    parts.push(WordPart::Bare(self.glob_class(g)?));
                }
                Delimiter::Parenthesis => {
                    return Err(self.err(
                        g.span(),
                        "parentheses here must be quoted (\"(\"); `$( ... )` is command substitution, `( ... )` a subshell at the start of a command",
                    ));
                }
                _ => return Err(self.err(g.span(), "unexpected group in a word")),
            },
        }
        Ok(())
    }

    fn literal_part(&mut self, l: &proc_macro2::Literal) -> R<WordPart> {
        match syn::Lit::new(l.clone()) {
            syn::Lit::Str(s) => {
                let v = s.value();
                if v.contains('\0') {
                    return Err(self.err(l.span(), "a shell word cannot hold a NUL byte"));
                }
                Ok(WordPart::Literal(v.into_bytes()))
            }
            syn::Lit::ByteStr(s) => {
                let v = s.value();
                if v.contains(&0) {
                    return Err(self.err(l.span(), "a shell word cannot hold a NUL byte"));
                }
                Ok(WordPart::Literal(v))
            }
            syn::Lit::Int(_) | syn::Lit::Float(_) => {
                let text = l.to_string();
                if text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
                    Ok(WordPart::Bare(text))
                } else {
                    Err(self.err(l.span(), "quote this number as a string"))
                }
            }
            syn::Lit::Char(_) | syn::Lit::Byte(_) => {
                Err(self.err(l.span(), "character literals are not words: write a string \"...\""))
            }
            _ => Err(self.err(l.span(), "unsupported literal; write a string \"...\"")),
        }
    }

    fn glob_class(&mut self, g: &Group) -> R<String> {
        let mut text = String::from("[");
        for t in g.stream() {
            match &t {
                TokenTree::Ident(i) => text.push_str(&ident_text(i)),
                TokenTree::Literal(l) if l.to_string().bytes().all(|b| b.is_ascii_alphanumeric()) => {
                    text.push_str(&l.to_string())
                }
                TokenTree::Punct(p)
                    if matches!(p.as_char(), '!' | '-' | '^' | '.' | '_' | ':' | '/' | '+' | '@' | '%' | ',') =>
                {
                    text.push(p.as_char())
                }
                TokenTree::Group(ig) if ig.delimiter() == Delimiter::Bracket => {
                    return Err(self.err(g.span(), "`[[ ... ]]` is a bash extension; use `[ ... ]`"));
                }
                _ => return Err(self.err(t.span(), "unsupported token in a glob bracket expression; quote the word")),
            }
        }
        text.push(']');
        Ok(text)
    }

    /// `$...`: a parameter expansion, command substitution or arithmetic.
    fn dollar(&mut self, c: &mut Cursor) -> R<WordPart> {
        let dollar = c.bump().expect("checked");
        let usage = "`$` must be followed directly by a name, a digit, one of `? # @ * $ ! -`, `{...}` or `(...)`";
        if c.at_end() || !c.adjacent_at(0) {
            return Err(self.err(dollar.span(), usage));
        }
        let t = c.bump().expect("checked");
        match &t {
            TokenTree::Ident(i) => {
                let name = ident_text(i);
                if !is_name(&name) {
                    return Err(self.err(i.span(), format!("`{name}` is not a valid shell variable name")));
                }
                Ok(WordPart::Param(Param::new(name)))
            }
            TokenTree::Literal(l) if l.to_string().bytes().all(|b| b.is_ascii_digit()) => {
                Ok(WordPart::Param(Param::new(l.to_string())))
            }
            TokenTree::Punct(p) if matches!(p.as_char(), '?' | '#' | '@' | '*' | '$' | '!' | '-') => {
                Ok(WordPart::Param(Param::new(p.as_char().to_string())))
            }
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => self.braced_param(g).map(WordPart::Param),
            TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                if let [TokenTree::Group(ig)] = inner.as_slice()
                    && ig.delimiter() == Delimiter::Parenthesis
                {
                    return Ok(WordPart::Arith(self.arith(ig.stream())?));
                }
                let mut ic = Cursor::of_group(g);
                if ic.at_end() {
                    return Err(self.err(g.span(), "empty command substitution"));
                }
                let body = self.block(&mut ic);
                Ok(WordPart::CommandSubst { body, split: false })
            }
            _ => Err(self.err(t.span(), usage)),
        }
    }

    fn braced_param(&mut self, g: &Group) -> R<Param> {
        let mut c = Cursor::of_group(g);
        let length = if c.is_punct('#') && c.peek_n(1).is_some() {
            c.bump();
            true
        } else {
            false
        };
        let name = match c.bump() {
            Some(TokenTree::Ident(i)) if is_name(&ident_text(&i)) => ident_text(&i),
            Some(TokenTree::Literal(l)) if l.to_string().bytes().all(|b| b.is_ascii_digit()) => l.to_string(),
            Some(TokenTree::Punct(p)) if matches!(p.as_char(), '?' | '#' | '@' | '*' | '$' | '!' | '-') => {
                p.as_char().to_string()
            }
            _ => return Err(self.err(g.span(), "expected a variable name in `${...}`")),
        };
        let mut param = Param { name, length, op: None, split: false };
        if c.at_end() {
            return Ok(param);
        }
        if length {
            return Err(self.err(g.span(), "`${#NAME}` takes no operator"));
        }
        let op_span = c.span();
        // `##` is a reserved token in Rust 2024, so `# #` is accepted for it (and `% %` alike).
        let op = ParamOp::ALL.into_iter().find(|op| {
            op.as_str()
                .chars()
                .enumerate()
                .all(|(n, ch)| c.is_punct_at(n, ch) && (n == 0 || c.adjacent_at(n) || ch == '#' || ch == '%'))
        });
        let Some(op) = op else {
            return Err(
                self.err(op_span, "unknown operator in `${...}`; expected one of :- - := = :+ + :? ? # ## % %%")
            );
        };
        for _ in 0..op.as_str().len() {
            c.bump();
        }
        let mut word = Vec::new();
        let mut first = true;
        while !c.at_end() {
            if !first && !c.adjacent_at(0) {
                return Err(self.err(c.span(), "the word in `${...}` must be written without spaces; quote it"));
            }
            first = false;
            let t = c.bump().expect("checked");
            match &t {
                TokenTree::Literal(l) => match self.literal_part(l)? {
                    WordPart::Literal(b) if b.contains(&b'}') && !param.split => {
                        return Err(self.err(
                            l.span(),
                            "`}` in the word of `${...}` is not portable; assign it to a variable first",
                        ));
                    }
                    p => word.push(p),
                },
                TokenTree::Ident(i) => word.push(WordPart::Bare(ident_text(i))),
                TokenTree::Punct(p) if p.as_char() == '$' => match c.bump() {
                    Some(TokenTree::Ident(i)) if is_name(&ident_text(&i)) => {
                        word.push(WordPart::Param(Param::new(ident_text(&i))))
                    }
                    _ => return Err(self.err(p.span(), "only `$NAME` may be nested in the word of `${...}`")),
                },
                TokenTree::Punct(p)
                    if p.as_char() == '#'
                        && c.adjacent_at(0)
                        && (matches!(c.peek(), Some(TokenTree::Ident(_)))
                            || c.is_group_at(0, Delimiter::Parenthesis)) =>
                {
                    return Err(self.err(
                        p.span(),
                        "a Rust value cannot be interpolated in the word of `${...}`: assign it to a shell \
                         variable first (`v=#v;`) and write `${NAME:-$v}`, or write literal text as a string (\"#v\")",
                    ));
                }
                TokenTree::Punct(p) if BARE_PUNCT.contains(&p.as_char()) || matches!(p.as_char(), '#') => {
                    word.push(WordPart::Bare(p.as_char().to_string()))
                }
                TokenTree::Group(ig) if ig.delimiter() == Delimiter::Bracket => {
                    word.push(WordPart::Bare(self.glob_class(ig)?))
                }
                _ => {
                    return Err(self.err(
                        t.span(),
                        "only text and `$NAME` may appear in the word of `${...}`; interpolate a Rust value outside it",
                    ));
                }
            }
        }
        param.op = Some((op, word));
        Ok(param)
    }

    fn arith(&mut self, stream: TokenStream) -> R<String> {
        let mut out = String::new();
        let mut prev: Option<TokenTree> = None;
        for t in stream {
            if let Some(p) = &prev
                && !crate::tokens::adjacent(p, &t)
            {
                out.push(' ');
            }
            match &t {
                TokenTree::Ident(i) if is_name(&ident_text(i)) => out.push_str(&ident_text(i)),
                TokenTree::Literal(l) if l.to_string().bytes().all(|b| b.is_ascii_alphanumeric()) => {
                    out.push_str(&l.to_string())
                }
                TokenTree::Punct(p) if "+-*/%<>=!&|^~?:$".contains(p.as_char()) => out.push(p.as_char()),
                TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => {
                    out.push('(');
                    out.push_str(&self.arith(g.stream())?);
                    out.push(')');
                }
                _ => return Err(self.err(t.span(), "unsupported token in `$((...))`")),
            }
            prev = Some(t);
        }
        Ok(out)
    }

    /// `#name` or `#(expr)`: registers a hole and returns it.
    pub fn interpolation(&mut self, c: &mut Cursor) -> R<Hole> {
        let hash = c.bump().expect("checked");
        let usage =
            "`#` must be followed directly by a variable name (`#name`) or an expression in parentheses (`#(expr)`)";
        if c.at_end() || !c.adjacent_at(0) {
            return Err(self.err(hash.span(), usage));
        }
        if let TokenTree::Punct(p) = &hash
            && p.spacing() == Spacing::Joint
            && !c.is_punct('#')
            && matches!(c.peek(), Some(TokenTree::Punct(_)))
        {
            return Err(self.err(hash.span(), usage));
        }
        let t = c.bump().expect("checked");
        let (expr, span) = match &t {
            TokenTree::Ident(i) => (TokenStream::from(TokenTree::Ident(i.clone())), i.span()),
            TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => {
                if g.stream().is_empty() {
                    return Err(self.err(g.span(), "empty `#()`: put the Rust expression inside"));
                }
                if let Err(e) = syn::parse2::<syn::Expr>(g.stream()) {
                    self.cx.push(e);
                    return Err(Reported);
                }
                (g.stream(), g.span())
            }
            TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket => {
                return Err(
                    self.err(hash.span(), "`#[...]` (attributes, doc comments) may only come before a statement")
                );
            }
            _ => return Err(self.err(hash.span(), usage)),
        };
        let h = Hole(self.holes.len());
        self.holes.push(HoleSpec { expr, span, heredoc: false });
        Ok(h)
    }
}
