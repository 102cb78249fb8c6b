//! [`Script`], the value `script!` produces, and [`ScriptBuf`], the builder its expansion uses.

use crate::dispatch::Dispatch;
use crate::interpolate::{Interpolate, OneWord, ShellWord};
use crate::os::Os;
use std::fmt;
use std::sync::Arc;
use stevedore_core::os::Axis;
use stevedore_core::quote::quote_into;
use stevedore_core::render::{INDENT, SpliceMode, heredoc_delimiter_bytes};

/// Why a script cannot be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// An interpolated value holds a NUL byte, which no shell word can carry. The script is
    /// refused rather than silently cut short.
    #[error("an interpolated value contains a NUL byte at offset {position}; shell words cannot hold NUL")]
    Nul {
        /// Byte offset of the NUL inside the value.
        position: usize,
    },
    /// A script function has no arm for the node's OS.
    #[error(
        "script function `{function}` has no implementation for {os} (it dispatches on the {axis}, which is {value} there)"
    )]
    NoImplementation {
        /// The script function.
        function: &'static str,
        /// The node's OS, as text.
        os: String,
        /// What the function dispatches on.
        axis: &'static str,
        /// The node's value on that axis, or "unknown".
        value: String,
    },
    /// A value given to a script function breaks its rule (see [`crate::names`]): the
    /// script is refused rather than letting a command read the value as an option or a name
    /// no system accepts.
    #[error("script function `{function}`: {argument}: {error}")]
    Invalid {
        /// The script function.
        function: &'static str,
        /// The argument (or option field) holding the value.
        argument: &'static str,
        /// The rule it breaks, and the value.
        error: Box<stevedore_core::names::NameError>,
    },
    /// The script calls script functions, so it can only be rendered for a given OS
    /// ([`Script::render`]), not as plain text ([`Script::to_bytes`]).
    #[error(
        "the script calls script function `{function}`, which needs a target OS: render it with Script::render(&os)"
    )]
    NeedsTarget {
        /// The first script function found.
        function: &'static str,
    },
}

#[derive(Clone)]
pub(crate) enum Segment {
    Text(Vec<u8>),
    Dispatch { call: Arc<Dispatch>, mode: SpliceMode },
}

/// A POSIX sh script or fragment: what `script!` and script functions return.
///
/// A script is text plus, where it calls script functions, points that are resolved for a node's
/// OS when it is [rendered](Script::render). Whole scripts end with a newline; an empty script is
/// empty text.
///
/// A value that cannot be quoted (a NUL byte) does not make `script!` panic: the script carries
/// the error, every script it is spliced into carries it too, and rendering returns it.
#[derive(Clone)]
pub struct Script {
    pub(crate) segments: Vec<Segment>,
    pub(crate) inline_safe: bool,
    pub(crate) reindentable: bool,
    pub(crate) error: Option<ScriptError>,
}

impl Default for Script {
    fn default() -> Self {
        Script::new()
    }
}

impl Script {
    /// The empty script.
    pub fn new() -> Script {
        Script { segments: Vec::new(), inline_safe: true, reindentable: true, error: None }
    }

    /// Raw shell text, taken as is: the one way to put code into a script at run time without the
    /// DSL. Nothing checks it; prefer `script!` (whose `sh!("...")` is checked at compile time).
    /// A missing final newline is added.
    pub fn raw(text: impl Into<String>) -> Script {
        let mut text = text.into();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        let body = text.trim_end_matches('\n');
        let one_line = !body.contains('\n');
        Script {
            inline_safe: one_line && !body.contains('#') && !body.contains("<<"),
            reindentable: one_line,
            segments: if text.is_empty() { vec![] } else { vec![Segment::Text(text.into_bytes())] },
            error: None,
        }
    }

    /// Comment lines: `# ` and each line of `text`.
    pub fn comment(text: &str) -> Script {
        let mut out = String::new();
        for line in text.lines() {
            if line.is_empty() {
                out.push_str("#\n");
            } else {
                out.push_str("# ");
                out.push_str(line);
                out.push('\n');
            }
        }
        Script {
            segments: if out.is_empty() { vec![] } else { vec![Segment::Text(out.into_bytes())] },
            inline_safe: false,
            reindentable: true,
            error: None,
        }
    }

