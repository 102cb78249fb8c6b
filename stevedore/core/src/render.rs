//! The POSIX `sh` renderer: IR in, text and holes out.
//!
//! Layout rules (deterministic, one statement per line, two spaces per level):
//!
//! ```text
//! if cond; then        while cond; do       for x in a b; do     case "$x" in
//!   body                 body                 body                 a|b)
//! elif cond; then      done                 done                     body
//!   body                                                               ;;
//! else                 name() {             {                    esac
//!   body                 body                 body
//! fi                   }                    }
//! ```
//!
//! A condition that is not a single one-line list (several statements, a compound command, a
//! here-document) is laid out on its own lines between `if` and `then`. Empty bodies become `:`.
//! Here-document bodies follow the line that opens them and are never indented.

use crate::ir::*;
use crate::quote::{escape_double_quoted, quote_into};
use std::fmt;

/// Spaces per indentation level.
pub const INDENT: &str = "  ";

/// How a run-time value is spliced into the script at a [`Chunk::Hole`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpliceMode {
    /// Part of a word: the value must be text, and becomes one quoted piece.
    WordPart,
    /// A word of its own where exactly one word may stand (a redirection target): the value
    /// must be one word (text, or a shell variable), and becomes that word.
    Word,
    /// In a command line: text becomes one word, a list several words, a script fragment is
    /// spliced inline (wrapped in `{ }` when it is not a single one-line list). `indent` is the
    /// level of the enclosing statement.
    Inline {
        /// Indentation level of the enclosing statement.
        indent: usize,
    },
    /// As whole statements at `indent`: a script fragment is spliced line by line, a text or list
    /// value becomes a command line.
    Lines {
        /// Indentation level of the statements.
        indent: usize,
    },
    /// As [`SpliceMode::Lines`], in a body that has nothing else: an empty value becomes `:`
    /// so the body stays valid (`then`, `do`, `{` need at least one command).
    Body {
        /// Indentation level of the statements.
        indent: usize,
    },
}

/// One piece of rendered output.
#[derive(Debug, Clone, PartialEq)]
pub enum Chunk {
    /// Finished script text.
    Text(Vec<u8>),
    /// A run-time value goes here.
    Hole {
        /// Which value.
        hole: Hole,
        /// How it is spliced.
        mode: SpliceMode,
    },
    /// The delimiter of a run-time here-document, chosen from its content at run time.
    HeredocDelimiter(Hole),
    /// The body of a run-time here-document followed by its delimiter line.
    HeredocBody(Hole),
}

/// The output of [`render`].
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Text and holes in order.
    pub chunks: Vec<Chunk>,
    /// True when the output is exactly one one-line list with no comment or here-document, so
    /// it can be placed inside a line (`if <it>; then`, `! <it>`, `<it> | cmd`).
    pub inline_safe: bool,
    /// False when some newline in the output belongs to a quoted word, a here-document or raw
    /// text, so the lines must not be re-indented when the output is nested in another script.
    pub reindentable: bool,
    /// The output is exactly one value spliced as statements (`#fragment;`): its flags are the
    /// value's, known only at run time.
    pub passthrough: bool,
}

impl Rendered {
    /// The text when there are no holes; `None` otherwise.
    pub fn text(&self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for c in &self.chunks {
            match c {
                Chunk::Text(t) => out.extend_from_slice(t),
                _ => return None,
            }
        }
        Some(out)
    }
}

