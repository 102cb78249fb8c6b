//! Files, directories, links and line edits.

use super::{Action, ActionError, RenderContext, ensure_attributes, mode_text};
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
}

macro_rules! attr_builders {
    ($t:ty) => {
        impl $t {
            /// Sets the owner (name or numeric id), enforced on every run.
            pub fn owner(mut self, owner: impl Into<String>) -> Self {
                self.attrs.owner = Some(owner.into());
                self
            }

            /// Sets the group (name or numeric id), enforced on every run.
            pub fn group(mut self, group: impl Into<String>) -> Self {
                self.attrs.group = Some(group.into());
                self
            }

            /// Sets the mode (`0o644`), enforced on every run.
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

/// A file at `path`, created empty if missing (`touch`); `.absent()` deletes it.
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

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
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

/// A directory at `path`, created with its parents when missing; `.absent()` deletes it with
/// its content.
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

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
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

/// A symbolic link at `link` pointing to `target`; replaced when it points elsewhere.
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

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
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

/// Ensures `line` is a line of the file at `path` (appended when missing; the file is created
/// when absent). With `.regexp(re)`, lines matching the extended regular expression `re` are
/// replaced by `line` instead. `.absent()` removes the line (or the matching lines).
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

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        if self.line.contains('\n') {
            return Err(ActionError::Invalid(format!("line_in_file {}: the line contains a newline", self.path)));
        }
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

/// Replaces every match of each basic regular expression by its replacement in the file at
/// `path` (`sed s/re/replacement/g`), writing the file only when the result differs.
pub fn sed<K: Into<String>, V: Into<String>>(path: impl Into<String>, exprs: impl IntoIterator<Item = (K, V)>) -> Sed {
    Sed { path: path.into(), exprs: exprs.into_iter().map(|(k, v)| (k.into(), v.into())).collect(), restriction: None }
}

impl Sed {
    /// Applies the substitutions only to lines that match this address (`/re/`, `1`, `$`).
    pub fn restriction(mut self, address: impl Into<String>) -> Self {
        self.restriction = Some(address.into());
        self
    }

    fn expressions(&self) -> Result<Vec<String>, ActionError> {
        self.exprs
            .iter()
            .map(|(k, v)| {
                if k.contains('\n') || v.contains('\n') {
                    return Err(ActionError::Invalid(format!(
                        "sed {}: expressions cannot contain newlines",
                        self.path
                    )));
                }
                let sep = ['/', '|', ':', '%', '!', '@', '#', ',', '_', '~', '^', '+', '=']
                    .into_iter()
                    .find(|c| !k.contains(*c) && !v.contains(*c))
                    .ok_or_else(|| ActionError::Invalid(format!("sed {}: no free separator for `{k}`", self.path)))?;
                let prefix = self.restriction.as_deref().map(|r| format!("{r} ")).unwrap_or_default();
                Ok(format!("{prefix}s{sep}{k}{sep}{v}{sep}g"))
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

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
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
