//! Files, directories, links and line edits.

use super::{Action, ActionError, RenderContext, check, check_attributes, check_flag, ensure_attributes, mode_text};
use stevedore::names;
use stevedore::{Script, script};

/// Present or absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ensure {
    /// Create it (default).
    #[default]
    Present,
    /// Delete it.
    Absent,
}

/// Attributes shared by file-like actions.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Attrs {
    pub owner: Option<String>,
    pub group: Option<String>,
    pub mode: Option<u32>,
}

impl Attrs {
    fn describe(&self) -> String {
        let mut s = String::new();
        if let Some(o) = &self.owner {
            s.push_str(&format!(" owner {o}"));
        }
        if let Some(g) = &self.group {
            s.push_str(&format!(" group {g}"));
        }
        if let Some(m) = self.mode {
            s.push_str(&format!(" mode {}", mode_text(m)));
        }
        s
    }

    fn script(&self, path: &str, recursive: bool) -> Script {
        ensure_attributes(path, self.owner.as_deref(), self.group.as_deref(), self.mode, recursive)
    }

    /// Checks owner, group and mode ([`check_attributes`]).
    pub(crate) fn validate(&self, action: &str) -> Result<(), ActionError> {
        check_attributes(action, self.owner.as_deref(), self.group.as_deref(), self.mode)
    }
}

macro_rules! attr_builders {
    ($t:ty) => {
        impl $t {
            /// Sets the owner (a user name or numeric uid: `stevedore::names::owner`), enforced
            /// on every run.
            pub fn owner(mut self, owner: impl Into<String>) -> Self {
                self.attrs.owner = Some(owner.into());
                self
            }

            /// Sets the group (a group name or numeric gid: `stevedore::names::group`), enforced
            /// on every run.
            pub fn group(mut self, group: impl Into<String>) -> Self {
                self.attrs.group = Some(group.into());
                self
            }

            /// Sets the mode (`0o644`, at most `0o7777`), enforced on every run.
            pub fn mode(mut self, mode: u32) -> Self {
                self.attrs.mode = Some(mode);
                self
            }
        }
    };
}
pub(crate) use attr_builders;

/// A plain file: created empty when missing, or deleted (Pallet's `file`).
#[derive(Debug, Clone)]
pub struct File {
    path: String,
    ensure: Ensure,
    attrs: Attrs,
}

/// A file at `path` (absolute), created empty if missing (`touch`); `.absent()` deletes it.
pub fn file(path: impl Into<String>) -> File {
    File { path: path.into(), ensure: Ensure::Present, attrs: Attrs::default() }
}

attr_builders!(File);

impl File {
    /// Deletes the file instead.
    pub fn absent(mut self) -> Self {
        self.ensure = Ensure::Absent;
        self
    }

    /// Sets present or absent.
    pub fn ensure(mut self, e: Ensure) -> Self {
        self.ensure = e;
        self
    }
}