/// Why a tree could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// A literal contains a NUL byte, which no shell word can hold.
    Nul {
        /// A short description of where.
        context: String,
    },
    /// A name (variable, function, loop variable) is not a valid shell name.
    InvalidName(String),
    /// A construct the renderer cannot express in POSIX sh.
    Unsupported(String),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Nul { context } => write!(f, "NUL byte in {context}; shell words cannot hold NUL"),
            RenderError::InvalidName(n) => write!(f, "`{n}` is not a valid shell name ([A-Za-z_][A-Za-z0-9_]*)"),
            RenderError::Unsupported(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for RenderError {}

/// Renders `block` as top-level statements.
///
/// ```
/// use stevedore_core::ir::*;
/// use stevedore_core::render::render;
/// let b = Block(vec![Simple::new("echo").arg("hello world").stmt()]);
/// assert_eq!(render(&b).unwrap().text().unwrap(), b"echo 'hello world'\n");
/// ```
///
/// # Errors
/// See [`RenderError`].
pub fn render(block: &Block) -> Result<Rendered, RenderError> {
    render_at(block, 0)
}

/// Renders `block` with its statements at indentation level `indent`.
///
/// # Errors
/// See [`RenderError`].
pub fn render_at(block: &Block, indent: usize) -> Result<Rendered, RenderError> {
    let mut r = Renderer { chunks: Vec::new(), heredocs: Vec::new(), reindentable: true };
    r.block(block, indent)?;
    let inline_safe = block_is_inline(block) && sole_hole(block).is_none();
    let passthrough = indent == 0 && sole_hole(block).is_some();
    Ok(Rendered { chunks: r.chunks, inline_safe, reindentable: r.reindentable, passthrough })
}

/// Renders a tree without holes to text.
///
/// # Errors
/// See [`RenderError`]; a tree with holes is [`RenderError::Unsupported`].
pub fn render_text(block: &Block) -> Result<String, RenderError> {
    let rendered = render(block)?;
    let bytes = rendered
        .text()
        .ok_or_else(|| RenderError::Unsupported("the tree has holes; fill them through a script builder".into()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

enum PendingHeredoc {
    Static { delimiter: String, body: String },
    Hole(Hole),
}

struct Renderer {
    chunks: Vec<Chunk>,
    heredocs: Vec<PendingHeredoc>,
    reindentable: bool,
}

/// The hole of a block that is exactly one command made of one hole.
pub fn sole_hole(block: &Block) -> Option<Hole> {
    match block.0.as_slice() {
        [Stmt::List(l)] => list_sole_hole(l),
        _ => None,
    }
}

fn list_sole_hole(l: &AndOr) -> Option<Hole> {
    if !l.rest.is_empty() || l.background || l.first.negated || l.first.commands.len() != 1 {
        return None;
    }
    match &l.first.commands[0] {
        Command::Simple(s) if s.assignments.is_empty() && s.redirects.is_empty() => match s.args.as_slice() {
            [Arg::Hole(h)] => Some(*h),
            _ => None,
        },
        _ => None,
    }
}

/// Can `block` be written on one line (`if <block>; then`)?
pub fn block_is_inline(block: &Block) -> bool {
    match block.0.as_slice() {
        [Stmt::List(l)] => list_is_inline(l),
        _ => false,
    }
}

fn list_is_inline(l: &AndOr) -> bool {
    std::iter::once(&l.first).chain(l.rest.iter().map(|(_, p)| p)).all(|p| {
        p.commands.iter().all(|c| match c {
            Command::Compound(..) => false,
            Command::Simple(s) => {
                s.redirects.iter().all(|r| !matches!(r.kind, RedirectKind::Heredoc(_)))
                    && s.args.iter().all(|a| match a {
                        Arg::Word(w) => word_is_inline(w),
                        Arg::Hole(_) => true,
                    })
                    && s.assignments.iter().all(|a| word_is_inline(&a.value))
                    && s.redirects.iter().all(|r| match &r.kind {
                        RedirectKind::Write(w) | RedirectKind::Append(w) | RedirectKind::Read(w) => word_is_inline(w),
                        _ => true,
                    })
            }
        })
    })
}

fn word_is_inline(w: &Word) -> bool {
    w.0.iter().all(|p| match p {
        WordPart::CommandSubst { body, .. } => block_is_inline(body),
        _ => true,
    })
}

impl Renderer {
    fn text(&mut self, s: &[u8]) {
        if let Some(Chunk::Text(t)) = self.chunks.last_mut() {
            t.extend_from_slice(s);
        } else {
            self.chunks.push(Chunk::Text(s.to_vec()));
        }
    }

    fn str(&mut self, s: &str) {
        self.text(s.as_bytes());
    }

    fn indent(&mut self, n: usize) {
        for _ in 0..n {
            self.str(INDENT);
        }
    }

    fn end_line(&mut self) {
        self.str("\n");
        for h in std::mem::take(&mut self.heredocs) {
            self.reindentable = false;
            match h {
                PendingHeredoc::Static { delimiter, body } => {
                    self.str(&body);
                    if !body.is_empty() && !body.ends_with('\n') {
                        self.str("\n");
                    }
                    self.str(&delimiter);
                    self.str("\n");
                }
                PendingHeredoc::Hole(h) => self.chunks.push(Chunk::HeredocBody(h)),
            }
        }
    }

    fn block(&mut self, b: &Block, indent: usize) -> Result<(), RenderError> {
        for s in &b.0 {
            self.stmt(s, indent)?;
        }
        Ok(())
    }

    /// A body: never empty (`:` stands in for nothing, also when its only statements are
    /// values that may turn out empty).
    fn body(&mut self, b: &Block, indent: usize) -> Result<(), RenderError> {
        if b.0.iter().all(|s| matches!(s, Stmt::Comment(_))) {
            self.block(b, indent)?;
            self.indent(indent);
            self.str(":");
            self.end_line();
            return Ok(());
        }
        let only_holes = b.0.iter().all(|s| match s {
            Stmt::Comment(_) => true,
            Stmt::List(l) => list_sole_hole(l).is_some(),
            _ => false,
        });
        if only_holes {
            for s in &b.0 {
                match s {
                    Stmt::List(l) => {
                        let hole = list_sole_hole(l).expect("checked");
                        self.chunks.push(Chunk::Hole { hole, mode: SpliceMode::Body { indent } });
                    }
                    other => self.stmt(other, indent)?,
                }
            }
            return Ok(());
        }
        self.block(b, indent)
    }

    fn stmt(&mut self, s: &Stmt, indent: usize) -> Result<(), RenderError> {
        match s {
            Stmt::Comment(c) => {
                for line in c.lines() {
                    self.indent(indent);
                    if line.is_empty() {
                        self.str("#");
                    } else {
                        self.str("# ");
                        self.str(line);
                    }
                    self.str("\n");
                }
                if c.is_empty() {
                    self.indent(indent);
                    self.str("#\n");
                }
            }
            Stmt::Raw(text) => {
                let text = text.trim_end_matches('\n');
                if text.contains('\n') {
                    self.reindentable = false;
                }
                self.indent(indent);
                self.str(text);
                self.str("\n");
            }
            Stmt::Function(f) => {
                if !is_name(&f.name) {
                    return Err(RenderError::InvalidName(f.name.clone()));
                }
                self.indent(indent);
                self.str(&f.name);
                self.str("() {\n");
                self.body(&f.body, indent + 1)?;
                self.indent(indent);
                self.str("}\n");
            }
            Stmt::List(l) => {
                if let Some(h) = list_sole_hole(l) {
                    self.chunks.push(Chunk::Hole { hole: h, mode: SpliceMode::Lines { indent } });
                    return Ok(());
                }
                self.indent(indent);
                self.and_or(l, indent)?;
                self.end_line();
            }
        }
        Ok(())
    }

    fn and_or(&mut self, l: &AndOr, indent: usize) -> Result<(), RenderError> {
        self.pipeline(&l.first, indent)?;
        for (c, p) in &l.rest {
            self.str(match c {
                Connector::And => " && ",
                Connector::Or => " || ",
            });
            self.pipeline(p, indent)?;
        }
        if l.background {
            self.str(" &");
        }
        Ok(())
    }

    fn pipeline(&mut self, p: &Pipeline, indent: usize) -> Result<(), RenderError> {
        if p.commands.is_empty() {
            return Err(RenderError::Unsupported("a pipeline needs at least one command".into()));
        }
        if p.negated {
            self.str("! ");
        }
        for (i, c) in p.commands.iter().enumerate() {
            if i > 0 {
                self.str(" | ");
            }
            self.command(c, indent)?;
        }
        Ok(())
    }

    fn command(&mut self, c: &Command, indent: usize) -> Result<(), RenderError> {
        match c {
            Command::Simple(s) => self.simple(s, indent),
            Command::Compound(c, redirects) => {
                self.compound(c, indent)?;
                for r in redirects {
                    self.str(" ");
                    self.redirect(r, indent)?;
                }
                Ok(())
            }
        }
    }

    fn simple(&mut self, s: &Simple, indent: usize) -> Result<(), RenderError> {
        let mut first = true;
        let mut sep = |r: &mut Renderer| {
            if !std::mem::replace(&mut first, false) {
                r.str(" ");
            }
        };
        for a in &s.assignments {
            if !is_name(&a.name) {
                return Err(RenderError::InvalidName(a.name.clone()));
            }
            sep(self);
            self.str(&a.name);
            self.str("=");
            self.word_parts(&a.value.0, indent, "an assignment")?;
        }
        for a in &s.args {
            sep(self);
            match a {
                Arg::Word(w) => self.word(w, indent)?,
                Arg::Hole(h) => self.chunks.push(Chunk::Hole { hole: *h, mode: SpliceMode::Inline { indent } }),
            }
        }
        for r in &s.redirects {
            sep(self);
            self.redirect(r, indent)?;
        }
        if first {
            // Nothing at all: the null command keeps the syntax valid.
            self.str(":");
        }
        Ok(())
    }

    fn redirect(&mut self, r: &Redirect, indent: usize) -> Result<(), RenderError> {
        if let Some(fd) = r.fd {
            self.str(&fd.to_string());
        }
        match &r.kind {
            RedirectKind::Write(w) => {
                self.str(">");
                self.target(w, indent)
            }
            RedirectKind::Append(w) => {
                self.str(">>");
                self.target(w, indent)
            }
            RedirectKind::Read(w) => {
                self.str("<");
                self.target(w, indent)
            }
            RedirectKind::DupOut(t) | RedirectKind::DupIn(t) => {
                if !(t == "-" || (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))) {
                    return Err(RenderError::Unsupported(format!(
                        "descriptor duplication needs a number or `-`, not `{t}`"
                    )));
                }
                self.str(if matches!(r.kind, RedirectKind::DupOut(_)) { ">&" } else { "<&" });
                self.str(t);
                Ok(())
            }
            RedirectKind::Heredoc(HeredocBody::Static(body)) => {
                if body.contains('\0') {
                    return Err(RenderError::Nul { context: "a here-document".into() });
                }
                let delimiter = heredoc_delimiter(body);
                self.str("<<'");
                self.str(&delimiter);
                self.str("'");
                self.heredocs.push(PendingHeredoc::Static { delimiter, body: body.clone() });
                Ok(())
            }
            RedirectKind::Heredoc(HeredocBody::Hole(h)) => {
                self.str("<<");
                self.chunks.push(Chunk::HeredocDelimiter(*h));
                self.heredocs.push(PendingHeredoc::Hole(*h));
                Ok(())
            }
        }
    }

    /// `if cond; then` / `while cond; do`: the condition inline when it fits on one line,
    /// otherwise on its own lines.
    fn cond(&mut self, keyword: &str, cond: &Block, then: &str, indent: usize) -> Result<(), RenderError> {
        self.str(keyword);
        if let (Some(h), true) = (sole_hole(cond), !cond.0.is_empty()) {
            self.str(" ");
            self.chunks.push(Chunk::Hole { hole: h, mode: SpliceMode::Inline { indent } });
            self.str("; ");
        } else if block_is_inline(cond) {
            self.str(" ");
            if let [Stmt::List(l)] = cond.0.as_slice() {
                self.and_or(l, indent)?;
            }
            self.str("; ");
        } else {
            self.str("\n");
            self.body(cond, indent + 1)?;
            self.indent(indent);
        }
        self.str(then);
        self.str("\n");
        Ok(())
    }

    fn compound(&mut self, c: &Compound, indent: usize) -> Result<(), RenderError> {
        match c {
            Compound::If(i) => {
                if i.branches.is_empty() {
                    return Err(RenderError::Unsupported("`if` needs at least one branch".into()));
                }
                for (n, (cond, body)) in i.branches.iter().enumerate() {
                    if n > 0 {
                        self.indent(indent);
                    }
                    self.cond(if n == 0 { "if" } else { "elif" }, cond, "then", indent)?;
                    self.body(body, indent + 1)?;
                }
                if let Some(e) = &i.otherwise {
                    self.indent(indent);
                    self.str("else\n");
                    self.body(e, indent + 1)?;
                }
                self.indent(indent);
                self.str("fi");
            }
            Compound::While(w) => {
                self.cond(if w.until { "until" } else { "while" }, &w.cond, "do", indent)?;
                self.body(&w.body, indent + 1)?;
                self.indent(indent);
                self.str("done");
            }
            Compound::For(f) => {
                if !is_name(&f.var) {
                    return Err(RenderError::InvalidName(f.var.clone()));
                }
                self.str("for ");
                self.str(&f.var);
                self.str(" in");
                for a in &f.words {
                    self.str(" ");
                    match a {
                        Arg::Word(w) => self.word(w, indent)?,
                        Arg::Hole(h) => self.chunks.push(Chunk::Hole { hole: *h, mode: SpliceMode::Inline { indent } }),
                    }
                }
                self.str("; do\n");
                self.body(&f.body, indent + 1)?;
                self.indent(indent);
                self.str("done");
            }
            Compound::Case(c) => {
                self.str("case ");
                self.word(&c.word, indent)?;
                self.str(" in\n");
                for arm in &c.arms {
                    if arm.patterns.is_empty() {
                        return Err(RenderError::Unsupported("a `case` arm needs a pattern".into()));
                    }
                    self.indent(indent + 1);
                    for (n, p) in arm.patterns.iter().enumerate() {
                        if n > 0 {
                            self.str("|");
                        }
                        self.word(p, indent)?;
                    }
                    self.str(")\n");
                    self.block(&arm.body, indent + 2)?;
                    self.indent(indent + 2);
                    self.str(";;\n");
                }
                self.indent(indent);
                self.str("esac");
            }
            Compound::Group(b) => {
                self.str("{\n");
                self.body(b, indent + 1)?;
                self.indent(indent);
                self.str("}");
            }
            Compound::Subshell(b) => {
                self.str("(\n");
                self.body(b, indent + 1)?;
                self.indent(indent);
                self.str(")");
            }
        }
        Ok(())
    }

    /// A redirection target: a word that is one hole takes any one-word value.
    fn target(&mut self, w: &Word, indent: usize) -> Result<(), RenderError> {
        if let [WordPart::Hole(h)] = w.0.as_slice() {
            self.chunks.push(Chunk::Hole { hole: *h, mode: SpliceMode::Word });
            return Ok(());
        }
        self.word(w, indent)
    }

    fn word(&mut self, w: &Word, indent: usize) -> Result<(), RenderError> {
        if w.0.is_empty() {
            self.str("''");
            return Ok(());
        }
        self.word_parts(&w.0, indent, "a word")
    }

    fn word_parts(&mut self, parts: &[WordPart], indent: usize, what: &str) -> Result<(), RenderError> {
        for p in parts {
            match p {
                WordPart::Bare(s) => self.str(s),
                WordPart::Literal(b) => {
                    let mut out = Vec::new();
                    quote_into(b, &mut out).map_err(|_| RenderError::Nul { context: what.to_string() })?;
                    if b.contains(&b'\n') {
                        self.reindentable = false;
                    }
                    self.text(&out);
                }
                WordPart::Param(p) => self.param(p)?,
                WordPart::CommandSubst { body, split } => {
                    if !split {
                        self.str("\"");
                    }
                    self.str("$(");
                    if block_is_inline(body) {
                        if let Some(h) = sole_hole(body) {
                            self.chunks.push(Chunk::Hole { hole: h, mode: SpliceMode::Inline { indent } });
                        } else if let [Stmt::List(l)] = body.0.as_slice() {
                            self.and_or(l, indent)?;
                        }
                    } else {
                        self.str("\n");
                        self.body(body, indent + 1)?;
                        self.indent(indent);
                    }
                    self.str(")");
                    if !split {
                        self.str("\"");
                    }
                }
                WordPart::Arith(e) => {
                    self.str("$((");
                    self.str(e);
                    self.str("))");
                }
                WordPart::Hole(h) => self.chunks.push(Chunk::Hole { hole: *h, mode: SpliceMode::WordPart }),
            }
        }
        Ok(())
    }

    fn param(&mut self, p: &Param) -> Result<(), RenderError> {
        if !is_name(&p.name) && !is_special_param(&p.name) {
            return Err(RenderError::InvalidName(p.name.clone()));
        }
        let positional_multi = p.name.len() > 1 && p.name.bytes().all(|b| b.is_ascii_digit());
        let braces = p.split || p.length || p.op.is_some() || positional_multi;
        if !p.split {
            self.str("\"");
        }
        self.str("$");
        if braces {
            self.str("{");
        }
        if p.length {
            self.str("#");
        }
        self.str(&p.name);
        if let Some((op, word)) = &p.op {
            self.str(op.as_str());
            for part in word {
                match part {
                    WordPart::Bare(s) => self.str(s),
                    WordPart::Literal(b) => {
                        let s = std::str::from_utf8(b)
                            .map_err(|_| RenderError::Unsupported("non-UTF-8 text in `${...}`".into()))?;
                        if s.contains('\0') {
                            return Err(RenderError::Nul { context: "`${...}`".into() });
                        }
                        if p.split {
                            let mut out = Vec::new();
                            quote_into(b, &mut out).map_err(|_| RenderError::Nul { context: "`${...}`".into() })?;
                            self.text(&out);
                        } else {
                            if s.contains('}') {
                                return Err(RenderError::Unsupported(
                                    "`}` in the word of a quoted `${...}` is not portable; assign the text to a variable first".into(),
                                ));
                            }
                            self.str(&escape_double_quoted(s));
                        }
                    }
                    WordPart::Param(inner) => {
                        let mut inner = inner.clone();
                        inner.split = true;
                        self.param(&inner)?;
                    }
                    WordPart::CommandSubst { .. } | WordPart::Arith(_) | WordPart::Hole(_) => {
                        return Err(RenderError::Unsupported(
                            "only text and `$NAME` may appear in the word of `${...}`".into(),
                        ));
                    }
                }
            }
        }
        if braces {
            self.str("}");
        }
        if !p.split {
            self.str("\"");
        }
        Ok(())
    }
}

/// Picks a here-document delimiter that does not occur anywhere in `body` (so no line can end
/// the document early, and linters see no look-alike): `EOF`, then `EOF_1`, ...
pub fn heredoc_delimiter(body: &str) -> String {
    heredoc_delimiter_bytes(body.as_bytes())
}

/// Like [`heredoc_delimiter`] for bytes.
pub fn heredoc_delimiter_bytes(body: &[u8]) -> String {
    let mut delimiter = String::from("EOF");
    let mut n = 0;
    while body.windows(delimiter.len()).any(|w| w == delimiter.as_bytes()) {
        n += 1;
        delimiter = format!("EOF_{n}");
    }
    delimiter
}
