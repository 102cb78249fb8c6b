//! Names validated by type: the rules a value must follow before it reaches a command as an
//! operand or a line-oriented file as a field.
//!
//! Quoting ([`crate::quote`]) makes any value one shell word, but the command still reads that
//! word: `useradd -- --help` is refused by no quoting, `apt-get install --help` prints help and
//! exits 0, and `root;id` is no user name any system accepts. Each function here checks one kind
//! of value and returns a [`NameError`] naming the [`Kind`] (whose [`Kind::rule`] states the
//! rule), the value, and the [`Problem`]. They are used at run time by pallet's actions and
//! stevedore's script functions, and at compile time by `plan_fn!` on string literals.
//!
//! Every rule refuses the empty string, NUL, and a leading `-`, so a valid value can never be read
//! as an option.
//!
//! | function | rule |
//! |---|---|
//! | [`user_name`], [`group_name`] | `[a-z_][a-z0-9_-]*[$]?`, at most 32 bytes (shadow-utils and busybox) |
//! | [`owner`], [`group`] | a user (group) name, or a numeric id (`0`..=`4294967295`) |
//! | [`package_name`] | per package manager, see [`Kind::Package`] |
//! | [`any_package_name`] | valid for at least one package manager |
//! | [`package_version`] | `[A-Za-z0-9][A-Za-z0-9._+~^:-]*`: a Debian or RPM version (with epoch and release) |
//! | [`service_name`] | systemd unit name characters `[A-Za-z0-9:_.@\\-]`, at most 255 bytes, one `@` at most, not starting with `-` or `.` (also a valid SysV/OpenRC script name: no `/`) |
//! | [`hostname`] | RFC 1123: dot-separated labels `[A-Za-z0-9-]`, 1..=63 bytes each, not starting or ending with `-`; 253 bytes in all |
//! | [`host`] | a [`hostname`] or an IPv4/IPv6 address |
//! | [`cron_schedule`] | five fields (minute, hour, day of month, month, day of week) or `@reboot`, `@hourly`... |
//! | [`file_mode`] | at most `0o7777` |
//! | [`port`] | `1..=65535` |
//! | [`absolute_path`] | starts with `/`, no NUL, at most 4095 bytes, components of at most 255 |
//! | [`line`] | one line: no newline, carriage return or NUL |
//! | [`passwd_field`] | a field of `/etc/passwd` (GECOS comment): a [`line`] without `:` |
//! | [`login_path`] | home directory or login shell: an [`absolute_path`] that is a [`passwd_field`] |
//! | [`password_hash`] | crypt(3) characters `[A-Za-z0-9./$!*=+,_-]` |
//! | [`url`] | `scheme://rest`, printable ASCII without space, quotes, `\`, `` ` ``, `<>`, `{}`, `|` |
//! | [`sha256`] | 64 hex digits |
//! | [`file_name`] | `[A-Za-z0-9_][A-Za-z0-9._-]*`, at most 255 bytes: one path component |
//! | [`cron_file_name`] | a [`file_name`] without `.` (a file of `/etc/cron.d`) |
//! | [`file_path`] | an [`absolute_path`] whose last component is a name (not empty, `.` or `..`) |
//! | [`ere`] | a POSIX extended regular expression grep and awk read alike |
//! | [`bre`] | a POSIX basic regular expression GNU and busybox sed read alike |
//! | [`sed_replacement`] | the replacement of a sed `s` command |
//! | [`sed_address`] | `N`, `$`, `/BRE/`, or `A,B` of those |
//!
//! ```
//! use stevedore_core::names::{self, Kind, Problem};
//! assert!(names::user_name("www-data").is_ok());
//! let e = names::user_name("root;id").unwrap_err();
//! assert_eq!(e.kind, Kind::UserName);
//! assert_eq!(e.problem, Problem::BadChar { ch: ';', at: 4 });
//! assert_eq!(
//!     e.to_string(),
//!     "\"root;id\" is not a valid user name: `;` at byte 4 is not allowed \
//!      (rule: [a-z_][a-z0-9_-]*[$]?, at most 32 bytes)"
//! );
//! assert_eq!(names::package_name(names::Packager::Apt, "--help").unwrap_err().problem, Problem::LeadingDash);
//! ```

pub use crate::os::Packager;
use std::fmt;

/// What kind of value a rule is for; [`Kind::rule`] states the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A user name ([`user_name`]).
    UserName,
    /// A group name ([`group_name`]).
    GroupName,
    /// A file owner: user name or numeric uid ([`owner`]).
    Owner,
    /// A file group: group name or numeric gid ([`group`]).
    Group,
    /// A package name (with version syntax where supported) for a package manager
    /// ([`package_name`]).
    Package(Packager),
    /// A package name for some package manager ([`any_package_name`]).
    AnyPackage,
    /// A package version ([`package_version`]).
    PackageVersion,
    /// A service or unit name ([`service_name`]).
    Service,
    /// A host name ([`hostname`]).
    Hostname,
    /// A host name or IP address ([`host`]).
    Host,
    /// A cron schedule ([`cron_schedule`]).
    CronSchedule,
    /// A file mode ([`file_mode`]).
    FileMode,
    /// A TCP/UDP port ([`port`]).
    Port,
    /// An absolute path ([`absolute_path`]).
    AbsolutePath,
    /// One line of a line-oriented file ([`line`]).
    Line,
    /// A field of `/etc/passwd` ([`passwd_field`]).
    PasswdField,
    /// A home directory or login shell ([`login_path`]).
    LoginPath,
    /// A crypt(3) password hash ([`password_hash`]).
    PasswordHash,
    /// A URL ([`url`]).
    Url,
    /// A SHA-256 checksum in hex ([`sha256`]).
    Sha256,
    /// One path component ([`file_name`]).
    FileName,
    /// An absolute path naming a file, not a directory ([`file_path`]).
    FilePath,
    /// A POSIX extended regular expression, in the subset grep and awk agree on ([`ere`]).
    Ere,
    /// A POSIX basic regular expression, in the subset GNU and busybox sed agree on ([`bre`]).
    Bre,
    /// The replacement of a sed `s` command ([`sed_replacement`]).
    SedReplacement,
    /// A sed address or range of addresses ([`sed_address`]).
    SedAddress,
}

impl Kind {
    /// What the value is, in words (`user name`).
    pub fn what(self) -> String {
        match self {
            Kind::UserName => "user name".into(),
            Kind::GroupName => "group name".into(),
            Kind::Owner => "owner (user name or uid)".into(),
            Kind::Group => "group (group name or gid)".into(),
            Kind::Package(p) => format!("{} package name", p.name()),
            Kind::AnyPackage => "package name".into(),
            Kind::PackageVersion => "package version".into(),
            Kind::Service => "service name".into(),
            Kind::Hostname => "host name".into(),
            Kind::Host => "host (host name or IP address)".into(),
            Kind::CronSchedule => "cron schedule".into(),
            Kind::FileMode => "file mode".into(),
            Kind::Port => "port".into(),
            Kind::AbsolutePath => "absolute path".into(),
            Kind::Line => "line".into(),
            Kind::PasswdField => "passwd field".into(),
            Kind::LoginPath => "home directory or login shell".into(),
            Kind::PasswordHash => "password hash".into(),
            Kind::Url => "URL".into(),
            Kind::Sha256 => "SHA-256 checksum".into(),
            Kind::FileName => "file name".into(),
            Kind::FilePath => "file path".into(),
            Kind::Ere => "extended regular expression".into(),
            Kind::Bre => "basic regular expression".into(),
            Kind::SedReplacement => "sed replacement".into(),
            Kind::SedAddress => "sed address".into(),
        }
    }

