//! Stevedore: shell scripts written as Rust tokens, checked at compile time, rendered to POSIX sh.
//!
//! `script!` takes shell written as Rust tokens and produces a [`Script`]. The macro parses and
//! renders the script at compile time; only the Rust values interpolated into it are quoted when
//! the program runs. [`script_fn!`] defines script functions with one implementation per OS
//! family, package manager or init system, chosen for each node when the script is
//! [rendered](Script::render). [`functions`] is the library of such functions that pallet's
//! actions stand on. The output is POSIX sh: deterministic, indented, and accepted by dash,
//! bash, busybox sh and shellcheck (`pallet_testkit::gate` checks exactly that in the test suite).
//!
//! ```
//! use stevedore::script;
//! let package = "nginx";
//! let s = script! {
//!     if ! dpkg -s #package >/dev/null 2>&1 {
//!         apt-get install -y #package;
//!     }
//! };
//! assert_eq!(s.to_text().unwrap(), "\
//! if ! dpkg -s nginx >/dev/null 2>&1; then
//!   apt-get install -y nginx
//! fi
//! ");
//! # pallet_testkit::gate::assert_passes(s.to_bytes().unwrap());
//! ```
//!
//! # Grammar
//!
//! ## Statements
//!
//! Statements end with `;`. Compound statements (`if`, loops, `case`, groups, functions) end
//! with their closing `}` and need no `;`. Newlines mean nothing to Rust's lexer, so a command
//! that continues on the next line must be indented further than its first word; a line starting
//! at or left of it without a `;` before is reported as a missing `;`.
//!
//! | DSL | shell |
//! |---|---|
//! | `cmd arg ...;` | a simple command |
//! | `NAME=value cmd;`, `NAME=value;` | assignments |
//! | `a && b \|\| c;`, `a \| b;`, `! a;`, `a &` | lists, pipelines, negation, background |
//! | `if c { ... } else if c { ... } else { ... }` | `if ...; then ...; elif ...; else ...; fi` |
//! | `while c { ... }`, `until c { ... }`, `loop { ... }` | `while`/`until` loops (`loop` is `while :`) |
//! | `for x in a b #list { ... }` | `for x in ...; do ...; done` |
//! | `case word { pat \| pat => { ... } _ => { ... } }` | `case word in pat\|pat) ...;; *) ...;; esac` |
//! | `fn name() { ... }` | a shell function (arguments are `$1`, `$2`, ...) |
//! | `{ ... }`, `( ... )` | a brace group, a subshell |
//! | `/// text` | a `# text` comment line |
//! | `sh!("raw shell")` | raw shell, checked by a POSIX parser at compile time |
//! | `#fragment;` | a [`Script`] value spliced as statements |
//!
//! ```
//! use stevedore::script;
//! let s = script! {
//!     /// Wait for the socket.
//!     fn wait_for() {
//!         n=0;
//!         until [ -S $1 ] { n=$(($n + 1)); [ $n -lt 10 ] || return 1; sleep 1; }
//!     }
//!     case $(uname -s) {
//!         Linux => { wait_for /run/app.sock && echo ready; }
//!         _ => { echo "unsupported system" >&2; exit 1; }
//!     }
//! };
//! assert_eq!(s.to_text().unwrap(), r#"# Wait for the socket.
//! wait_for() {
//!   n=0
//!   until [ -S "$1" ]; do
//!     n=$(($n + 1))
//!     [ "$n" -lt 10 ] || return 1
//!     sleep 1
//!   done
//! }
//! case "$(uname -s)" in
//!   Linux)
//!     wait_for /run/app.sock && echo ready
//!     ;;
//!   *)
//!     echo 'unsupported system' >&2
//!     exit 1
//!     ;;
//! esac
//! "#);
//! # pallet_testkit::gate::assert_passes(s.to_bytes().unwrap());
//! ```
//!
//! ## Words
//!
//! Tokens written without space between them form one word: `apt-get`, `-y`, `--opt=value`,
//! `/etc/nginx/nginx.conf`, `2>&1`. Tokens separated by space are separate words.
//!
//! | DSL | shell | meaning |
//! |---|---|---|
//! | `apt-get`, `/etc/x.conf`, `*.txt`, `~/.ssh` | as written | the author's text; `*`, `?`, `[a-z]` glob |
//! | `"any text"` | quoted as needed | a Rust string literal is always literal: never expanded or globbed |
//! | `$NAME`, `${NAME}`, `$1`, `$?`, `$#`, `$@` | `"$NAME"` ... | parameter expansion, double-quoted |
//! | `${NAME:-word}` (also `-`, `:=`, `=`, `:+`, `+`, `:?`, `?`, `%`, `%%`, `#`, `##`), `${#NAME}` | `"${NAME:-word}"` | with operators |
//! | `$(cmd ...)` | `"$(cmd ...)"` | command substitution, double-quoted |
//! | `$((expr))` | `$((expr))` | arithmetic |
//! | `split!($X)`, `split!($(cmd))` | `${X}`, `$(cmd)` | unquoted: the shell splits and globs the result |
//! | `[ -f #path ]` | `[ -f ... ]` | the test command (`[[ ]]` is refused: bash only) |
//! | `#name`, `#(expr)` | see below | a Rust value |
//!
//! ```
//! use stevedore::script;
//! let user = "deploy";
//! let s = script! {
//!     install -d -o #user -m 0750 /srv/#user/releases "/srv/with space";
//!     echo ${RELEASE:-current} $(date +%s) "$not_expanded" >>/var/log/#(format!("{user}.log")) 2>&1;
//!     for f in split!($(cat /etc/app/hosts)) { ping -c1 $f || true; }
//! };
//! assert_eq!(s.to_text().unwrap(), r#"install -d -o deploy -m 0750 /srv/deploy/releases '/srv/with space'
//! echo "${RELEASE:-current}" "$(date +%s)" '$not_expanded' >>/var/log/deploy.log 2>&1
//! for f in $(cat /etc/app/hosts); do
//!   ping -c1 "$f" || true
//! done
//! "#);
//! # pallet_testkit::gate::assert_passes(s.to_bytes().unwrap());
//! ```
//!
//! ## Rust values
//!
//! `#name` and `#(expr)` interpolate Rust values by type ([`Interpolate`]):
//!
//! - a text-like value ([`ShellWord`]: `&str`, `String`, `Path`, `OsStr`, numbers, IP addresses)
//!   becomes exactly one word, quoted so the shell sees its bytes unchanged; nothing in it can
//!   end the word, expand, or start a command;
//! - `Vec`, slices, arrays, `Option` and `BTreeSet` of text-like values become one word per item
//!   (none when empty);
//! - a [`Script`] is spliced as code: as statements when it stands alone, inline in a command
//!   line (a multi-statement fragment is wrapped in `{ }`);
//! - a [`ShellVar`] is the run-time value of a shell variable as one word (`"$name"`): the way to
//!   hand a script function a path only the running script knows.
//!
//! Inside a larger word (`/etc/#name.conf`) the value must be text-like; a redirection target
//! that is one `#value` (`> #path`) must be one word ([`OneWord`]: text-like or a [`ShellVar`]);
//! anything else is a compile error at the value. A value holding a NUL byte, which no shell word can carry, makes
//! the script carry [`ScriptError::Nul`]: rendering fails instead of cutting the script short.
//!
//! ```
//! use stevedore::{script, Script};
//! let hosts = vec!["web-1", "web 2"];
//! let port: u16 = 8080;
//! let check: Script = script! { curl -fs #(format!("http://localhost:{port}/health")); };
//! let s = script! {
//!     for h in #hosts { ping -c1 $h; }
//!     if #check { echo healthy; }
//!     echo "$(rm -rf /)" #("$(rm -rf /)");
//! };
//! assert_eq!(s.to_text().unwrap(), r#"for h in web-1 'web 2'; do
//!   ping -c1 "$h"
//! done
//! if curl -fs http://localhost:8080/health; then
//!   echo healthy
//! fi
//! echo '$(rm -rf /)' '$(rm -rf /)'
//! "#);
//! # pallet_testkit::gate::assert_passes(s.to_bytes().unwrap());
//! ```
//!
//! ## Redirections and here-documents
//!
//! `>file`, `>>file`, `<file`, `2>file`, `2>&1`, `>&2`, `<&0`; `<< "literal text"` and
//! `<< #value` are here-documents whose content is never expanded (the delimiter is chosen so it
//! cannot occur in the content; a final newline is added when missing).
//!
//! ```
//! use stevedore::script;
//! let motd = "Welcome to $(hostname)\n";
//! let s = script! { cat << #motd >/etc/motd; };
//! assert_eq!(s.to_text().unwrap(), "cat <<'EOF' >/etc/motd\nWelcome to $(hostname)\nEOF\n");
//! # pallet_testkit::gate::assert_passes(s.to_bytes().unwrap());
//! ```
//!
//! ## Limits of Rust's lexer
//!
//! The input must be valid Rust tokens, which rules out some spellings:
//!
//! - single quotes, backquotes and `\` are not tokens: use Rust string literals (`"..."`, `r"..."`);
//! - `//` and `/*` start Rust comments, so URLs and `/tmp/*` must be string literals (a glob
//!   with a leading `/*` needs `sh!`);
//! - an identifier directly followed by `#` or `"` is a reserved prefix since Rust 2021: write
//!   `${NAME #pattern}` (with a space) and `"v"#version` rather than `v#version`;
//! - `##` is a reserved token since Rust 2024: write `${NAME # #pattern}` for `${NAME##pattern}`;
//! - `{`, `}`, `(`, `)`, `;`, `|`, `&`, `<`, `>` in arguments must be quoted.
//!
//! # Script functions
//!
//! ```
//! use stevedore::{script, script_fn, Os};
//! script_fn! {
//!     /// Enables and starts a service with the node's init system.
//!     pub fn start_at_boot(name: &str) {
//!         systemd => { systemctl enable --now #name; }
//!         openrc => { rc-update add #name default && rc-service #name start; }
//!         sysvinit => { update-rc.d #name defaults && /etc/init.d/#name start; }
//!     }
//! }
//! let s = script! { #(start_at_boot("nginx")) || exit 1; };
//! assert_eq!(s.render_text(&Os::parse("debian-12").unwrap()).unwrap(), "systemctl enable --now nginx || exit 1\n");
//! assert_eq!(
//!     s.render_text(&Os::parse("alpine-3.20").unwrap()).unwrap(),
//!     "rc-update add nginx default && rc-service nginx start || exit 1\n"
//! );
//! # pallet_testkit::gate::assert_passes(s.render(&Os::parse("centos-6").unwrap()).unwrap());
//! ```
//!
//! Arms are named after one of four axes, all read from the OS table in `stevedore-core`
//! ([`os::FAMILIES`]):
//!
//! | axis | arm names |
//! |---|---|
//! | OS family | [`os::Family`]: `debian`, `ubuntu`, `rhel`, `rocky`, `alpine`, ... |
//! | | [`os::FamilyGroup`]: `debian_like`, `rhel_like`, `el`, `suse_like`, `arch_like`, `alpine_like` |
//! | package manager | [`os::Packager`]: `apt`, `dnf`, `yum`, `apk`, `pacman`, `zypper` |
//! | init system | [`os::InitSystem`]: `systemd`, `openrc`, `sysvinit` |
//! | user-management flavour | [`os::UserManagement`]: `shadow`, `shadow_short`, `busybox` |
//!
//! The rules, each checked at compile time with an error at the offending name:
//!
//! - `a | b => { ... }` shares an arm; all arms of a function name one axis;
//! - a name may have one arm only (a family given twice is an error);
//! - a family group's arm covers every family in the group, and a family's own arm beats it;
//!   two groups that share a family (`rhel_like` and `el`) cannot both have arms;
//! - without a `_` arm every value of the axis must be covered (by its own arm or its group's),
//!   or compilation fails listing the missing ones.
//!
//! Every arm is parsed and rendered at compile time; the node's [`Os`] picks one when the script
//! is rendered, and an OS without an arm (say, an unknown distribution) is an error naming the
//! function and the OS.
//!
//! ```
//! use stevedore::{script_fn, Os};
//! script_fn! {
//!     /// Adds the EPEL repository where there is one.
//!     pub fn add_epel() {
//!         el => { dnf install -y epel-release; }
//!         rhel => { dnf install -y "https://dl.fedoraproject.org/pub/epel/epel-release-latest-9.noarch.rpm"; }
//!         _ => { :; }
//!     }
//! }
//! let on = |spec: &str| add_epel().render_text(&Os::parse(spec).unwrap()).unwrap();
//! assert_eq!(on("rocky-9"), "dnf install -y epel-release\n");
//! assert!(on("rhel-9").contains("epel-release-latest-9"));
//! assert_eq!(on("fedora-40"), ":\n");
//! # pallet_testkit::gate::assert_passes(on("rhel-9"));
//! ```
#![warn(missing_docs)]

pub mod dispatch;
pub mod functions;
pub mod interpolate;
pub mod os;
pub mod script;

pub use interpolate::{Interpolate, OneWord, ShellVar, ShellWord};
pub use os::Os;
pub use script::{HeredocValue, Script, ScriptBuf, ScriptError};
pub use stevedore_core::{ir, names, quote, render};

/// Writes a shell script as Rust tokens; see the [crate documentation](crate) for the grammar.
#[macro_export]
macro_rules! script {
    ($($body:tt)*) => {
        $crate::__private::script_impl!{ ($crate) $($body)* }
    };
}

/// Defines script functions with one arm per OS family, package manager or init system; see
/// the [crate documentation](crate).
#[macro_export]
macro_rules! script_fn {
    ($($body:tt)*) => {
        $crate::__private::script_fn_impl!{ ($crate) $($body)* }
    };
}

#[doc(hidden)]
pub mod __private {
    pub use crate::dispatch::dispatch;
    pub use crate::script::{HeredocValue, ScriptBuf};
    pub use stevedore_core::os::{Axis, Family, FamilyGroup, InitSystem, Packager, Selector, UserManagement};
    pub use stevedore_core::render::SpliceMode;
    pub use stevedore_macros::{script_fn_impl, script_impl};
}
