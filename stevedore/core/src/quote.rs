//! Quoting: any byte string without NUL becomes exactly one POSIX shell word.
//!
//! The rule is the one every POSIX shell agrees on: inside single quotes nothing is special
//! except the closing quote, so a value is wrapped in `'...'` and each embedded `'` becomes
//! `'\''` (close, escaped quote, reopen). Words made only of characters that are never special
//! (`A-Z a-z 0-9 _ - . / : , + @ %`) and that are not reserved words are left bare, which keeps
//! rendered scripts readable. The empty string becomes `''`.
//!
//! NUL cannot be represented in a shell word (shells truncate at it), so it is an error, never a
//! silently shortened script.

use std::borrow::Cow;
use std::fmt;

/// The error returned when a value cannot become a shell word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteError {
    /// The value contains a NUL byte at `position` (byte offset). Shells cannot carry NUL in a
    /// word or a script, so the value is refused.
    Nul {
        /// Byte offset of the first NUL.
        position: usize,
    },
}

impl fmt::Display for QuoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuoteError::Nul { position } => {
                write!(f, "value contains a NUL byte at offset {position}; a shell word cannot hold NUL")
            }
        }
    }
}

impl std::error::Error for QuoteError {}

/// Words the shell treats as reserved when they appear unquoted in command position.
/// They are always quoted so that an interpolated value can never open or close a construct.
pub const RESERVED_WORDS: &[&str] =
    &["!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "then", "until", "while"];

/// Is `b` a byte that is never special to a POSIX shell, anywhere in a word?
pub fn is_safe_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/' | b':' | b',' | b'+' | b'@' | b'%')
}

/// Can `bytes` be emitted bare (without quotes) as a whole word?
pub fn is_bare_word(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| is_safe_byte(b)) && !RESERVED_WORDS.iter().any(|w| w.as_bytes() == bytes)
}

/// Quotes `bytes` as exactly one shell word, appending it to `out`.
///
/// On error `out` is left unchanged.
///
/// # Errors
/// [`QuoteError::Nul`] when `bytes` contains a NUL byte.
pub fn quote_into(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), QuoteError> {
    if let Some(position) = bytes.iter().position(|&b| b == 0) {
        return Err(QuoteError::Nul { position });
    }
    if is_bare_word(bytes) {
        out.extend_from_slice(bytes);
        return Ok(());
    }
    out.reserve(bytes.len() + 2);
    out.push(b'\'');
    for &b in bytes {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    Ok(())
}

/// Quotes `bytes` as exactly one shell word.
///
/// Returns the input unchanged (borrowed) when it needs no quotes.
///
/// ```
/// use stevedore_core::quote::quote;
/// assert_eq!(&*quote(b"nginx").unwrap(), b"nginx");
/// assert_eq!(&*quote(b"it's here").unwrap(), b"'it'\\''s here'");
/// assert_eq!(&*quote(b"").unwrap(), b"''");
/// assert!(quote(b"a\0b").is_err());
/// ```
///
/// # Errors
/// [`QuoteError::Nul`] when `bytes` contains a NUL byte.
pub fn quote(bytes: &[u8]) -> Result<Cow<'_, [u8]>, QuoteError> {
    if is_bare_word(bytes) {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut out = Vec::with_capacity(bytes.len() + 2);
    quote_into(bytes, &mut out)?;
    Ok(Cow::Owned(out))
}

/// Quotes a UTF-8 string as one shell word; see [`quote`].
///
/// # Errors
/// [`QuoteError::Nul`] when `s` contains a NUL character.
pub fn quote_str(s: &str) -> Result<Cow<'_, str>, QuoteError> {
    match quote(s.as_bytes())? {
        Cow::Borrowed(_) => Ok(Cow::Borrowed(s)),
        // Quoting only adds ASCII quotes and backslashes around valid UTF-8.
        Cow::Owned(v) => Ok(Cow::Owned(String::from_utf8(v).expect("quoting keeps UTF-8 valid"))),
    }
}

/// Escapes `s` for use inside a double-quoted string (`"..."`): `$`, `` ` ``, `"` and `\` get a
/// backslash. Used for the literal parts of `${NAME:-word}` defaults.
pub fn escape_double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '$' | '`' | '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_quoted() {
        assert_eq!(&*quote(b"/etc/nginx/nginx.conf").unwrap(), b"/etc/nginx/nginx.conf");
        assert_eq!(&*quote(b"a b").unwrap(), b"'a b'");
        assert_eq!(&*quote(b"$HOME").unwrap(), b"'$HOME'");
        assert_eq!(&*quote(b"'").unwrap(), b"''\\'''");
        assert_eq!(&*quote(b"~").unwrap(), b"'~'");
        assert_eq!(&*quote(b"a=b").unwrap(), b"'a=b'");
        assert_eq!(&*quote(b"if").unwrap(), b"'if'");
        assert_eq!(&*quote(b"*").unwrap(), b"'*'");
        assert_eq!(&*quote(b"\xff\xfe").unwrap(), b"'\xff\xfe'");
    }

    #[test]
    fn nul_is_an_error_and_out_is_untouched() {
        let mut out = b"keep".to_vec();
        assert_eq!(quote_into(b"ab\0", &mut out), Err(QuoteError::Nul { position: 2 }));
        assert_eq!(out, b"keep");
    }

    #[test]
    fn double_quoted_escape() {
        assert_eq!(escape_double_quoted(r#"a$b`c"d\e"#), r#"a\$b\`c\"d\\e"#);
    }
}