    /// The rule, as shown in errors.
    pub fn rule(self) -> &'static str {
        match self {
            Kind::UserName | Kind::GroupName => "[a-z_][a-z0-9_-]*[$]?, at most 32 bytes",
            Kind::Owner => "a user name ([a-z_][a-z0-9_-]*[$]?, at most 32 bytes) or a numeric uid",
            Kind::Group => "a group name ([a-z_][a-z0-9_-]*[$]?, at most 32 bytes) or a numeric gid",
            Kind::Package(Packager::Apt) => {
                "Debian policy: [a-z0-9][a-z0-9+.-]+, then optionally :ARCH ([a-z0-9-]+) and =VERSION ([0-9][A-Za-z0-9.+~:-]*)"
            }
            Kind::Package(Packager::Dnf | Packager::Yum) => {
                "RPM: [A-Za-z0-9_][A-Za-z0-9._+~^:-]* (a name, or name-version-release.arch)"
            }
            Kind::Package(Packager::Zypper) => {
                "RPM: [A-Za-z0-9_][A-Za-z0-9._+~^:-]*, optionally followed by one of = < > <= >= and a version"
            }
            Kind::Package(Packager::Apk) => {
                "apk: [A-Za-z0-9][A-Za-z0-9._+-]* (or so:/cmd:/pc: NAME), optionally @TAG, optionally one of = < > <= >= ~ and a version [0-9][A-Za-z0-9._+-]*"
            }
            Kind::Package(Packager::Pacman) => {
                "pacman: optionally REPO/, then [a-z0-9@_+][a-z0-9@._+-]*, optionally one of = < > <= >= and a version [A-Za-z0-9._+:~-]+"
            }
            Kind::AnyPackage => "a package name valid for at least one of apt, dnf, yum, apk, pacman, zypper",
            Kind::PackageVersion => "[A-Za-z0-9][A-Za-z0-9._+~^:-]*, at most 255 bytes",
            Kind::Service => "[A-Za-z0-9:_.@\\-], at most 255 bytes, at most one `@`, not starting with `-` or `.`",
            Kind::Hostname => {
                "RFC 1123: labels of [A-Za-z0-9-] separated by `.`, 1 to 63 bytes each, not starting or ending with `-`, at most 253 bytes"
            }
            Kind::Host => "an RFC 1123 host name or an IPv4/IPv6 address",
            Kind::CronSchedule => {
                "five fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or jan-dec, day of week 0-7 or sun-sat), each `*` or a list of N, N-M, with an optional /STEP; or one of @reboot @yearly @annually @monthly @weekly @daily @midnight @hourly"
            }
            Kind::FileMode => "at most 0o7777",
            Kind::Port => "1 to 65535",
            Kind::AbsolutePath => "starts with `/`, no NUL, at most 4095 bytes, components of at most 255 bytes",
            Kind::Line => "no newline, carriage return or NUL",
            Kind::PasswdField => "no `:`, newline, carriage return or NUL",
            Kind::LoginPath => "an absolute path without `:`, newline, carriage return or NUL",
            Kind::PasswordHash => "crypt(3) characters [A-Za-z0-9./$!*=+,_-]",
            Kind::Url => "SCHEME://REST, printable ASCII without space, quotes, backslash, backquote, < > { } |",
            Kind::Sha256 => "64 hex digits",
            Kind::FileName => "[A-Za-z0-9_][A-Za-z0-9._-]*, at most 255 bytes",
            Kind::FilePath => "an absolute path whose last component is a name (not empty, `.` or `..`)",
            Kind::Ere => {
                "a POSIX ERE of at most 4096 bytes on one line: balanced ( ) and [ ], no empty alternative or group, no quantifier after nothing, no { } interval, `\\` only before one of . [ ] ( ) * + ? { } | ^ $ \\ /"
            }
            Kind::Bre => {
                "a POSIX BRE of at most 4096 bytes on one line, not empty: balanced \\( \\) and [ ], intervals \\{m,n\\} after an atom, `\\` only before ( ) { } 1-9 . [ ] * ^ $ \\ / n"
            }
            Kind::SedReplacement => {
                "at most 4096 bytes on one line, `\\` only before a digit, & \\ or n, not ending in a lone `\\`"
            }
            Kind::SedAddress => {
                "N (a line from 1), $ (the last line) or /BRE/, or two of them joined by `,`; nothing else"
            }
        }
    }
}

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The value is empty.
    Empty,
    /// The value is longer than the rule allows (bytes).
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// It starts with `-`, so a command would read it as an option.
    LeadingDash,
    /// A character the rule does not allow, at byte offset `at`.
    BadChar {
        /// The character.
        ch: char,
        /// Its byte offset.
        at: usize,
    },
    /// A newline or carriage return: the value would become several lines.
    Newline,
    /// A NUL byte.
    Nul,
    /// A path that does not start with `/`.
    NotAbsolute,
    /// A number outside the allowed range.
    OutOfRange {
        /// The number.
        value: u64,
        /// The smallest allowed.
        min: u64,
        /// The largest allowed.
        max: u64,
    },
    /// Anything else, in words.
    Malformed(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Empty => f.write_str("it is empty"),
            Problem::TooLong { len, max } => write!(f, "it is {len} bytes long, more than {max}"),
            Problem::LeadingDash => f.write_str("it starts with `-`, so a command would read it as an option"),
            Problem::BadChar { ch, at } => write!(f, "`{}` at byte {at} is not allowed", ch.escape_debug()),
            Problem::Newline => f.write_str("it holds a line break"),
            Problem::Nul => f.write_str("it holds a NUL byte"),
            Problem::NotAbsolute => f.write_str("it does not start with `/`"),
            Problem::OutOfRange { value, min, max } => write!(f, "{value} is not in {min}..={max}"),
            Problem::Malformed(m) => f.write_str(m),
        }
    }
}

/// A value that breaks the rule of its [`Kind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    /// The rule it was checked against.
    pub kind: Kind,
    /// The value (numbers as decimal or octal text).
    pub value: String,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a valid {}: {} (rule: {})", self.value, self.kind.what(), self.problem, self.kind.rule())
    }
}

impl std::error::Error for NameError {}

/// The result of a check.
pub type Checked = Result<(), NameError>;

fn err(kind: Kind, value: &str, problem: Problem) -> Checked {
    Err(NameError { kind, value: value.to_string(), problem })
}

/// The checks every rule starts with: not empty, no NUL, no leading `-`, at most `max` bytes.
fn common(kind: Kind, s: &str, max: usize) -> Checked {
    if s.is_empty() {
        return err(kind, s, Problem::Empty);
    }
    if s.contains('\0') {
        return err(kind, s, Problem::Nul);
    }
    if s.starts_with('-') {
        return err(kind, s, Problem::LeadingDash);
    }
    if s.len() > max {
        return err(kind, s, Problem::TooLong { len: s.len(), max });
    }
    Ok(())
}

/// The first character of `s` (from byte `from`) not accepted by `ok`, as a problem.
fn bad_char(s: &str, from: usize, ok: impl Fn(char) -> bool) -> Option<Problem> {
    s[from..].char_indices().find(|&(_, c)| !ok(c)).map(|(i, ch)| match ch {
        '\n' | '\r' => Problem::Newline,
        _ => Problem::BadChar { ch, at: from + i },
    })
}

