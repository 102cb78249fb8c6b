//! How Rust values enter scripts: [`ShellWord`] for text-like values (always one quoted word),
//! [`Interpolate`] for everything `#value` accepts (text, lists of words, script fragments), and
//! [`OneWord`] for what a script function takes as one argument word: text or a [`ShellVar`].

use crate::script::{Script, ScriptBuf};
use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use stevedore_core::render::SpliceMode;

/// A text-like value: it becomes exactly one shell word, quoted so the shell sees its bytes
/// unchanged. Implemented for strings, paths, `OsStr`, byte strings, integers (not `u8`/`i8`,
/// which would make `Vec<u8>` a list of numbers), floats, `char`, IP and socket addresses.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be one shell word",
    label = "not text-like: a word part needs a string, path, number or address",
    note = "lists and script fragments can only stand alone as `#value`, not inside a word"
)]
pub trait ShellWord {
    /// The bytes of the word (before quoting).
    fn shell_word(&self) -> Cow<'_, [u8]>;
}

/// A value `#value` accepts, spliced by its type:
/// text-like values ([`ShellWord`]) become one quoted word; lists (`Vec`, slices, arrays,
/// `Option`) of text-like values become several words (none for an empty list); a [`Script`] is
/// spliced as code.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be interpolated into a script",
    label = "expected text, a list of words, or a Script",
    note = "text-like values (str, String, Path, numbers, IP addresses) become one quoted word; Vec/slices/arrays/Option of them several words; a Script is spliced as code"
)]
pub trait Interpolate {
    /// Appends this value to `out` as `mode` requires.
    fn interpolate(&self, out: &mut ScriptBuf, mode: SpliceMode);
}

fn word_mode(out: &mut ScriptBuf, w: Cow<'_, [u8]>, mode: SpliceMode) {
    out.push_words(std::iter::once(w), mode);
}

impl<T: ShellWord + ?Sized> ShellWord for &T {
    fn shell_word(&self) -> Cow<'_, [u8]> {
        (**self).shell_word()
    }
}

/// Every text-like value is interpolated as one word.
impl<T: ShellWord + ?Sized> Interpolate for T {
    fn interpolate(&self, out: &mut ScriptBuf, mode: SpliceMode) {
        word_mode(out, self.shell_word(), mode);
    }
}

macro_rules! text_like {
    ($($t:ty => |$s:ident| $e:expr;)*) => {
        $(
            impl ShellWord for $t {
                fn shell_word(&self) -> Cow<'_, [u8]> {
                    let $s = self;
                    $e
                }
            }
        )*
    };
}

macro_rules! display_like {
    ($($t:ty),*) => {
        text_like! { $($t => |s| Cow::Owned(s.to_string().into_bytes());)* }
    };
}

text_like! {
    str => |s| Cow::Borrowed(s.as_bytes());
    String => |s| Cow::Borrowed(s.as_bytes());
    Cow<'_, str> => |s| Cow::Borrowed(s.as_bytes());
    Box<str> => |s| Cow::Borrowed(s.as_bytes());
    std::sync::Arc<str> => |s| Cow::Borrowed(s.as_bytes());
    std::rc::Rc<str> => |s| Cow::Borrowed(s.as_bytes());
    OsStr => |s| Cow::Borrowed(std::os::unix::ffi::OsStrExt::as_bytes(s));
    OsString => |s| Cow::Borrowed(std::os::unix::ffi::OsStrExt::as_bytes(s.as_os_str()));
    Path => |s| Cow::Borrowed(std::os::unix::ffi::OsStrExt::as_bytes(s.as_os_str()));
    PathBuf => |s| Cow::Borrowed(std::os::unix::ffi::OsStrExt::as_bytes(s.as_os_str()));
    [u8] => |s| Cow::Borrowed(s);
    Vec<u8> => |s| Cow::Borrowed(s.as_slice());
}

display_like!(
    char, u16, u32, u64, u128, usize, i16, i32, i64, i128, isize, f32, f64, IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr
);

impl<const N: usize> ShellWord for [u8; N] {
    fn shell_word(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.as_slice())
    }
}

