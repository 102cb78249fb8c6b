//! Files and directories: portable across GNU coreutils and busybox.

use super::checked;
use crate::interpolate::OneWord;
use crate::names;
use crate::script;
use crate::script::Script;

/// `mkdir -p path`, then `chmod mode path` when a mode (e.g. `0o755`) is given (`mkdir -m`
/// would apply it to the deepest directory only, and only when it is created).
pub fn mkdir(path: &str, mode: Option<u32>) -> Script {
    match mode {
        Some(m) => checked(
            script! { mkdir -p -- #path && chmod #(format!("{m:o}")) -- #path; },
            "mkdir",
            [("mode", names::file_mode(u64::from(m)))],
        ),
        None => script! { mkdir -p -- #path; },
    }
}

/// `chown [-R] owner[:group] path`. Either part may be left out; with neither nothing is done.
/// `owner` must pass [`names::owner`] and `group` [`names::group`] (a name or a numeric id),
/// else the script carries [`ScriptError::Invalid`](crate::ScriptError::Invalid): the
/// `owner:group` word comes before `--` and must not be read as an option.
pub fn chown(path: &str, owner: Option<&str>, group: Option<&str>, recursive: bool) -> Script {
    let spec = match (owner, group) {
        (Some(o), Some(g)) => format!("{o}:{g}"),
        (Some(o), None) => o.to_string(),
        (None, Some(g)) => format!(":{g}"),
        (None, None) => return Script::new(),
    };
    let checks = owner.map(|o| ("owner", names::owner(o))).into_iter().chain(group.map(|g| ("group", names::group(g))));
    checked(script! { chown #(recursive.then_some("-R")) #spec -- #path; }, "chown", checks)
}

/// `chmod [-R] mode path`; `mode` is octal (`0o644`) and at most `0o7777` ([`names::file_mode`]).
pub fn chmod(path: &str, mode: u32, recursive: bool) -> Script {
    let s = script! { chmod #(recursive.then_some("-R")) #(format!("{mode:o}")) -- #path; };
    checked(s, "chmod", [("mode", names::file_mode(u64::from(mode)))])
}

/// `ln -s[f] target link`: a symbolic link at `link` pointing to `target`.
pub fn symlink(target: &str, link: &str, force: bool) -> Script {
    script! { ln -s #(force.then_some("-f")) -- #target #link; }
}

/// `rm -f[r] path`.
pub fn rm(path: &str, recursive: bool) -> Script {
    script! { rm -f #(recursive.then_some("-r")) -- #path; }
}

/// Prints the SHA-256 of the file at `path` (a path, or a [`ShellVar`](crate::ShellVar) holding
/// one) as 64 lowercase hex digits and a newline; prints nothing and fails when it cannot be
/// read. The file is read on standard input, so GNU coreutils and busybox `sha256sum` print the
/// same thing whatever the file is named (GNU escapes names holding `\\` or a newline). Use it
/// as `$(#(sha256(path)))` to compare.
pub fn sha256(path: impl OneWord) -> Script {
    script! { sha256sum < #path | cut -d " " -f 1 | grep -xE "[0-9a-f]{64}"; }
}

/// Prints the path of a new temporary file (mode 0600) under `$TMPDIR` or `/tmp`.
pub fn make_temp_file() -> Script {
    script! { mktemp "${TMPDIR:-/tmp}/pallet.XXXXXXXX"; }
}

/// Prints the path of a new temporary directory (mode 0700) under `$TMPDIR` or `/tmp`.
pub fn make_temp_dir() -> Script {
    script! { mktemp -d "${TMPDIR:-/tmp}/pallet.XXXXXXXX"; }
}
