//! Downloads, with curl or wget (whichever the node has).

use crate::interpolate::OneWord;
use crate::script;
use crate::script::Script;

/// Downloads `url` to `dest` (a path, or a [`ShellVar`](crate::ShellVar) holding one) with curl
/// (`-fsSL`: follows redirects; `-g`: `[]` and `{}` in the URL are not globs) or, without curl,
/// wget (`-q`). Fails on HTTP errors, and when neither tool is installed. `dest` is written in
/// place (not atomically). The URL comes after `--`, so neither tool reads it as an option.
pub fn download(url: &str, dest: impl OneWord) -> Script {
    script! {
        if command -v curl > /dev/null 2>&1 {
            curl -fsSL -g -o #dest -- #url;
        } else if command -v wget > /dev/null 2>&1 {
            wget -q -O #dest -- #url;
        } else {
            echo "download: neither curl nor wget is installed" >&2;
            false;
        }
    }
}