fn chars(kind: Kind, s: &str, first: impl Fn(char) -> bool, rest: impl Fn(char) -> bool) -> Checked {
    let c0 = s.chars().next().expect("checked non-empty");
    if !first(c0) {
        let p = if matches!(c0, '\n' | '\r') { Problem::Newline } else { Problem::BadChar { ch: c0, at: 0 } };
        return err(kind, s, p);
    }
    match bad_char(s, c0.len_utf8(), rest) {
        Some(p) => err(kind, s, p),
        None => Ok(()),
    }
}

fn account(kind: Kind, s: &str) -> Checked {
    common(kind, s, 32)?;
    let body = s.strip_suffix('$').unwrap_or(s);
    if body.is_empty() {
        return err(kind, s, Problem::BadChar { ch: '$', at: 0 });
    }
    chars(
        kind,
        body,
        |c| c.is_ascii_lowercase() || c == '_',
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-',
    )
    .map_err(|e| NameError { value: s.to_string(), ..e })
}

/// A user name: `[a-z_][a-z0-9_-]*[$]?`, at most 32 bytes (what shadow-utils' `useradd` and
/// busybox `adduser` accept by default; `$` ends machine accounts).
///
/// ```
/// use stevedore_core::names::user_name;
/// assert!(user_name("deploy").is_ok() && user_name("_apt").is_ok() && user_name("host1$").is_ok());
/// for bad in ["", "root;id", "--help", "Admin", "1user", "web admins", "a\nb", &"a".repeat(33)] {
///     assert!(user_name(bad).is_err(), "{bad:?}");
/// }
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::UserName`].
pub fn user_name(s: &str) -> Checked {
    account(Kind::UserName, s)
}

/// A group name: the rule of [`user_name`].
///
/// # Errors
/// [`NameError`] of kind [`Kind::GroupName`].
pub fn group_name(s: &str) -> Checked {
    account(Kind::GroupName, s)
}

fn numeric_id(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.parse::<u32>().is_ok()
}

/// A file owner: a [`user_name`] or a numeric uid that fits in 32 bits.
///
/// ```
/// use stevedore_core::names::owner;
/// assert!(owner("root").is_ok() && owner("1000").is_ok());
/// assert!(owner("-x").is_err() && owner("99999999999").is_err() && owner("a:b").is_err());
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::Owner`].
pub fn owner(s: &str) -> Checked {
    if numeric_id(s) {
        return Ok(());
    }
    user_name(s).map_err(|e| NameError { kind: Kind::Owner, ..e })
}

/// A file group: a [`group_name`] or a numeric gid that fits in 32 bits.
///
/// # Errors
/// [`NameError`] of kind [`Kind::Group`].
pub fn group(s: &str) -> Checked {
    if numeric_id(s) {
        return Ok(());
    }
    group_name(s).map_err(|e| NameError { kind: Kind::Group, ..e })
}

/// Splits `s` at the first version operator out of `ops` (longest first): `(name, op, version)`.
fn split_op<'a>(s: &'a str, ops: &[&'static str]) -> (&'a str, Option<(&'static str, &'a str)>) {
    let Some(at) = s.find(|c: char| ops.iter().any(|o| o.starts_with(c))) else {
        return (s, None);
    };
    let rest = &s[at..];
    let op = ops.iter().filter(|o| rest.starts_with(**o)).max_by_key(|o| o.len()).copied();
    match op {
        Some(op) => (&s[..at], Some((op, &rest[op.len()..]))),
        None => (s, None),
    }
}

fn lower_digit(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Checks `part` (found at byte `offset` of `whole`) with `first`/`rest`, reporting offsets
/// in `whole`.
fn part(
    kind: Kind,
    whole: &str,
    part: &str,
    offset: usize,
    what: &str,
    first: impl Fn(char) -> bool,
    rest: impl Fn(char) -> bool,
) -> Checked {
    let Some(c0) = part.chars().next() else {
        return err(kind, whole, Problem::Malformed(format!("the {what} is empty")));
    };
    if !first(c0) {
        let p = if matches!(c0, '\n' | '\r') { Problem::Newline } else { Problem::BadChar { ch: c0, at: offset } };
        return err(kind, whole, p);
    }
    match bad_char(part, c0.len_utf8(), rest) {
        Some(Problem::BadChar { ch, at }) => err(kind, whole, Problem::BadChar { ch, at: at + offset }),
        Some(p) => err(kind, whole, p),
        None => Ok(()),
    }
}

/// A package name for `packager`, with the version syntax it accepts on the command line:
///
/// | packager | accepted |
/// |---|---|
/// | apt | `name`, `name=version`, `name:arch`, `name:arch=version` (Debian policy names: `[a-z0-9][a-z0-9+.-]+`) |
/// | dnf, yum | `name` or `name-version-release.arch` (`[A-Za-z0-9_][A-Za-z0-9._+~^:-]*`) |
/// | zypper | as dnf, or `name<op>version` with `op` one of `=`, `<`, `>`, `<=`, `>=` |
/// | apk | `name`, `so:`/`cmd:`/`pc:` names, `name@tag`, `name<op>version` with `op` one of `=`, `<`, `>`, `<=`, `>=`, `~` |
/// | pacman | `name`, `repo/name`, `name<op>version` with `op` one of `=`, `<`, `>`, `<=`, `>=` |
///
/// At most 255 bytes. Shell and glob characters, spaces and a leading `-` are refused by every
/// rule.
///
/// ```
/// use stevedore_core::names::{package_name, Packager::*};
/// assert!(package_name(Apt, "libstdc++6").is_ok());
/// assert!(package_name(Apt, "nginx=1.22.1-9").is_ok());
/// assert!(package_name(Apt, "libc6:amd64").is_ok());
/// assert!(package_name(Dnf, "openssl-devel-1:3.0.7-25.el9.x86_64").is_ok());
/// assert!(package_name(Zypper, "nginx>=1.20").is_ok());
/// assert!(package_name(Apk, "nginx=1.24.0-r15").is_ok() && package_name(Apk, "so:libc.musl-x86_64.so.1").is_ok());
/// assert!(package_name(Pacman, "extra/nginx>=1.24").is_ok());
/// for bad in ["--help", "vim && id", "-oDpkg::Pre-Invoke::=touch /tmp/x", "Nginx", "a", "ngin x", "x;y"] {
///     assert!(package_name(Apt, bad).is_err(), "{bad:?}");
/// }
/// assert!(package_name(Dnf, "nginx>=1").is_err(), "dnf takes no operators");
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::Package`].
pub fn package_name(packager: Packager, s: &str) -> Checked {
    let kind = Kind::Package(packager);
    common(kind, s, 255)?;
    let rpm_first = |c: char| alnum(c) || c == '_';
    let rpm_rest = |c: char| alnum(c) || "._+~^:-".contains(c);
    match packager {
        Packager::Apt => {
            let (name_arch, version) = match s.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (s, None),
            };
            let (name, arch) = match name_arch.split_once(':') {
                Some((n, a)) => (n, Some(a)),
                None => (name_arch, None),
            };
            part(kind, s, name, 0, "name", lower_digit, |c| lower_digit(c) || "+.-".contains(c))?;
            if name.len() < 2 {
                return err(kind, s, Problem::Malformed("Debian package names have at least two characters".into()));
            }
            if let Some(a) = arch {
                part(kind, s, a, name.len() + 1, "architecture", lower_digit, |c| lower_digit(c) || c == '-')?;
            }
            if let Some(v) = version {
                let at = name_arch.len() + 1;
                part(kind, s, v, at, "version", |c| c.is_ascii_digit(), |c| alnum(c) || ".+~:-".contains(c))?;
            }
            Ok(())
        }
        Packager::Dnf | Packager::Yum => part(kind, s, s, 0, "name", rpm_first, rpm_rest),
        Packager::Zypper => {
            let (name, op) = split_op(s, &["=", "<", ">", "<=", ">="]);
            part(kind, s, name, 0, "name", rpm_first, rpm_rest)?;
            if let Some((op, v)) = op {
                part(kind, s, v, name.len() + op.len(), "version", alnum, rpm_rest)?;
            }
            Ok(())
        }
        Packager::Apk => {
            let (name, op) = split_op(s, &["=", "<", ">", "<=", ">=", "~"]);
            let (name, tag) = match name.split_once('@') {
                Some((n, t)) => (n, Some(t)),
                None => (name, None),
            };
            let (prefix, bare) = match name.split_once(':') {
                Some((p @ ("so" | "cmd" | "pc"), b)) => (p.len() + 1, b),
                Some(_) => {
                    return err(kind, s, Problem::Malformed("only so:, cmd: and pc: prefixes are apk names".into()));
                }
                None => (0, name),
            };
            part(kind, s, bare, prefix, "name", alnum, |c| alnum(c) || "._+-".contains(c))?;
            if let Some(t) = tag {
                part(kind, s, t, name.len() + 1, "tag", alnum, |c| alnum(c) || "._-".contains(c))?;
            }
            if let Some((op, v)) = op {
                let at = s.len() - v.len();
                let _ = op;
                part(kind, s, v, at, "version", |c| c.is_ascii_digit(), |c| alnum(c) || "._+-".contains(c))?;
            }
            Ok(())
        }
        Packager::Pacman => {
            let (target, op) = split_op(s, &["=", "<", ">", "<=", ">="]);
            let (repo, name) = match target.split_once('/') {
                Some((r, n)) => (Some(r), n),
                None => (None, target),
            };
            if let Some(r) = repo {
                part(kind, s, r, 0, "repository", lower_digit, |c| lower_digit(c) || "._-".contains(c))?;
            }
            let at = repo.map_or(0, |r| r.len() + 1);
            let first = |c: char| lower_digit(c) || "@_+".contains(c);
            part(kind, s, name, at, "name", first, |c| lower_digit(c) || "@._+-".contains(c))?;
            if let Some((_, v)) = op {
                part(kind, s, v, s.len() - v.len(), "version", alnum, |c| alnum(c) || "._+:~-".contains(c))?;
            }
            Ok(())
        }
    }
}

/// A package name valid for at least one package manager ([`package_name`]): the check for
/// names whose package manager is not known yet (`plan_fn!` literals, script functions).
///
/// ```
/// use stevedore_core::names::any_package_name;
/// assert!(any_package_name("nginx").is_ok() && any_package_name("openssl-devel").is_ok());
/// assert!(any_package_name("--help").is_err() && any_package_name("vim && id").is_err());
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::AnyPackage`], with the problem the apt rule found.
pub fn any_package_name(s: &str) -> Checked {
    let mut first = None;
    for p in Packager::ALL {
        match package_name(*p, s) {
            Ok(()) => return Ok(()),
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    let e = first.expect("there are package managers");
    Err(NameError { kind: Kind::AnyPackage, ..e })
}

/// A package version as apt (`1:1.22.1-9+deb12u1`), dnf, yum and zypper (`3.0.7-25.el9`) spell
/// it: `[A-Za-z0-9][A-Za-z0-9._+~^:-]*`, at most 255 bytes.
///
/// ```
/// use stevedore_core::names::package_version;
/// assert!(package_version("1:1.22.1-9+deb12u1").is_ok() && package_version("3.0.7-25.el9").is_ok());
/// assert!(package_version("-1").is_err() && package_version("1 2").is_err() && package_version("").is_err());
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::PackageVersion`].
pub fn package_version(s: &str) -> Checked {
    common(Kind::PackageVersion, s, 255)?;
    chars(Kind::PackageVersion, s, alnum, |c| alnum(c) || "._+~^:-".contains(c))
}

/// A service (unit) name: systemd's unit name characters `[A-Za-z0-9:_.@\-]` (with or without
/// the `.service` suffix), at most 255 bytes, at most one `@`, not starting with `-` or `.`.
/// Without `/` it is also a safe SysV (`/etc/init.d/NAME`) and OpenRC script name.
///
/// ```
/// use stevedore_core::names::service_name;
/// for ok in ["nginx", "ssh.service", "getty@tty1.service", "dev-disk-by\\x2duuid.swap", "php8.2-fpm"] {
///     assert!(service_name(ok).is_ok(), "{ok}");
/// }
/// for bad in ["ngin x", "--help", "../../tmp/x", ".hidden", "a@b@c", "x;y", ""] {
///     assert!(service_name(bad).is_err(), "{bad}");
/// }
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::Service`].
pub fn service_name(s: &str) -> Checked {
    let kind = Kind::Service;
    common(kind, s, 255)?;
    chars(kind, s, |c| alnum(c) || "_\\".contains(c), |c| alnum(c) || ":_.@\\-".contains(c))?;
    if s.matches('@').count() > 1 {
        return err(kind, s, Problem::Malformed("more than one `@`".into()));
    }
    Ok(())
}

/// A host name (RFC 1123): labels of `[A-Za-z0-9-]` separated by single dots, each 1 to 63
/// bytes and not starting or ending with `-`; at most 253 bytes; no trailing dot.
///
/// ```
/// use stevedore_core::names::hostname;
/// assert!(hostname("web-1").is_ok() && hostname("db.example.com").is_ok() && hostname("3com").is_ok());
/// for bad in ["-x", "a..b", "a_b", "web-", "a.", &"a".repeat(64), "h\u{202e}x", ""] {
///     assert!(hostname(bad).is_err(), "{bad}");
/// }
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::Hostname`].
pub fn hostname(s: &str) -> Checked {
    let kind = Kind::Hostname;
    common(kind, s, 253)?;
    let mut at = 0;
    for label in s.split('.') {
        part(kind, s, label, at, "label", alnum, |c| alnum(c) || c == '-').map_err(|e| match e.problem {
            Problem::Malformed(_) => NameError { problem: Problem::Malformed("an empty label".into()), ..e },
            _ => e,
        })?;
        if label.len() > 63 {
            return err(kind, s, Problem::Malformed(format!("the label at byte {at} is longer than 63 bytes")));
        }
        if label.ends_with('-') {
            return err(kind, s, Problem::Malformed(format!("the label at byte {at} ends with `-`")));
        }
        at += label.len() + 1;
    }
    Ok(())
}

/// A [`hostname`] or an IPv4/IPv6 address (without brackets).
///
/// # Errors
/// [`NameError`] of kind [`Kind::Host`].
pub fn host(s: &str) -> Checked {
    if s.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    hostname(s).map_err(|e| NameError { kind: Kind::Host, ..e })
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// A file name for `/etc/cron.d` (run-parts rules, which cron follows there): letters, digits,
/// `_` and `-` only ([`file_name`] without `.`).
///
/// ```
/// use stevedore_core::names::cron_file_name;
/// assert!(cron_file_name("backup-db").is_ok());
/// assert!(cron_file_name("backup.sh").is_err() && cron_file_name("-x").is_err());
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::FileName`].
pub fn cron_file_name(s: &str) -> Checked {
    file_name(s)?;
    if let Some(at) = s.find('.') {
        return err(
            Kind::FileName,
            s,
            Problem::Malformed(format!("`.` at byte {at}: cron skips files in /etc/cron.d whose name holds `.`")),
        );
    }
    Ok(())
}

/// The cron specials accepted instead of five fields.
pub const CRON_SPECIALS: &[&str] =
    &["@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/// A cron schedule: one of [`CRON_SPECIALS`], or five fields separated by spaces or tabs:
///
/// | field | values | names |
/// |---|---|---|
/// | minute | 0-59 | |
/// | hour | 0-23 | |
/// | day of month | 1-31 | |
/// | month | 1-12 | `jan`..`dec` |
/// | day of week | 0-7 (0 and 7 are Sunday) | `sun`..`sat` |
///
/// A field is `*` or a comma-separated list of `N` or `N-M`; `*` and ranges take a `/STEP`
/// (at least 1). Names are case-insensitive and may stand wherever a number may.
///
/// ```
/// use stevedore_core::names::cron_schedule;
/// for ok in ["*/5 * * * *", "0 3 * * mon-fri", "15,45 8-18/2 1 jan,jul 0", "@reboot", "0\t0 1 1 *"] {
///     assert!(cron_schedule(ok).is_ok(), "{ok}");
/// }
/// for bad in ["* * * *", "60 * * * *", "* * * * * *", "*/0 * * * *", "5-1 * * * *", "@sometimes", "* * * * mon\n* * * * *"] {
///     assert!(cron_schedule(bad).is_err(), "{bad:?}");
/// }
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::CronSchedule`], naming the field.
pub fn cron_schedule(s: &str) -> Checked {
    let kind = Kind::CronSchedule;
    common(kind, s, 1000)?;
    if let Some(p) = bad_char(s, 0, |c| c.is_ascii_alphanumeric() || " \t*/,-@".contains(c)) {
        return err(kind, s, p);
    }
    if s.starts_with('@') {
        return if CRON_SPECIALS.contains(&s) {
            Ok(())
        } else {
            err(kind, s, Problem::Malformed(format!("`{s}` is not one of {}", CRON_SPECIALS.join(" "))))
        };
    }
    let fields: Vec<&str> = s.split([' ', '\t']).filter(|f| !f.is_empty()).collect();
    if fields.len() != 5 {
        return err(kind, s, Problem::Malformed(format!("it has {} fields, not 5", fields.len())));
    }
    let specs: [(&str, u32, u32, &[&str], u32); 5] = [
        ("minute", 0, 59, &[], 0),
        ("hour", 0, 23, &[], 0),
        ("day of month", 1, 31, &[], 0),
        ("month", 1, 12, &MONTHS, 1),
        ("day of week", 0, 7, &DAYS, 0),
    ];
    for (field, (what, min, max, names, base)) in fields.iter().zip(specs) {
        cron_field(field, min, max, names, base).map_err(|m| NameError {
            kind,
            value: s.to_string(),
            problem: Problem::Malformed(format!("{what} `{field}`: {m}")),
        })?;
    }
    Ok(())
}

fn cron_field(field: &str, min: u32, max: u32, names: &[&str], base: u32) -> Result<(), String> {
    let value = |v: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
            return Ok(i as u32 + base);
        }
        let n: u32 = v
            .parse()
            .map_err(|_| format!("`{v}` is not a number{}", if names.is_empty() { "" } else { " or a name" }))?;
        if n < min || n > max {
            return Err(format!("{n} is not in {min}-{max}"));
        }
        Ok(n)
    };
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, st)) => (r, Some(st)),
            None => (item, None),
        };
        if let Some(st) = step {
            let n: u32 = st.parse().map_err(|_| format!("step `{st}` is not a number"))?;
            if n == 0 || n > max {
                return Err(format!("step {n} is not in 1-{max}"));
            }
        }
        if range == "*" {
            continue;
        }
        match range.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (value(a)?, value(b)?);
                if a > b {
                    return Err(format!("the range {a}-{b} runs backwards"));
                }
            }
            None => {
                value(range)?;
                if step.is_some() {
                    return Err("a step needs `*` or a range before it".into());
                }
            }
        }
    }
    Ok(())
}

/// A file mode: permission and special bits only, at most `0o7777`.
///
/// ```
/// use stevedore_core::names::file_mode;
/// assert!(file_mode(0o4755).is_ok());
/// assert!(file_mode(0o77777).is_err());
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::FileMode`] (the value shown in octal).
pub fn file_mode(mode: u64) -> Checked {
    if mode > 0o7777 {
        return Err(NameError {
            kind: Kind::FileMode,
            value: format!("0o{mode:o}"),
            problem: Problem::Malformed(format!("0o{mode:o} has bits above 0o7777")),
        });
    }
    Ok(())
}

/// A TCP or UDP port: `1..=65535` (0 means "any port" to the kernel, never a service).
///
/// ```
/// use stevedore_core::names::port;
/// assert!(port(22).is_ok() && port(65535).is_ok());
/// assert!(port(0).is_err() && port(65536).is_err());
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::Port`].
pub fn port(p: u64) -> Checked {
    if !(1..=65535).contains(&p) {
        return Err(NameError {
            kind: Kind::Port,
            value: p.to_string(),
            problem: Problem::OutOfRange { value: p, min: 1, max: 65535 },
        });
    }
    Ok(())
}

/// An absolute path: starts with `/` (so it can never be read as an option or a `find`
/// expression), no NUL, at most [`PATH_MAX`] bytes with components of at most [`NAME_MAX`]
/// (so no command fails on it half-way). Anything else is allowed: spaces, quotes, newlines,
/// any bytes.
///
/// ```
/// use stevedore_core::names::absolute_path;
/// assert!(absolute_path("/srv/app").is_ok() && absolute_path("/tmp/a b\n$(x)").is_ok());
/// assert!(absolute_path("-delete").is_err() && absolute_path("relative/path").is_err() && absolute_path("").is_err());
/// assert!(absolute_path(&format!("/tmp/{}", "x".repeat(256))).is_err());
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::AbsolutePath`].
pub fn absolute_path(s: &str) -> Checked {
    let kind = Kind::AbsolutePath;
    common(kind, s, PATH_MAX)?;
    if !s.starts_with('/') {
        return err(kind, s, Problem::NotAbsolute);
    }
    let mut at = 0;
    for component in s.split('/') {
        if component.len() > NAME_MAX {
            return err(
                kind,
                s,
                Problem::Malformed(format!(
                    "the component at byte {at} is {} bytes long, more than {NAME_MAX}",
                    component.len()
                )),
            );
        }
        at += component.len() + 1;
    }
    Ok(())
}

/// An absolute path naming a file: an [`absolute_path`] whose last component is a name (not
/// empty, `.` or `..`), so it can never name a directory by its spelling.
///
/// ```
/// use stevedore_core::names::file_path;
/// assert!(file_path("/etc/motd").is_ok());
/// assert!(file_path("/etc/").is_err() && file_path("/etc/..").is_err() && file_path("/").is_err());
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::FilePath`].
pub fn file_path(s: &str) -> Checked {
    absolute_path(s).map_err(|e| NameError { kind: Kind::FilePath, ..e })?;
    let last = s.rsplit('/').next().unwrap_or("");
    if matches!(last, "" | "." | "..") {
        return err(Kind::FilePath, s, Problem::Malformed("it names a directory (it ends in `/`, `.` or `..`)".into()));
    }
    Ok(())
}

/// The longest pattern [`ere`], [`bre`] and [`sed_replacement`] take, in bytes: GNU grep
/// compiles longer ones slowly, and matching costs grow with the pattern times the line.
pub const PATTERN_MAX: usize = 4096;

fn pattern_common(kind: Kind, s: &str) -> Checked {
    if s.contains('\0') {
        return err(kind, s, Problem::Nul);
    }
    if s.contains(['\n', '\r']) {
        return err(kind, s, Problem::Newline);
    }
    if s.len() > PATTERN_MAX {
        return err(kind, s, Problem::TooLong { len: s.len(), max: PATTERN_MAX });
    }
    Ok(())
}

/// The end of a bracket expression starting at byte `start` (at `[`): the byte after its `]`.
fn bracket_end(s: &str, start: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = start + 1;
    if b.get(i) == Some(&b'^') {
        i += 1;
    }
    if b.get(i) == Some(&b']') {
        i += 1;
    }
    while i < b.len() {
        match b[i] {
            b']' => return Some(i + 1),
            b'[' if matches!(b.get(i + 1), Some(b':' | b'=' | b'.')) => {
                let close = [b[i + 1], b']'];
                let rest = &s[i + 2..];
                let end = rest.as_bytes().windows(2).position(|w| w == close)?;
                i += 2 + end + 2;
            }
            _ => i += 1,
        }
    }
    None
}

/// A POSIX extended regular expression in the subset `grep -E` and `awk` (mawk, gawk, busybox)
/// read alike: at most [`PATTERN_MAX`] bytes on one line, not empty; `( )` balanced and never
/// empty; `[...]` terminated; no empty alternative (`a||b`, `(|a)`, a leading or trailing `|`);
/// no `*`, `+` or `?` after nothing, `(`, `|` or another quantifier; no interval `{m,n}` (older
/// mawk reads it as text: write `\{` for a brace); `\` only before one of
/// `. [ ] ( ) * + ? { } | ^ $ \ /`, making it literal (`\d`, `\w`, `\<` mean different things,
/// or nothing, to different tools).
///
/// ```
/// use stevedore_core::names::ere;
/// for ok in ["^max=", "^#?PasswordAuthentication .*", "a|b", "(x|y)+z$", "[[:space:]]*", "[]a]", "\\.conf$"] {
///     assert!(ere(ok).is_ok(), "{ok}");
/// }
/// for bad in ["", "*", "a||b", "(", ")", "()", "[a-z", "a{2}", "\\d", "x\\", "a\nb", "(*a)", "a**"] {
///     assert!(ere(bad).is_err(), "{bad:?}");
/// }
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::Ere`].
pub fn ere(s: &str) -> Checked {
    let kind = Kind::Ere;
    pattern_common(kind, s)?;
    if s.is_empty() {
        return err(kind, s, Problem::Empty);
    }
    let malformed = |m: String| err(kind, s, Problem::Malformed(m));
    let b = s.as_bytes();
    let mut depth = 0usize;
    // What came before: nothing (start, `(` or `|`), an atom, or a quantifier.
    #[derive(PartialEq)]
    enum Prev {
        Nothing,
        Atom,
        Quantifier,
    }
    let mut prev = Prev::Nothing;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                let Some(&c) = b.get(i + 1) else { return malformed("it ends in a lone `\\`".into()) };
                if !br".[]()*+?{}|^$\/".contains(&c) {
                    let ch = s[i + 1..].chars().next().unwrap_or('?');
                    return malformed(format!(
                        "`\\{ch}` at byte {i} is not portable: grep and awk read it differently"
                    ));
                }
                i += 2;
                prev = Prev::Atom;
                continue;
            }
            b'[' => {
                let Some(end) = bracket_end(s, i) else {
                    return malformed(format!("the bracket expression at byte {i} has no closing `]`"));
                };
                i = end;
                prev = Prev::Atom;
                continue;
            }
            b'(' => {
                if b.get(i + 1) == Some(&b')') {
                    return malformed(format!("the group at byte {i} is empty"));
                }
                depth += 1;
                prev = Prev::Nothing;
            }
            b')' => {
                if depth == 0 {
                    return malformed(format!("the `)` at byte {i} closes no group"));
                }
                if prev == Prev::Nothing {
                    return malformed(format!("an empty alternative ends at byte {i}"));
                }
                depth -= 1;
                prev = Prev::Atom;
            }
            b'|' => {
                if prev == Prev::Nothing {
                    return malformed(format!("an empty alternative ends at byte {i}"));
                }
                prev = Prev::Nothing;
            }
            b'*' | b'+' | b'?' => {
                if prev != Prev::Atom {
                    return malformed(format!("the quantifier `{}` at byte {i} follows no atom", b[i] as char));
                }
                prev = Prev::Quantifier;
            }
            b'{' => {
                return malformed(format!(
                    "the interval at byte {i} is read as text by some awks: write `\\{{` for a brace, or repeat the atom"
                ));
            }
            _ => prev = Prev::Atom,
        }
        i += 1;
    }
    if depth > 0 {
        return malformed("a group is not closed".into());
    }
    if prev == Prev::Nothing {
        return malformed("it ends with an empty alternative".into());
    }
    Ok(())
}

/// A POSIX basic regular expression in the subset GNU and busybox `sed` read alike: at most
/// [`PATTERN_MAX`] bytes on one line, not empty (an empty regex means "the last one" to sed);
/// `\( \)` balanced; `[...]` terminated; intervals `\{m\}`, `\{m,\}`, `\{m,n\}` (m ≤ n ≤ 255)
/// after an atom; `\` only before `( ) { } 1-9 . [ ] * ^ $ \ / n` (`\+`, `\?`, `\|`, `\t`, `\w`
/// are GNU extensions busybox on musl lacks). `*`, `+`, `?`, `|`, `(`, `{` alone are literal
/// characters, as in every BRE.
///
/// ```
/// use stevedore_core::names::bre;
/// for ok in ["^listen 80$", "^#\\{0,1\\}Pass", "\\(a\\)\\1", "*literal", "a+b?c|d", "[/]"] {
///     assert!(bre(ok).is_ok(), "{ok}");
/// }
/// for bad in ["", "\\(", "\\)", "[a", "a\\{2", "a\\{3,1\\}", "\\{1\\}", "a\\+", "\\w", "x\\", "a\nb"] {
///     assert!(bre(bad).is_err(), "{bad:?}");
/// }
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::Bre`].
pub fn bre(s: &str) -> Checked {
    let kind = Kind::Bre;
    pattern_common(kind, s)?;
    if s.is_empty() {
        return err(kind, s, Problem::Malformed("it is empty, which sed reads as the last regex used".into()));
    }
    let malformed = |m: String| err(kind, s, Problem::Malformed(m));
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut atom = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                let Some(&c) = b.get(i + 1) else { return malformed("it ends in a lone `\\`".into()) };
                match c {
                    b'(' => {
                        depth += 1;
                        atom = false;
                    }
                    b')' => {
                        if depth == 0 {
                            return malformed(format!("the `\\)` at byte {i} closes no group"));
                        }
                        depth -= 1;
                        atom = true;
                    }
                    b'{' => {
                        if !atom {
                            return malformed(format!("the interval at byte {i} follows no atom"));
                        }
                        let rest = &s[i + 2..];
                        let Some(end) = rest.find("\\}") else {
                            return malformed(format!("the interval at byte {i} has no closing `\\}}`"));
                        };
                        let body = &rest[..end];
                        let (m, n) = match body.split_once(',') {
                            Some((m, n)) => (m, if n.is_empty() { None } else { Some(n) }),
                            None => (body, Some(body)),
                        };
                        let num = |t: &str| t.parse::<u32>().ok().filter(|v| *v <= 255 && !t.is_empty());
                        let ok = match (num(m), n.map(num)) {
                            (Some(_), None) => true,
                            (Some(a), Some(Some(b))) => a <= b,
                            _ => false,
                        };
                        if !ok {
                            return malformed(format!(
                                "the interval `\\{{{body}\\}}` at byte {i} is not m, m, or m,n (m <= n <= 255)"
                            ));
                        }
                        i += 2 + end + 2;
                        atom = false;
                        continue;
                    }
                    b'1'..=b'9' | b'.' | b'[' | b']' | b'*' | b'^' | b'$' | b'\\' | b'/' | b'n' => atom = true,
                    _ => {
                        let ch = s[i + 1..].chars().next().unwrap_or('?');
                        return malformed(format!(
                            "`\\{ch}` at byte {i} is not portable: GNU and busybox sed read it differently"
                        ));
                    }
                }
                i += 2;
                continue;
            }
            b'[' => {
                let Some(end) = bracket_end(s, i) else {
                    return malformed(format!("the bracket expression at byte {i} has no closing `]`"));
                };
                i = end;
                atom = true;
                continue;
            }
            _ => atom = true,
        }
        i += 1;
    }
    if depth > 0 {
        return malformed("a `\\(` group is not closed".into());
    }
    Ok(())
}

/// The replacement of a sed `s` command, in the part GNU and busybox sed read alike: at most
/// [`PATTERN_MAX`] bytes on one line; `&` is the match; `\` only before a digit (a group), `&`,
/// `\` (literal) or `n` (a newline), and never last.
///
/// ```
/// use stevedore_core::names::sed_replacement;
/// assert!(sed_replacement("listen 8080").is_ok() && sed_replacement("[&] \\1 \\& \\\\").is_ok());
/// assert!(sed_replacement("x\\").is_err() && sed_replacement("\\U").is_err() && sed_replacement("a\nb").is_err());
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::SedReplacement`].
pub fn sed_replacement(s: &str) -> Checked {
    let kind = Kind::SedReplacement;
    pattern_common(kind, s)?;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            match b.get(i + 1) {
                None => return err(kind, s, Problem::Malformed("it ends in a lone `\\`".into())),
                Some(b'0'..=b'9' | b'&' | b'\\' | b'n') => i += 2,
                Some(_) => {
                    let ch = s[i + 1..].chars().next().unwrap_or('?');
                    return err(
                        kind,
                        s,
                        Problem::Malformed(format!(
                            "`\\{ch}` at byte {i} is not portable: GNU and busybox sed read it differently"
                        )),
                    );
                }
            }
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// One sed address at the start of `s`: the rest after it.
fn sed_address_one(s: &str) -> Result<&str, String> {
    if let Some(rest) = s.strip_prefix('$') {
        return Ok(rest);
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let n: u64 = s[..end].parse().map_err(|_| format!("line number `{}` is too large", &s[..end]))?;
        if n == 0 {
            return Err("lines are numbered from 1".into());
        }
        return Ok(&s[end..]);
    }
    let Some(body) = s.strip_prefix('/') else {
        return Err(format!("expected a line number, `$` or `/regex/` at `{s}`"));
    };
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '/' => {
                bre(&body[..i]).map_err(|e| format!("the regex of `/{}/`: {}", &body[..i], e.problem))?;
                return Ok(&body[i + 1..]);
            }
            _ => {}
        }
    }
    Err("the `/regex/` address has no closing `/`".into())
}

/// A sed address restricting a command to some lines: `N` (line N, from 1), `$` (the last
/// line), `/BRE/` (lines matching a [`bre`]; a `/` in it is written `\/`), or `A,B` (from the
/// line `A` selects through the next line `B` selects). Nothing else: no flags after `/BRE/`,
/// no `!`, no spaces, no command, so an address can never carry one (GNU sed's `e` runs a
/// command).
///
/// ```
/// use stevedore_core::names::sed_address;
/// for ok in ["1", "$", "/^#/", "/a\\/b/", "3,$", "/^\\[main\\]/,/^\\[/"] {
///     assert!(sed_address(ok).is_ok(), "{ok}");
/// }
/// for bad in ["1e touch /tmp/x", "/x/e id", "/x/I", "/x/w /tmp/out", "1!", "1;e id", "0", "", "1,", "$ ", "1\n"] {
///     assert!(sed_address(bad).is_err(), "{bad:?}");
/// }
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::SedAddress`].
pub fn sed_address(s: &str) -> Checked {
    let kind = Kind::SedAddress;
    pattern_common(kind, s)?;
    let rest =
        sed_address_one(s).map_err(|m| NameError { kind, value: s.to_string(), problem: Problem::Malformed(m) })?;
    let rest = match rest.strip_prefix(',') {
        Some(second) => sed_address_one(second).map_err(|m| NameError {
            kind,
            value: s.to_string(),
            problem: Problem::Malformed(m),
        })?,
        None => rest,
    };
    if !rest.is_empty() {
        return err(
            kind,
            s,
            Problem::Malformed(format!("unexpected `{rest}` after the address (only ADDRESS or ADDRESS,ADDRESS)")),
        );
    }
    Ok(())
}

/// The longest path Linux takes (`PATH_MAX` less its NUL), in bytes.
pub const PATH_MAX: usize = 4095;

/// The longest file name (path component) Linux file systems take (`NAME_MAX`), in bytes.
pub const NAME_MAX: usize = 255;

/// One line of a line-oriented file (a crontab, sudoers, `authorized_keys`, `/etc/hosts`, a
/// line managed by `line_in_file`): no newline, carriage return or NUL. May be empty and may
/// start with `-` (it is written as data, never as an operand).
///
/// ```
/// use stevedore_core::names::line;
/// assert!(line("max=20").is_ok() && line("-x").is_ok() && line("").is_ok());
/// assert!(line("a\nb").is_err() && line("a\rb").is_err());
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::Line`].
pub fn line(s: &str) -> Checked {
    if s.contains('\0') {
        return err(Kind::Line, s, Problem::Nul);
    }
    if s.contains(['\n', '\r']) {
        return err(Kind::Line, s, Problem::Newline);
    }
    Ok(())
}

/// A field of `/etc/passwd` (the GECOS comment): a [`line`] without `:`. May be empty.
///
/// # Errors
/// [`NameError`] of kind [`Kind::PasswdField`].
pub fn passwd_field(s: &str) -> Checked {
    line(s).map_err(|e| NameError { kind: Kind::PasswdField, ..e })?;
    if let Some(at) = s.find(':') {
        return err(Kind::PasswdField, s, Problem::BadChar { ch: ':', at });
    }
    Ok(())
}

/// A home directory or login shell: an [`absolute_path`] that is a [`passwd_field`].
///
/// # Errors
/// [`NameError`] of kind [`Kind::LoginPath`].
pub fn login_path(s: &str) -> Checked {
    absolute_path(s).map_err(|e| NameError { kind: Kind::LoginPath, ..e })?;
    passwd_field(s).map_err(|e| NameError { kind: Kind::LoginPath, ..e })
}

/// A crypt(3) password hash (`$6$salt$...`, `$y$...`, `!` or `*` for locked): characters
/// `[A-Za-z0-9./$!*=+,_-]`, not starting with `-`. May be empty (no password).
///
/// # Errors
/// [`NameError`] of kind [`Kind::PasswordHash`].
pub fn password_hash(s: &str) -> Checked {
    if s.is_empty() {
        return Ok(());
    }
    common(Kind::PasswordHash, s, 1024)?;
    match bad_char(s, 0, |c| alnum(c) || "./$!*=+,_-".contains(c)) {
        Some(p) => err(Kind::PasswordHash, s, p),
        None => Ok(()),
    }
}

/// A URL: `scheme://rest` with a scheme `[a-z][a-z0-9+.-]*`, in printable ASCII without space,
/// `"`, `'`, `\`, `` ` ``, `<`, `>`, `{`, `}` or `|` (percent-encode them). Fit to stand in a
/// configuration line or a quoted string of apt's configuration, and never read as an option.
///
/// ```
/// use stevedore_core::names::url;
/// assert!(url("https://deb.example.org/debian").is_ok() && url("http://proxy:3128").is_ok());
/// assert!(url("https://repo.invalid/el/$releasever").is_ok());
/// for bad in ["-o/tmp/x", "example.org", "http://x\"; Pre-Invoke", "http://a b", "http://x\ny", "http://é"] {
///     assert!(url(bad).is_err(), "{bad:?}");
/// }
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::Url`].
pub fn url(s: &str) -> Checked {
    let kind = Kind::Url;
    common(kind, s, 8192)?;
    let Some((scheme, _)) = s.split_once("://") else {
        return err(kind, s, Problem::Malformed("it has no `scheme://`".into()));
    };
    part(kind, s, scheme, 0, "scheme", |c| c.is_ascii_lowercase(), |c| lower_digit(c) || "+.-".contains(c))?;
    match bad_char(s, 0, |c| c.is_ascii_graphic() && !"\"'\\`<>{}|".contains(c)) {
        Some(p) => err(kind, s, p),
        None => Ok(()),
    }
}