    /// Is this the empty script?
    pub fn is_empty(&self) -> bool {
        self.segments.iter().all(|s| matches!(s, Segment::Text(t) if t.is_empty())) && self.error.is_none()
    }

    /// The error this script carries, if any (see [`ScriptError`]).
    pub fn error(&self) -> Option<&ScriptError> {
        self.error.as_ref()
    }

    /// This script, carrying `error` unless it carries one already: rendering it (or any script
    /// it is spliced into) fails with the first error. The way script functions refuse values.
    pub fn with_error(mut self, error: ScriptError) -> Script {
        if self.error.is_none() {
            self.error = Some(error);
        }
        self
    }

    /// Does the script call OS-dispatched script functions?
    pub fn needs_target(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Dispatch { .. }))
    }

    /// The script as text, for scripts that call no script function.
    ///
    /// # Errors
    /// The carried error, or [`ScriptError::NeedsTarget`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, ScriptError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let mut out = Vec::new();
        for s in &self.segments {
            match s {
                Segment::Text(t) => out.extend_from_slice(t),
                Segment::Dispatch { call, .. } => return Err(ScriptError::NeedsTarget { function: call.function }),
            }
        }
        Ok(out)
    }

    /// Like [`Script::to_bytes`], as a `String` (non-UTF-8 bytes replaced).
    ///
    /// # Errors
    /// See [`Script::to_bytes`].
    pub fn to_text(&self) -> Result<String, ScriptError> {
        self.to_bytes().map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// The script for a node running `os`: every script function call replaced by its arm for
    /// that OS.
    ///
    /// # Errors
    /// The carried error, or [`ScriptError::NoImplementation`] naming the first function without
    /// an arm for `os`.
    pub fn render(&self, os: &Os) -> Result<Vec<u8>, ScriptError> {
        self.resolve(os)?.to_bytes()
    }

    /// Like [`Script::render`], as a `String` (non-UTF-8 bytes replaced).
    ///
    /// # Errors
    /// See [`Script::render`].
    pub fn render_text(&self, os: &Os) -> Result<String, ScriptError> {
        self.render(os).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Checks that every script function this script calls has an arm for `os`, without
    /// rendering.
    ///
    /// # Errors
    /// As [`Script::render`].
    pub fn check(&self, os: &Os) -> Result<(), ScriptError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        for s in &self.segments {
            if let Segment::Dispatch { call, .. } = s {
                call.select(os)?.check(os)?;
            }
        }
        Ok(())
    }

    /// The names of the script functions called at the top level of this script.
    pub fn functions(&self) -> Vec<&'static str> {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Dispatch { call, .. } => Some(call.function),
                Segment::Text(_) => None,
            })
            .collect()
    }

    /// This script with every script function call resolved for `os`.
    fn resolve(&self, os: &Os) -> Result<Script, ScriptError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let mut b = ScriptBuf::new(self.inline_safe, self.reindentable);
        for s in &self.segments {
            match s {
                Segment::Text(t) => b.push_static(t),
                Segment::Dispatch { call, mode } => {
                    let arm = call.select(os)?.resolve(os)?;
                    b.push_script(&arm, *mode);
                }
            }
        }
        Ok(b.finish())
    }

    /// Appends `other`'s statements after this script's.
    pub fn push(&mut self, other: &Script) {
        let mut b = ScriptBuf::from_script(std::mem::take(self));
        b.push_script(other, SpliceMode::Lines { indent: 0 });
        *self = b.finish();
        self.inline_safe = false;
    }

    /// The statements of all `scripts`, in order.
    pub fn join<'a>(scripts: impl IntoIterator<Item = &'a Script>) -> Script {
        let mut out = Script::new();
        for (n, s) in scripts.into_iter().enumerate() {
            if n == 0 {
                out = s.clone();
            } else {
                out.push(s);
            }
        }
        out
    }

    pub(crate) fn from_dispatch(call: Dispatch, inline_safe: bool, error: Option<ScriptError>) -> Script {
        Script {
            segments: vec![Segment::Dispatch { call: Arc::new(call), mode: SpliceMode::Lines { indent: 0 } }],
            inline_safe,
            reindentable: true,
            error,
        }
    }
}

