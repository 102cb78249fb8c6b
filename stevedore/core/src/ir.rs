//! The shell IR: a typed tree of POSIX `sh` constructs.
//!
//! The tree follows the POSIX grammar: a [`Block`] is a list of [`Stmt`]s; a statement is an
//! and-or list of pipelines ([`AndOr`]), a shell function, a comment, or raw text checked
//! elsewhere; a pipeline joins [`Command`]s, each simple (words, assignments, redirections) or
//! compound (`if`, `while`/`until`, `for`, `case`, `{ }`, `( )`).
//!
//! [`Hole`]s mark places filled at run time with Rust values: the `script!` macro renders the tree
//! at compile time and only the holes are quoted when the program runs. Trees built by hand at
//! run time use [`WordPart::Literal`] for values instead and have no holes.

/// A place in a script filled at run time, numbered by the macro that made the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hole(pub usize);

/// A sequence of statements, rendered one per line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block(pub Vec<Stmt>);

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// An and-or list of pipelines: `a && b || c`, optionally run in the background (`&`).
    List(AndOr),
    /// `name() { body }`.
    Function(Function),
    /// A comment line (`# text`); each line of the text becomes one comment line.
    Comment(String),
    /// Shell text emitted verbatim. Whoever builds this is responsible for its syntax (the
    /// `script!` macro checks it with a shell parser at compile time).
    Raw(String),
}

/// `first (&& | ||) second ...`, with `&` when `background` is set.
#[derive(Debug, Clone, PartialEq)]
pub struct AndOr {
    /// The first pipeline.
    pub first: Pipeline,
    /// The following pipelines with the operator before each.
    pub rest: Vec<(Connector, Pipeline)>,
    /// Run the whole list asynchronously (`&`).
    pub background: bool,
}

/// `&&` or `||`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    /// `&&`: run the next pipeline only if this one succeeded.
    And,
    /// `||`: run the next pipeline only if this one failed.
    Or,
}

/// `[!] cmd | cmd | ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// `!`: invert the exit status of the pipeline.
    pub negated: bool,
    /// The commands, at least one.
    pub commands: Vec<Command>,
}

/// A simple or compound command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Assignments, words and redirections.
    Simple(Simple),
    /// A compound command with its redirections (`{ ...; } > file`).
    Compound(Compound, Vec<Redirect>),
}

/// `NAME=value ... word ... redirection ...`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Simple {
    /// Variable assignments before the command name (or alone).
    pub assignments: Vec<Assignment>,
    /// The command name and its arguments.
    pub args: Vec<Arg>,
    /// Redirections, rendered after the arguments.
    pub redirects: Vec<Redirect>,
}

/// `NAME=value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// A valid shell name (`[A-Za-z_][A-Za-z0-9_]*`).
    pub name: String,
    /// The value; an empty word assigns the empty string.
    pub value: Word,
}

/// An argument of a simple command.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// One word.
    Word(Word),
    /// A run-time value spliced by type: a text value becomes one word, a list several words,
    /// a script fragment is spliced as code. A command whose only argument is a hole is spliced
    /// as whole statements.
    Hole(Hole),
}

/// The compound commands.
#[derive(Debug, Clone, PartialEq)]
pub enum Compound {
    /// `if ...; then ...; elif ...; else ...; fi`.
    If(If),
    /// `while ...; do ...; done` or `until ...`.
    While(While),
    /// `for name in words; do ...; done`.
    For(For),
    /// `case word in pattern) ...;; esac`.
    Case(Case),
    /// `{ ...; }`: a group run in the current shell.
    Group(Block),
    /// `( ... )`: a group run in a subshell.
    Subshell(Block),
}

/// `if`/`elif` branches and an optional `else`.
#[derive(Debug, Clone, PartialEq)]
pub struct If {
    /// `(condition, body)` pairs: the first is the `if`, the rest are `elif`s.
    pub branches: Vec<(Block, Block)>,
    /// The `else` body.
    pub otherwise: Option<Block>,
}

/// `while` or `until` loop.
#[derive(Debug, Clone, PartialEq)]
pub struct While {
    /// `until` instead of `while`.
    pub until: bool,
    /// The condition list.
    pub cond: Block,
    /// The loop body.
    pub body: Block,
}