macro_rules! list_like {
    ($(impl[$($g:tt)*] $t:ty => |$s:ident| $e:expr;)*) => {
        $(
            impl<$($g)*> Interpolate for $t {
                fn interpolate(&self, out: &mut ScriptBuf, mode: SpliceMode) {
                    let $s = self;
                    out.push_words($e.map(ShellWord::shell_word), mode);
                }
            }
        )*
    };
}

// Lists of words, owned and borrowed (references to text-like values are covered by the
// blanket impl above, so references to lists and scripts are spelled out here).
list_like! {
    impl[T: ShellWord] [T] => |s| s.iter();
    impl[T: ShellWord] &[T] => |s| s.iter();
    impl[T: ShellWord] Vec<T> => |s| s.iter();
    impl[T: ShellWord] &Vec<T> => |s| s.iter();
    impl[T: ShellWord, const N: usize] [T; N] => |s| s.iter();
    impl[T: ShellWord, const N: usize] &[T; N] => |s| s.iter();
    impl[T: ShellWord] Option<T> => |s| s.iter();
    impl[T: ShellWord] &Option<T> => |s| s.iter();
    impl[T: ShellWord] std::collections::BTreeSet<T> => |s| s.iter();
    impl[T: ShellWord] &std::collections::BTreeSet<T> => |s| s.iter();
}

impl Interpolate for Script {
    fn interpolate(&self, out: &mut ScriptBuf, mode: SpliceMode) {
        out.push_script(self, mode);
    }
}

impl Interpolate for &Script {
    fn interpolate(&self, out: &mut ScriptBuf, mode: SpliceMode) {
        out.push_script(self, mode);
    }
}

/// A shell variable as one word: `"$name"`, double-quoted, so it is neither split nor globbed.
/// For values only the running script knows (a temporary path, a loop variable) where a script
/// function takes a word ([`OneWord`]); inside `script!` write `$name` instead.
///
/// ```
/// use stevedore::{ShellVar, script};
/// let tmp = ShellVar::new("p_tmp");
/// let s = script! { p_tmp=$(mktemp); cp /etc/hosts #tmp; sort -o #tmp < #tmp; };
/// assert_eq!(s.to_text().unwrap(), "p_tmp=\"$(mktemp)\"\ncp /etc/hosts \"$p_tmp\"\nsort -o \"$p_tmp\" <\"$p_tmp\"\n");
/// # pallet_testkit::gate::assert_passes(s.to_bytes().unwrap());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellVar {
    name: String,
}

impl ShellVar {
    /// The variable `name`.
    ///
    /// # Panics
    /// When `name` is not a shell variable name (a letter or `_`, then letters, digits or `_`):
    /// variable names are the program's own text, never data.
    pub fn new(name: impl Into<String>) -> ShellVar {
        let name = name.into();
        let mut bytes = name.bytes();
        let valid = bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
        assert!(valid, "`{name}` is not a shell variable name");
        ShellVar { name }
    }

    /// The variable's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Interpolate for ShellVar {
    fn interpolate(&self, out: &mut ScriptBuf, mode: SpliceMode) {
        out.push_shell_word(format!("\"${}\"", self.name).as_bytes(), mode);
    }
}

impl Interpolate for &ShellVar {
    fn interpolate(&self, out: &mut ScriptBuf, mode: SpliceMode) {
        (**self).interpolate(out, mode);
    }
}

/// A value that is exactly one shell word: any text-like value ([`ShellWord`], quoted) or a
/// [`ShellVar`] (its run-time value). Script functions take it for arguments, such as paths, that
/// the caller may know only when the script runs; a redirection target that is one `#value`
/// (`> #path`) takes it too.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be one shell word",
    label = "expected text (a string, path, number or address) or a ShellVar",
    note = "lists and script fragments can only stand alone as `#value` in a command line"
)]
pub trait OneWord: Interpolate {}

impl<T: ShellWord + ?Sized> OneWord for T {}
impl OneWord for ShellVar {}
impl OneWord for &ShellVar {}