impl Action for File {
    fn kind(&self) -> &'static str {
        "file"
    }

    fn describe(&self) -> String {
        match self.ensure {
            Ensure::Present => format!("file {}{}", self.path, self.attrs.describe()),
            Ensure::Absent => format!("file {} absent", self.path),
        }
    }

    fn validate(&self) -> Result<(), ActionError> {
        check("file", "path", names::file_path(&self.path))?;
        self.attrs.validate("file")
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let path = &self.path;
        Ok(match self.ensure {
            Ensure::Present => {
                let attrs = self.attrs.script(path, false);
                script! {
                    if [ ! -e #path ] { p_changed; p_checking || touch -- #path; }
                    if [ -e #path ] { #attrs; }
                }
            }
            Ensure::Absent => script! {
                if [ -e #path ] || [ -L #path ] { p_changed; p_checking || rm -f -- #path; }
            },
        })
    }
}

/// A directory (Pallet's `directory`).
#[derive(Debug, Clone)]
pub struct Directory {
    path: String,
    ensure: Ensure,
    recursive: bool,
    attrs: Attrs,
}

/// A directory at `path` (absolute), created with its parents when missing; `.absent()` deletes
/// it with its content.
pub fn directory(path: impl Into<String>) -> Directory {
    Directory { path: path.into(), ensure: Ensure::Present, recursive: false, attrs: Attrs::default() }
}

attr_builders!(Directory);

impl Directory {
    /// Deletes the directory and its content instead.
    pub fn absent(mut self) -> Self {
        self.ensure = Ensure::Absent;
        self
    }

    /// Sets present or absent.
    pub fn ensure(mut self, e: Ensure) -> Self {
        self.ensure = e;
        self
    }

    /// Applies owner and group to everything inside too (mode stays on the directory itself).
    pub fn recursive(mut self, on: bool) -> Self {
        self.recursive = on;
        self
    }
}

impl Action for Directory {
    fn kind(&self) -> &'static str {
        "directory"
    }

    fn describe(&self) -> String {
        match self.ensure {
            Ensure::Present => format!(
                "directory {}{}{}",
                self.path,
                self.attrs.describe(),
                if self.recursive { " recursive" } else { "" }
            ),
            Ensure::Absent => format!("directory {} absent", self.path),
        }
    }

    fn validate(&self) -> Result<(), ActionError> {
        check("directory", "path", names::absolute_path(&self.path))?;
        self.attrs.validate("directory")
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let path = &self.path;
        Ok(match self.ensure {
            Ensure::Present => {
                let attrs = self.attrs.script(path, self.recursive);
                script! {
                    if [ ! -d #path ] { p_changed; p_checking || mkdir -p -- #path; }
                    if [ -d #path ] { #attrs; }
                }
            }
            Ensure::Absent => script! {
                if [ -e #path ] || [ -L #path ] { p_changed; p_checking || rm -rf -- #path; }
            },
        })
    }
}

/// A symbolic link (Pallet's `symbolic-link`).
#[derive(Debug, Clone)]
pub struct SymbolicLink {
    target: String,
    link: String,
    ensure: Ensure,
}

/// A symbolic link at `link` (an absolute path) pointing to `target` (any non-empty text without
/// NUL, at most 4095 bytes: a relative target is relative to the link's directory); replaced
/// when it points elsewhere.
pub fn symbolic_link(target: impl Into<String>, link: impl Into<String>) -> SymbolicLink {
    SymbolicLink { target: target.into(), link: link.into(), ensure: Ensure::Present }
}

impl SymbolicLink {
    /// Deletes the link instead.
    pub fn absent(mut self) -> Self {
        self.ensure = Ensure::Absent;
        self
    }
}

impl Action for SymbolicLink {
    fn kind(&self) -> &'static str {
        "symbolic_link"
    }

    fn describe(&self) -> String {
        match self.ensure {
            Ensure::Present => format!("symbolic_link {} -> {}", self.link, self.target),
            Ensure::Absent => format!("symbolic_link {} absent", self.link),
        }
    }

    fn validate(&self) -> Result<(), ActionError> {
        check("symbolic_link", "link", names::file_path(&self.link))?;
        if self.target.is_empty() || self.target.contains('\0') || self.target.len() > names::PATH_MAX {
            return Err(ActionError::Invalid(format!(
                "symbolic_link: target: {:?} is empty, holds a NUL byte or is longer than {} bytes",
                self.target,
                names::PATH_MAX
            )));
        }
        Ok(())
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let (target, link) = (&self.target, &self.link);
        Ok(match self.ensure {
            Ensure::Present => script! {
                if [ ! -L #link ] || [ $(readlink -- #link) != #target ] {
                    p_changed;
                    p_checking || ln -sfn -- #target #link;
                }
            },
            Ensure::Absent => script! {
                if [ -L #link ] { p_changed; p_checking || rm -f -- #link; }
            },
        })
    }
}

/// Ensures one line of a file (Ansible's `lineinfile`).
#[derive(Debug, Clone)]
pub struct LineInFile {
    path: String,
    line: String,
    regexp: Option<String>,
    ensure: Ensure,
    flag: Option<String>,
}

/// Ensures `line` is a line of the file at `path` (absolute; appended when missing, the file is
/// created when absent). With `.regexp(re)`, lines matching the extended regular expression
/// `re` (POSIX ERE, as `grep -E` and `awk` read it) are replaced by `line` instead. `.absent()`
/// removes the line (or the matching lines).
///
/// `line` is one line: a newline, carriage return or NUL is refused ([`stevedore::names::line`]);
/// `re` is an ERE in the subset grep and awk read alike ([`stevedore::names::ere`]: no empty
/// alternative, no quantifier after nothing, no `{m,n}` interval, `\` only before a special
/// character). Both are data: `grep` gets them after `--` and `awk` reads them from its
/// environment, so no value can become an option or awk code.
pub fn line_in_file(path: impl Into<String>, line: impl Into<String>) -> LineInFile {
    LineInFile { path: path.into(), line: line.into(), regexp: None, ensure: Ensure::Present, flag: None }
}

impl LineInFile {
    /// Replaces (or removes) lines matching this extended regular expression.
    pub fn regexp(mut self, re: impl Into<String>) -> Self {
        self.regexp = Some(re.into());
        self
    }

    /// Removes the line instead.
    pub fn absent(mut self) -> Self {
        self.ensure = Ensure::Absent;
        self
    }

    /// Sets flag `flag` when the file changes (see `service(...).if_flag(...)`).
    pub fn flag_on_changed(mut self, flag: impl Into<String>) -> Self {
        self.flag = Some(flag.into());
        self
    }
}

impl Action for LineInFile {
    fn kind(&self) -> &'static str {
        "line_in_file"
    }

    fn describe(&self) -> String {
        let what = match self.ensure {
            Ensure::Present => "present",
            Ensure::Absent => "absent",
        };
        match &self.regexp {
            Some(re) => format!("line_in_file {} /{re}/ {what}", self.path),
            None => format!("line_in_file {} {what}", self.path),
        }
    }

    fn validate(&self) -> Result<(), ActionError> {
        check("line_in_file", "path", names::file_path(&self.path))?;
        check("line_in_file", "line", names::line(&self.line))?;
        if let Some(re) = &self.regexp {
            check("line_in_file", "regexp", names::ere(re))?;
        }
        check_flag("line_in_file", "flag_on_changed", self.flag.as_deref())
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let (path, line) = (&self.path, &self.line);
        // awk reads the values from the environment: no escape processing, byte-exact.
        let re = self.regexp.clone().unwrap_or_default();
        let body = match (self.ensure, &self.regexp) {
            (Ensure::Present, None) => script! {
                if [ ! -e #path ] || ! grep -qxF -- #line #path {
                    p_changed;
                    if ! p_checking {
                        if [ -s #path ] && [ -n $(tail -c 1 -- #path) ] { echo >> #path; }
                        printf "%s\\n" #line >> #path;
                    }
                }
            },
            (Ensure::Present, Some(_)) => script! {
                if [ ! -e #path ] { p_changed; p_checking || printf "%s\\n" #line > #path; }
                else if ! grep -qxF -- #line #path || grep -v -xF -- #line #path | grep -qE -- #re {
                    p_changed;
                    if ! p_checking {
                        if grep -qE -- #re #path {
                            P_RE=#re P_LINE=#line awk "$0 ~ ENVIRON[\"P_RE\"] { print ENVIRON[\"P_LINE\"]; next } { print }" #path > $P_T/lif;
                        } else {
                            { cat -- #path; [ ! -s #path ] || [ -z $(tail -c 1 -- #path) ] || echo; printf "%s\\n" #line; } > $P_T/lif;
                        }
                        cat $P_T/lif > #path;
                    }
                }
            },
            (Ensure::Absent, None) => script! {
                if [ -e #path ] && grep -qxF -- #line #path {
                    p_changed;
                    if ! p_checking { grep -vxF -- #line #path > $P_T/lif || true; cat $P_T/lif > #path; }
                }
            },
            (Ensure::Absent, Some(_)) => script! {
                if [ -e #path ] && grep -qE -- #re #path {
                    p_changed;
                    if ! p_checking { grep -vE -- #re #path > $P_T/lif || true; cat $P_T/lif > #path; }
                }
            },
        };
        Ok(match &self.flag {
            // The action's own changes are the only ones in this subshell so far.
            Some(flag) => script! { #body; if [ -e $P_T/changed ] { p_flag #flag; } },
            None => body,
        })
    }
}

/// Substitutions in a file with `sed` (Pallet's `sed`).
#[derive(Debug, Clone)]
pub struct Sed {
    path: String,
    exprs: Vec<(String, String)>,
    restriction: Option<String>,
}

/// Replaces every match of each regular expression by its replacement in the file at `path`
/// (absolute), writing the file only when the result differs: one `sed -e 's/RE/REPLACEMENT/g'`
/// per pair.
///
/// - `RE` is a POSIX basic regular expression (BRE), as GNU and busybox `sed` read it: `.`, `*`,
///   `^`, `$`, `[...]`, `\(...\)`, `\{m,n\}`, and `\` before a special character makes it
///   literal; `?`, `+` and `|` are literal characters (GNU sed reads `\?`, `\+`, `\|` as
///   operators).
/// - `REPLACEMENT` is sed's replacement text: `&` is the match, `\1` to `\9` the groups, `\&`
///   and `\\` a literal `&` and `\`.
/// - Both are one line of at most 4096 bytes, in the part GNU and busybox sed read alike
///   ([`stevedore::names::bre`], [`stevedore::names::sed_replacement`]): `\` only where it means
///   the same to both, never last, and the regex is not empty.
///
/// Pallet writes the `s` command itself with a delimiter that occurs in neither part and the one
/// flag `g`, so no value can end the command early, add a flag or start another command (`e`,
/// `w`, `r`, `W`, `R`...); [`Sed::restriction`] takes a typed address for the same reason.
///
/// ```
/// use pallet_runtime::action::{sed, Action};
/// assert!(sed("/etc/ssh/sshd_config", [("^PasswordAuthentication .*", "PasswordAuthentication no")]).validate().is_ok());
/// assert!(sed("/etc/app.conf", [("a/b|c", "x")]).validate().is_ok(), "any delimiter is fine: pallet picks a free one");
/// assert!(sed("/etc/app.conf", [("a", "b\nc")]).validate().is_err());
/// assert!(sed("/etc/app.conf", [("a\\", "b")]).validate().is_err());
/// assert!(sed("/etc/app.conf", [("", "b")]).validate().is_err(), "an empty regex is sed's last regex");
/// assert!(sed("/etc/app.conf", [("a", "\\U&")]).validate().is_err(), "GNU only");
/// assert!(sed("relative.conf", [("a", "b")]).validate().is_err());
/// ```
pub fn sed<K: Into<String>, V: Into<String>>(path: impl Into<String>, exprs: impl IntoIterator<Item = (K, V)>) -> Sed {
    Sed { path: path.into(), exprs: exprs.into_iter().map(|(k, v)| (k.into(), v.into())).collect(), restriction: None }
}

/// Delimiters for `s` commands, in order of preference: readable ones, then control characters.
fn sed_delimiter(re: &str, replacement: &str) -> Option<char> {
    let readable = ['/', '|', ':', '%', '!', '@', '#', ',', '_', '~', '^', '+', '='];
    let control = (1u8..0x20).filter(|b| !matches!(b, b'\t' | b'\n' | b'\r')).map(char::from);
    readable.into_iter().chain(control).find(|c| !re.contains(*c) && !replacement.contains(*c))
}

impl Sed {
    /// Applies the substitutions only to lines this address selects:
    ///
    /// | restriction | lines |
    /// |---|---|
    /// | `N` | line N (from 1) |
    /// | `$` | the last line |
    /// | `/RE/` | lines matching the BRE `RE` (a `/` in it is written `\/`) |
    /// | `A,B` | from the line `A` selects through the next line `B` selects (`A`, `B`: any of the above) |
    ///
    /// Anything else (flags after `/RE/`, commands, `!`, spaces) is refused by
    /// [`Action::validate`] ([`stevedore::names::sed_address`]): the address can never carry a
    /// sed command.
    ///
    /// ```
    /// use pallet_runtime::action::{sed, Action};
    /// let s = |r: &str| sed("/etc/app.conf", [("a", "b")]).restriction(r).validate();
    /// for ok in ["1", "$", "/^#/", "/a\\/b/", "3,$", "/^\\[main\\]/,/^\\[/"] {
    ///     assert!(s(ok).is_ok(), "{ok}");
    /// }
    /// for bad in ["1e touch /tmp/x", "/x/e id", "/x/I", "/x/w /tmp/out", "1!", "1;e id", "0", "", "1,", "$ "] {
    ///     assert!(s(bad).is_err(), "{bad}");
    /// }
    /// ```
    pub fn restriction(mut self, address: impl Into<String>) -> Self {
        self.restriction = Some(address.into());
        self
    }

    fn invalid(&self, message: String) -> ActionError {
        ActionError::Invalid(format!("sed {}: {message}", self.path))
    }

    /// The `-e` expressions, checked.
    fn expressions(&self) -> Result<Vec<String>, ActionError> {
        let prefix = match &self.restriction {
            // Checked against the grammar, it is written as given.
            Some(r) => {
                check("sed", "restriction", names::sed_address(r))?;
                format!("{r} ")
            }
            None => String::new(),
        };
        self.exprs
            .iter()
            .map(|(re, replacement)| {
                check("sed", "regex", names::bre(re))?;
                check("sed", "replacement", names::sed_replacement(replacement))?;
                let sep = sed_delimiter(re, replacement)
                    .ok_or_else(|| self.invalid(format!("no free delimiter for {re:?} and {replacement:?}")))?;
                Ok(format!("{prefix}s{sep}{re}{sep}{replacement}{sep}g"))
            })
            .collect()
    }
}

impl Action for Sed {
    fn kind(&self) -> &'static str {
        "sed"
    }

    fn describe(&self) -> String {
        format!("sed {} ({} expression{})", self.path, self.exprs.len(), if self.exprs.len() == 1 { "" } else { "s" })
    }

    fn validate(&self) -> Result<(), ActionError> {
        check("sed", "path", names::file_path(&self.path))?;
        if self.exprs.is_empty() {
            return Err(self.invalid("no expressions".into()));
        }
        self.expressions().map(|_| ())
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let path = &self.path;
        let args: Vec<String> = self.expressions()?.into_iter().flat_map(|e| ["-e".to_string(), e]).collect();
        Ok(script! {
            sed #args -- #path > $P_T/sed;
            if ! cmp -s -- $P_T/sed #path {
                p_changed;
                p_checking || cat $P_T/sed > #path;
            }
        })
    }
}