impl fmt::Debug for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Script({:?})", self.to_string())
    }
}

/// Shows the text; a script function call shows as a `# function(per OS)` line, a carried error
/// as a `# error:` line. For the exact text use [`Script::render`] or [`Script::to_bytes`].
impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = &self.error {
            writeln!(f, "# error: {e}")?;
        }
        for s in &self.segments {
            match s {
                Segment::Text(t) => f.write_str(&String::from_utf8_lossy(t))?,
                Segment::Dispatch { call, .. } => writeln!(f, "# {}(...) per {}", call.function, axis_word(call.axis))?,
            }
        }
        Ok(())
    }
}

fn axis_word(a: Axis) -> &'static str {
    a.describe()
}

/// A here-document body whose delimiter is chosen from its content (no line of the body equals
/// it). Used by `script!` for `<< #value`.
pub struct HeredocValue {
    body: Vec<u8>,
    delimiter: String,
    error: Option<ScriptError>,
}

impl HeredocValue {
    /// Prepares `value` as a here-document body. A final newline is added when missing.
    pub fn new<T: ShellWord + ?Sized>(value: &T) -> HeredocValue {
        let mut body = value.shell_word().into_owned();
        let error = body.iter().position(|&b| b == 0).map(|position| ScriptError::Nul { position });
        if !body.is_empty() && !body.ends_with(b"\n") {
            body.push(b'\n');
        }
        let delimiter = heredoc_delimiter_bytes(&body);
        HeredocValue { body, delimiter, error }
    }
}

/// The builder behind `script!`: static text is pushed as is, run-time values are quoted or
/// spliced by type. Public for the macro expansion and for building scripts without the DSL.
pub struct ScriptBuf {
    segments: Vec<Segment>,
    inline_safe: bool,
    reindentable: bool,
    error: Option<ScriptError>,
    /// The script is one spliced value: it takes that value's flags.
    passthrough: bool,
}

impl ScriptBuf {
    /// A builder for a script whose static structure is `inline_safe` (a single one-line list)
    /// and `reindentable` (no newline inside quotes, here-documents or raw text).
    pub fn new(inline_safe: bool, reindentable: bool) -> ScriptBuf {
        ScriptBuf { segments: Vec::new(), inline_safe, reindentable, error: None, passthrough: false }
    }

    /// A builder for a script that is exactly one spliced value (`script! { #fragment; }`): the
    /// result is that value, with its flags.
    pub fn passthrough() -> ScriptBuf {
        ScriptBuf { passthrough: true, ..ScriptBuf::new(true, true) }
    }

    fn from_script(s: Script) -> ScriptBuf {
        ScriptBuf {
            segments: s.segments,
            inline_safe: s.inline_safe,
            reindentable: s.reindentable,
            error: s.error,
            passthrough: false,
        }
    }