/// `for var in words; do body; done`.
#[derive(Debug, Clone, PartialEq)]
pub struct For {
    /// The loop variable, a valid shell name.
    pub var: String,
    /// The words iterated over (holes may expand to several).
    pub words: Vec<Arg>,
    /// The loop body.
    pub body: Block,
}

/// `case word in ... esac`.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The word matched.
    pub word: Word,
    /// The arms, tried in order.
    pub arms: Vec<CaseArm>,
}

/// `pattern | pattern) body ;;`.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseArm {
    /// Alternative patterns; bare `*`, `?` and `[...]` glob, quoted text matches literally.
    pub patterns: Vec<Word>,
    /// The arm body.
    pub body: Block,
}

/// `name() { body }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// A valid shell name.
    pub name: String,
    /// The function body; arguments are `$1`, `$2`, ...
    pub body: Block,
}

/// One shell word made of adjacent parts (`/etc/"$NAME".conf`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Word(pub Vec<WordPart>);

/// A piece of a word.
#[derive(Debug, Clone, PartialEq)]
pub enum WordPart {
    /// Text emitted exactly as given: identifiers, paths, options and glob characters written
    /// by the script's author. Never built from outside data.
    Bare(String),
    /// Literal bytes, quoted on output so the shell sees them unchanged.
    Literal(Vec<u8>),
    /// A parameter expansion.
    Param(Param),
    /// `$(...)`; double-quoted unless `split` is set.
    CommandSubst {
        /// The commands.
        body: Block,
        /// Leave the result unquoted so the shell splits it into fields and globs it.
        split: bool,
    },
    /// `$((expr))`: `expr` is emitted verbatim.
    Arith(String),
    /// A run-time value forming this part of the word (quoted as one piece).
    Hole(Hole),
}

/// `$NAME`, `${NAME:-word}`, `${#NAME}`, `$1`, `$?` ...
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The name: a shell name, a positional number or one of `@ * # ? - $ !`.
    pub name: String,
    /// `${#NAME}`: the length of the value.
    pub length: bool,
    /// An operator with its word: `${NAME:-word}` and friends.
    pub op: Option<(ParamOp, Vec<WordPart>)>,
    /// Leave the expansion unquoted so the shell splits it into fields and globs it.
    pub split: bool,
}

/// The operators of `${NAME<op>word}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamOp {
    /// `:-` use the word if unset or empty.
    DefaultIfEmpty,
    /// `-` use the word if unset.
    Default,
    /// `:=` assign the word if unset or empty.
    AssignIfEmpty,
    /// `=` assign the word if unset.
    Assign,
    /// `:+` use the word if set and not empty.
    AlternateIfSet,
    /// `+` use the word if set.
    Alternate,
    /// `:?` fail with the word as message if unset or empty.
    ErrorIfEmpty,
    /// `?` fail with the word as message if unset.
    Error,
    /// `#` remove the shortest matching prefix.
    RemoveSmallestPrefix,
    /// `##` remove the longest matching prefix.
    RemoveLargestPrefix,
    /// `%` remove the shortest matching suffix.
    RemoveSmallestSuffix,
    /// `%%` remove the longest matching suffix.
    RemoveLargestSuffix,
}

impl ParamOp {
    /// The operator as written in the shell.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamOp::DefaultIfEmpty => ":-",
            ParamOp::Default => "-",
            ParamOp::AssignIfEmpty => ":=",
            ParamOp::Assign => "=",
            ParamOp::AlternateIfSet => ":+",
            ParamOp::Alternate => "+",
            ParamOp::ErrorIfEmpty => ":?",
            ParamOp::Error => "?",
            ParamOp::RemoveSmallestPrefix => "#",
            ParamOp::RemoveLargestPrefix => "##",
            ParamOp::RemoveSmallestSuffix => "%",
            ParamOp::RemoveLargestSuffix => "%%",
        }
    }

    /// All operators, longest spelling first (the order to try when parsing).
    pub const ALL: [ParamOp; 12] = [
        ParamOp::DefaultIfEmpty,
        ParamOp::AssignIfEmpty,
        ParamOp::AlternateIfSet,
        ParamOp::ErrorIfEmpty,
        ParamOp::RemoveLargestPrefix,
        ParamOp::RemoveLargestSuffix,
        ParamOp::Default,
        ParamOp::Assign,
        ParamOp::Alternate,
        ParamOp::Error,
        ParamOp::RemoveSmallestPrefix,
        ParamOp::RemoveSmallestSuffix,
    ];
}