/// A SHA-256 checksum: 64 hex digits (either case).
///
/// # Errors
/// [`NameError`] of kind [`Kind::Sha256`].
pub fn sha256(s: &str) -> Checked {
    common(Kind::Sha256, s, 64)?;
    if let Some(p) = bad_char(s, 0, |c| c.is_ascii_hexdigit()) {
        return err(Kind::Sha256, s, p);
    }
    if s.len() != 64 {
        return err(Kind::Sha256, s, Problem::Malformed(format!("it has {} digits, not 64", s.len())));
    }
    Ok(())
}

/// One path component: `[A-Za-z0-9_][A-Za-z0-9._-]*`, at most 255 bytes (so never `.`, `..`,
/// hidden, or holding `/`).
///
/// ```
/// use stevedore_core::names::file_name;
/// assert!(file_name("pallet-admin").is_ok() && file_name("app.list").is_ok());
/// assert!(file_name("../x").is_err() && file_name(".hidden").is_err() && file_name("a/b").is_err());
/// ```
///
/// # Errors
/// [`NameError`] of kind [`Kind::FileName`].
pub fn file_name(s: &str) -> Checked {
    common(Kind::FileName, s, 255)?;
    chars(Kind::FileName, s, |c| alnum(c) || c == '_', |c| alnum(c) || "._-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_typed() {
        assert_eq!(user_name("").unwrap_err().problem, Problem::Empty);
        assert_eq!(user_name("-x").unwrap_err().problem, Problem::LeadingDash);
        assert_eq!(user_name("a\nb").unwrap_err().problem, Problem::Newline);
        assert_eq!(user_name(&"a".repeat(33)).unwrap_err().problem, Problem::TooLong { len: 33, max: 32 });
        assert_eq!(user_name("$").unwrap_err().problem, Problem::BadChar { ch: '$', at: 0 });
        assert_eq!(user_name("a$b").unwrap_err().problem, Problem::BadChar { ch: '$', at: 1 });
        assert_eq!(absolute_path("x").unwrap_err().problem, Problem::NotAbsolute);
        assert_eq!(absolute_path("/a\0").unwrap_err().problem, Problem::Nul);
        assert_eq!(port(0).unwrap_err().problem, Problem::OutOfRange { value: 0, min: 1, max: 65535 });
        assert_eq!(file_mode(0o10000).unwrap_err().value, "0o10000");
        assert!(file_mode(0o10000).unwrap_err().to_string().contains("0o10000 has bits above 0o7777"));
    }

    #[test]
    fn package_names_per_packager() {
        use Packager::*;
        let ok = [
            (Apt, "g++"),
            (Apt, "python3.11"),
            (Apt, "nginx:arm64=1.22.1-9+deb12u1"),
            (Apt, "tzdata=2024a-0+deb12u1"),
            (Apt, "bash=1:5.2-2"),
            (Dnf, "389-ds-base"),
            (Yum, "kernel-3.10.0-1160.el7.x86_64"),
            (Zypper, "libopenssl-devel"),
            (Zypper, "nginx<=1.21"),
            (Apk, "py3-pip"),
            (Apk, "nginx~1.24"),
            (Apk, "nginx>=1.24"),
            (Apk, "curl@edge"),
            (Apk, "cmd:bash"),
            (Pacman, "lib32-glibc"),
            (Pacman, "nginx=1.24.0-1"),
            (Pacman, "core/pacman"),
        ];
        for (p, n) in ok {
            assert_eq!(package_name(p, n), Ok(()), "{p:?} {n}");
        }
        let bad = [
            (Apt, "nginx=", "empty version"),
            (Apt, "nginx=abc", "version starts with a digit"),
            (Apt, "Nginx", "uppercase"),
            (Apt, "nginx>1", "no operators"),
            (Apt, "x", "too short"),
            (Dnf, "*", "glob"),
            (Dnf, "nginx>=1", "dnf: no operators"),
            (Zypper, "nginx>=", "empty version"),
            (Apk, "ngin x", "space"),
            (Apk, "foo:bar", "unknown prefix"),
            (Pacman, "Nginx", "uppercase"),
            (Pacman, ".hidden", "leading dot"),
            (Pacman, "nginx>>1", "bad version"),
        ];
        for (p, n, why) in bad {
            assert!(package_name(p, n).is_err(), "{p:?} {n}: {why}");
        }
        for n in ["$(id)", "`id`", "a|b", "a\nb", "a'b", "a\"b", "a*", "a?", "a[b]", "\u{202e}x", "x\u{200b}"] {
            assert!(any_package_name(n).is_err(), "{n:?}");
        }
    }

    #[test]
    fn error_messages_name_the_rule_and_the_value() {
        let e = package_name(Packager::Apt, "vim && id").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("\"vim && id\" is not a valid apt package name: ` ` at byte 3"), "{text}");
        assert!(text.contains("Debian policy"), "{text}");
        let e = cron_schedule("61 * * * *").unwrap_err();
        assert!(e.to_string().contains("minute `61`: 61 is not in 0-59"), "{e}");
        let e = hostname("a\u{202e}b").unwrap_err();
        assert!(e.to_string().contains("`\\u{202e}` at byte 1"), "{e}");
    }

    #[test]
    fn cron_names_and_steps() {
        assert!(cron_schedule("0 0 * JAN-Mar sun").is_ok());
        assert!(cron_schedule("0 0 * * 7").is_ok());
        assert!(cron_schedule("0 0 * * 8").is_err());
        assert!(cron_schedule("0 0 0 * *").is_err(), "day of month starts at 1");
        assert!(cron_schedule("5/2 * * * *").is_err(), "a step needs a range");
        assert!(cron_schedule("0-59/15 * * * *").is_ok());
        assert!(cron_schedule("* * * * mon;id").is_err());
        assert!(cron_schedule("@reboot extra").is_err());
    }

    #[test]
    fn hosts_take_addresses() {
        assert!(host("127.0.0.1").is_ok() && host("::1").is_ok() && host("db-1.internal").is_ok());
        assert!(host("-p").is_err() && host("a b").is_err());
    }
}