    fn record(&mut self, e: ScriptError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    /// Appends text verbatim.
    pub fn push_static(&mut self, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        if let Some(Segment::Text(t)) = self.segments.last_mut() {
            t.extend_from_slice(text);
        } else {
            self.segments.push(Segment::Text(text.to_vec()));
        }
    }

    fn indent(&mut self, n: usize) {
        for _ in 0..n {
            self.push_static(INDENT.as_bytes());
        }
    }

    /// Appends `bytes` quoted as exactly one shell word (or one piece of a word).
    pub fn push_word(&mut self, bytes: &[u8]) {
        let mut out = Vec::with_capacity(bytes.len() + 2);
        match quote_into(bytes, &mut out) {
            Ok(()) => {
                if bytes.contains(&b'\n') {
                    self.reindentable = false;
                }
                self.push_static(&out);
            }
            Err(stevedore_core::quote::QuoteError::Nul { position }) => {
                self.record(ScriptError::Nul { position });
                // Keep the structure valid: an empty word stands in for the refused value.
                self.push_static(b"''");
            }
        }
    }

    /// Appends a text value as one quoted piece of the current word.
    pub fn word_part<T: ShellWord + ?Sized>(&mut self, value: &T) {
        let w = value.shell_word();
        self.push_word(&w);
    }

    /// Appends a value that must be exactly one word (a redirection target that is one
    /// `#value`): text is quoted, a [`ShellVar`](crate::ShellVar) becomes `"$name"`.
    pub fn one_word<T: OneWord + ?Sized>(&mut self, value: &T) {
        value.interpolate(self, SpliceMode::WordPart);
    }

    /// Splices a value by type: see [`Interpolate`].
    pub fn splice<T: Interpolate + ?Sized>(&mut self, value: &T, mode: SpliceMode) {
        value.interpolate(self, mode);
    }

    /// Appends words (already bytes) according to `mode`: inline they are separated by spaces,
    /// as lines they form one command line.
    pub fn push_words<'a>(&mut self, words: impl IntoIterator<Item = std::borrow::Cow<'a, [u8]>>, mode: SpliceMode) {
        self.words_with(words, mode, |b, w| b.push_word(&w));
    }

    /// Appends one word that is already shell text (a `"$name"` expansion), laid out as
    /// [`ScriptBuf::push_words`] lays out a word.
    pub(crate) fn push_shell_word(&mut self, text: &[u8], mode: SpliceMode) {
        self.words_with(std::iter::once(text), mode, |b, w| b.push_static(w));
    }

    fn words_with<W>(
        &mut self,
        words: impl IntoIterator<Item = W>,
        mode: SpliceMode,
        mut emit: impl FnMut(&mut Self, W),
    ) {
        let mut n = 0;
        for w in words {
            if n == 0 {
                if let SpliceMode::Lines { indent } | SpliceMode::Body { indent } = mode {
                    self.indent(indent);
                }
            } else {
                self.push_static(b" ");
            }
            emit(self, w);
            n += 1;
        }
        if n > 0 && matches!(mode, SpliceMode::Lines { .. } | SpliceMode::Body { .. }) {
            self.push_static(b"\n");
        }
        if let (0, SpliceMode::Body { indent }) = (n, mode) {
            self.indent(indent);
            self.push_static(b":\n");
        }
        if n == 0 && matches!(mode, SpliceMode::Inline { .. }) {
            // No words: drop the separator written before them.
            if let Some(Segment::Text(t)) = self.segments.last_mut()
                && t.last() == Some(&b' ')
            {
                t.pop();
            }
        }
    }