/// A redirection: `[fd]op target`.
#[derive(Debug, Clone, PartialEq)]
pub struct Redirect {
    /// The file descriptor redirected; `None` means the operator's default (0 or 1).
    pub fd: Option<u32>,
    /// The operator and its target.
    pub kind: RedirectKind,
}

/// Redirection operators.
#[derive(Debug, Clone, PartialEq)]
pub enum RedirectKind {
    /// `> word`: write, truncating.
    Write(Word),
    /// `>> word`: append.
    Append(Word),
    /// `< word`: read.
    Read(Word),
    /// `>&N` (or `>&-` to close): duplicate an output descriptor.
    DupOut(String),
    /// `<&N` (or `<&-`): duplicate an input descriptor.
    DupIn(String),
    /// `<<'DELIM'`: a here-document with literal content (no expansion).
    Heredoc(HeredocBody),
}

/// The content of a here-document.
#[derive(Debug, Clone, PartialEq)]
pub enum HeredocBody {
    /// Content known when the tree is built. A final newline is added if missing.
    Static(String),
    /// Content filled at run time; the delimiter is then chosen at run time too.
    Hole(Hole),
}

// ----- builders -------------------------------------------------------------------------------

impl Word {
    /// A word of author-written text emitted as is (see [`WordPart::Bare`]).
    pub fn bare(s: impl Into<String>) -> Word {
        Word(vec![WordPart::Bare(s.into())])
    }

    /// A word holding `bytes` literally (quoted on output).
    pub fn literal(bytes: impl Into<Vec<u8>>) -> Word {
        Word(vec![WordPart::Literal(bytes.into())])
    }

    /// `"$name"`.
    pub fn param(name: impl Into<String>) -> Word {
        Word(vec![WordPart::Param(Param::new(name))])
    }
}

impl Param {
    /// `"$name"`, quoted, no operator.
    pub fn new(name: impl Into<String>) -> Param {
        Param { name: name.into(), length: false, op: None, split: false }
    }
}

impl Simple {
    /// A command whose name is `name`, emitted as a literal word.
    pub fn new(name: impl AsRef<str>) -> Simple {
        Simple { args: vec![Arg::Word(Word::literal(name.as_ref()))], ..Simple::default() }
    }

    /// Adds a literal argument.
    pub fn arg(mut self, a: impl AsRef<[u8]>) -> Simple {
        self.args.push(Arg::Word(Word::literal(a.as_ref())));
        self
    }

    /// Adds a word argument.
    pub fn word(mut self, w: Word) -> Simple {
        self.args.push(Arg::Word(w));
        self
    }

    /// Adds a redirection.
    pub fn redirect(mut self, fd: Option<u32>, kind: RedirectKind) -> Simple {
        self.redirects.push(Redirect { fd, kind });
        self
    }

    /// This command as a one-command statement.
    pub fn stmt(self) -> Stmt {
        Stmt::List(AndOr::single(Command::Simple(self)))
    }
}

impl AndOr {
    /// A list made of one pipeline of one command.
    pub fn single(c: Command) -> AndOr {
        AndOr { first: Pipeline { negated: false, commands: vec![c] }, rest: vec![], background: false }
    }
}

impl Compound {
    /// This compound command as a statement.
    pub fn stmt(self) -> Stmt {
        Stmt::List(AndOr::single(Command::Compound(self, vec![])))
    }
}

impl Block {
    /// A block of the given statements.
    pub fn new(stmts: Vec<Stmt>) -> Block {
        Block(stmts)
    }
}

/// Is `s` a valid shell name (`[A-Za-z_][A-Za-z0-9_]*`)?
pub fn is_name(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Is `s` a special parameter (`@ * # ? - $ !`) or a positional parameter number?
pub fn is_special_param(s: &str) -> bool {
    matches!(s, "@" | "*" | "#" | "?" | "-" | "$" | "!") || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}
