//! The check behind `sh!("...")`: raw shell must parse as POSIX sh at compile time.

use brush_parser::{ParseError, Parser, ParserOptions};

/// Parses `text` as a POSIX sh program with brush-parser.
///
/// # Errors
/// What is wrong and where, as line and column inside the text.
pub fn check(text: &str) -> Result<(), String> {
    let options =
        ParserOptions { posix_mode: true, sh_mode: true, enable_extended_globbing: false, ..ParserOptions::default() };
    let mut parser = Parser::new(std::io::Cursor::new(text.as_bytes()), &options);
    parser.parse_program().map(|_| ()).map_err(|e| match e {
        ParseError::ParsingNear(p) => format!("syntax error at line {}, column {} of the string", p.line, p.column),
        ParseError::ParsingAtEndOfInput => format!(
            "the string ends inside an unfinished construct (after line {}): a missing `fi`, `done`, `esac`, `}}` or quote?",
            text.trim_end().lines().count().max(1)
        ),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn accepts_good_and_rejects_unclosed() {
        assert!(super::check("if true; then echo ok; fi\nfor x in a b; do echo \"$x\"; done").is_ok());
        let e = super::check("if true; then echo ok").unwrap_err();
        assert!(e.contains("unfinished construct (after line 1)"), "{e}");
        let e = super::check("echo a\necho b; ) c").unwrap_err();
        assert!(e.contains("line 2, column"), "{e}");
    }
}
