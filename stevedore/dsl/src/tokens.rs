//! A cursor over token trees, and the adjacency test that joins tokens into shell words.
//!
//! Rust's lexer splits `apt-get` into `apt`, `-`, `get`; the DSL rejoins tokens that touch in the
//! source (no whitespace between them), reading line/column from their spans (stable since
//! rustc 1.88).

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// Do `a` and `b` touch in the source, with nothing between them?
pub fn adjacent(a: &TokenTree, b: &TokenTree) -> bool {
    if let (TokenTree::Punct(p), TokenTree::Punct(_)) = (a, b)
        && p.spacing() == Spacing::Joint
    {
        return true;
    }
    let end = a.span().end();
    let start = b.span().start();
    end.line != 0 && end == start
}

/// A position in a list of token trees.
pub struct Cursor {
    toks: Vec<TokenTree>,
    pos: usize,
    /// Where errors about "unexpected end" point: the closing delimiter of the enclosing group,
    /// or the macro call.
    end_span: Span,
}

impl Cursor {
    /// A cursor at the start of `stream`; `end_span` is used for errors at its end.
    pub fn new(stream: TokenStream, end_span: Span) -> Cursor {
        Cursor { toks: stream.into_iter().collect(), pos: 0, end_span }
    }

    /// A cursor over the inside of `g`.
    pub fn of_group(g: &Group) -> Cursor {
        Cursor::new(g.stream(), g.span_close())
    }

    /// No tokens left?
    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    /// The token `n` places ahead, if any.
    pub fn peek_n(&self, n: usize) -> Option<&TokenTree> {
        self.toks.get(self.pos + n)
    }

    /// The next token, if any.
    pub fn peek(&self) -> Option<&TokenTree> {
        self.peek_n(0)
    }

    /// The token before the current one, if any.
    pub fn prev(&self) -> Option<&TokenTree> {
        self.pos.checked_sub(1).and_then(|i| self.toks.get(i))
    }

    /// Takes the next token.
    pub fn bump(&mut self) -> Option<TokenTree> {
        let t = self.toks.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    /// The span of the next token, or the end span.
    pub fn span(&self) -> Span {
        self.peek().map_or(self.end_span, TokenTree::span)
    }

    /// The span used for errors at the end.
    pub fn end_span(&self) -> Span {
        self.end_span
    }

    /// Does the token `n` ahead touch the one before it?
    pub fn adjacent_at(&self, n: usize) -> bool {
        let i = self.pos + n;
        match (i.checked_sub(1).and_then(|j| self.toks.get(j)), self.toks.get(i)) {
            (Some(a), Some(b)) => adjacent(a, b),
            _ => false,
        }
    }

    /// Is the token `n` ahead the punctuation `c`?
    pub fn is_punct_at(&self, n: usize, c: char) -> bool {
        matches!(self.peek_n(n), Some(TokenTree::Punct(p)) if p.as_char() == c)
    }

    /// Is the next token the punctuation `c`?
    pub fn is_punct(&self, c: char) -> bool {
        self.is_punct_at(0, c)
    }

    /// Is the next token the two-character operator `a b` (written without space)?
    pub fn is_op2(&self, a: char, b: char) -> bool {
        matches!(self.peek(), Some(TokenTree::Punct(p)) if p.as_char() == a && p.spacing() == Spacing::Joint)
            && self.is_punct_at(1, b)
    }

    /// Is the next token the identifier `name`?
    pub fn is_ident(&self, name: &str) -> bool {
        matches!(self.peek(), Some(TokenTree::Ident(i)) if i == name)
    }

    /// Is the token `n` ahead a group with delimiter `d`?
    pub fn is_group_at(&self, n: usize, d: Delimiter) -> bool {
        matches!(self.peek_n(n), Some(TokenTree::Group(g)) if g.delimiter() == d)
    }

    /// Is the next token a group with delimiter `d`?
    pub fn is_group(&self, d: Delimiter) -> bool {
        self.is_group_at(0, d)
    }

    /// Takes the next token if it is a group with delimiter `d`.
    pub fn group(&mut self, d: Delimiter) -> Option<Group> {
        match self.peek() {
            Some(TokenTree::Group(g)) if g.delimiter() == d => {
                let g = g.clone();
                self.pos += 1;
                Some(g)
            }
            _ => None,
        }
    }

    /// Takes the next token if it is an identifier.
    pub fn ident(&mut self) -> Option<Ident> {
        match self.peek() {
            Some(TokenTree::Ident(i)) => {
                let i = i.clone();
                self.pos += 1;
                Some(i)
            }
            _ => None,
        }
    }

    /// Takes the next token if it is a literal.
    pub fn literal(&mut self) -> Option<Literal> {
        match self.peek() {
            Some(TokenTree::Literal(l)) => {
                let l = l.clone();
                self.pos += 1;
                Some(l)
            }
            _ => None,
        }
    }

    /// Takes the next token if it is the punctuation `c`.
    pub fn punct(&mut self, c: char) -> Option<Punct> {
        match self.peek() {
            Some(TokenTree::Punct(p)) if p.as_char() == c => {
                let p = p.clone();
                self.pos += 1;
                Some(p)
            }
            _ => None,
        }
    }

    /// Skips to just after the next `;` at this level (or to the end): error recovery.
    pub fn skip_statement(&mut self) {
        while let Some(t) = self.bump() {
            if matches!(&t, TokenTree::Punct(p) if p.as_char() == ';') {
                break;
            }
        }
    }
}

/// The text of an identifier without a raw prefix (`r#type` → `type`).
pub fn ident_text(i: &Ident) -> String {
    let s = i.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}