    /// Splices a script: as lines (re-indented when safe) or inline (wrapped in `{ }` unless it
    /// is a single one-line list).
    pub fn push_script(&mut self, s: &Script, mode: SpliceMode) {
        if let Some(e) = &s.error {
            self.record(e.clone());
        }
        match mode {
            SpliceMode::WordPart | SpliceMode::Word | SpliceMode::Inline { .. } => {
                let indent = match mode {
                    SpliceMode::Inline { indent } => indent,
                    _ => 0,
                };
                if s.segments.is_empty() {
                    self.push_static(b":");
                } else if let [Segment::Dispatch { call, mode: SpliceMode::Lines { indent: 0 } }] =
                    s.segments.as_slice()
                {
                    // A script function call: the arm chosen at render time decides how it fits.
                    self.segments.push(Segment::Dispatch { call: call.clone(), mode: SpliceMode::Inline { indent } });
                } else if s.inline_safe {
                    let last = s.segments.len() - 1;
                    for (i, seg) in s.segments.iter().enumerate() {
                        match seg {
                            Segment::Text(t) => {
                                let t = if i == last { t.strip_suffix(b"\n").unwrap_or(t) } else { t };
                                self.push_static(t);
                            }
                            Segment::Dispatch { call, mode } => {
                                let mode = match mode {
                                    SpliceMode::Lines { .. }
                                    | SpliceMode::Body { .. }
                                    | SpliceMode::WordPart
                                    | SpliceMode::Word => SpliceMode::Inline { indent },
                                    SpliceMode::Inline { indent: i } => SpliceMode::Inline { indent: i + indent },
                                };
                                self.segments.push(Segment::Dispatch { call: call.clone(), mode });
                            }
                        }
                    }
                    if !s.reindentable {
                        self.reindentable = false;
                    }
                } else {
                    self.push_static(b"{\n");
                    self.push_script(s, SpliceMode::Lines { indent: indent + 1 });
                    self.indent(indent);
                    self.push_static(b"}");
                }
            }
            SpliceMode::Body { indent } => {
                if s.segments.is_empty() {
                    self.indent(indent);
                    self.push_static(b":\n");
                } else if let [Segment::Dispatch { call, mode: SpliceMode::Lines { indent: 0 } }] =
                    s.segments.as_slice()
                {
                    // Decided when the arm is known: it may be empty.
                    self.segments.push(Segment::Dispatch { call: call.clone(), mode: SpliceMode::Body { indent } });
                } else {
                    self.push_script(s, SpliceMode::Lines { indent });
                }
            }
            SpliceMode::Lines { indent } => {
                if self.passthrough && self.segments.is_empty() && indent == 0 {
                    self.segments = s.segments.clone();
                    self.inline_safe = s.inline_safe;
                    self.reindentable = s.reindentable;
                    return;
                }
                let reindent = s.reindentable;
                if !reindent {
                    self.reindentable = false;
                }
                let mut bol = true;
                let mut first_line = true;
                for seg in &s.segments {
                    match seg {
                        Segment::Text(t) => {
                            for line in t.split_inclusive(|&b| b == b'\n') {
                                if bol && line != b"\n" && (reindent || first_line) {
                                    self.indent(indent);
                                }
                                self.push_static(line);
                                bol = line.ends_with(b"\n");
                                if bol {
                                    first_line = false;
                                }
                            }
                        }
                        Segment::Dispatch { call, mode } => {
                            let mode = match *mode {
                                SpliceMode::Lines { indent: i } => SpliceMode::Lines { indent: i + indent },
                                SpliceMode::Body { indent: i } => SpliceMode::Body { indent: i + indent },
                                SpliceMode::Inline { indent: i } => {
                                    if bol {
                                        self.indent(indent);
                                    }
                                    bol = false;
                                    SpliceMode::Inline { indent: i + indent }
                                }
                                SpliceMode::WordPart => SpliceMode::WordPart,
                                SpliceMode::Word => SpliceMode::Word,
                            };
                            self.segments.push(Segment::Dispatch { call: call.clone(), mode });
                        }
                    }
                }
                if !bol
                    && !matches!(
                        s.segments.last(),
                        Some(Segment::Dispatch { mode: SpliceMode::Lines { .. } | SpliceMode::Body { .. }, .. })
                    )
                {
                    self.push_static(b"\n");
                }
            }
        }
    }

    /// Appends the quoted delimiter of a run-time here-document (after `<<`).
    pub fn heredoc_delimiter(&mut self, h: &HeredocValue) {
        self.push_static(b"'");
        self.push_static(h.delimiter.as_bytes());
        self.push_static(b"'");
    }

    /// Appends the body and closing line of a run-time here-document.
    pub fn heredoc_body(&mut self, h: &HeredocValue) {
        if let Some(e) = &h.error {
            self.record(e.clone());
        } else {
            self.push_static(&h.body);
        }
        self.push_static(h.delimiter.as_bytes());
        self.push_static(b"\n");
        self.reindentable = false;
    }

    /// The finished script.
    pub fn finish(self) -> Script {
        Script {
            segments: self.segments,
            inline_safe: self.inline_safe,
            reindentable: self.reindentable,
            error: self.error,
        }
    }
}
