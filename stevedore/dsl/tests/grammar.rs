//! The DSL parser and renderer without the compiler: token text in, shell text or errors out.

use proc_macro2::TokenStream;
use std::str::FromStr;
use stevedore_core::render::render;
use stevedore_dsl::ctxt::Ctxt;
use stevedore_dsl::parse_script;

/// Renders `src` (holes shown as `<#n>`), or panics with the errors.
fn sh(src: &str) -> String {
    let mut cx = Ctxt::new();
    let (block, _) = parse_script(TokenStream::from_str(src).unwrap(), &mut cx);
    assert!(!cx.has_errors(), "{src}: {:?}", cx.messages());
    let r = render(&block).unwrap();
    let mut out = String::new();
    for c in r.chunks {
        match c {
            stevedore_core::render::Chunk::Text(t) => out.push_str(&String::from_utf8(t).unwrap()),
            stevedore_core::render::Chunk::Hole { hole, .. } => out.push_str(&format!("<#{}>", hole.0)),
            stevedore_core::render::Chunk::HeredocDelimiter(h) => out.push_str(&format!("<delim#{}>", h.0)),
            stevedore_core::render::Chunk::HeredocBody(h) => out.push_str(&format!("<body#{}>", h.0)),
        }
    }
    out
}

/// The error messages for `src`.
fn errors(src: &str) -> Vec<String> {
    let mut cx = Ctxt::new();
    let _ = parse_script(TokenStream::from_str(src).unwrap(), &mut cx);
    cx.messages()
}

#[test]
fn words_join_adjacent_tokens() {
    assert_eq!(sh("apt-get install -y nginx;"), "apt-get install -y nginx\n");
    assert_eq!(sh("cp /etc/nginx/nginx.conf /tmp/a.b-c_d.conf;"), "cp /etc/nginx/nginx.conf /tmp/a.b-c_d.conf\n");
    assert_eq!(sh("chmod 0644 f; sleep 1.5; truncate -s 10M f;"), "chmod 0644 f\nsleep 1.5\ntruncate -s 10M f\n");
    assert_eq!(sh("echo a=b --opt=value user@host:/p ~/x;"), "echo a=b --opt=value user@host:/p ~/x\n");
    assert_eq!(sh("ls *.txt f?.md [a-z]*;"), "ls *.txt f?.md [a-z]*\n");
}

#[test]
fn string_literals_are_literal_words() {
    assert_eq!(sh(r#"echo "a b" "$HOME" "it's" "" "plain";"#), "echo 'a b' '$HOME' 'it'\\''s' '' plain\n");
    assert_eq!(sh(r#"echo pre"fix";"#).trim(), "echo prefix");
}

#[test]
fn expansions_are_double_quoted_unless_split() {
    assert_eq!(
        sh("echo $HOME $1 $? $# $@ ${X} /home/$USER/x;"),
        "echo \"$HOME\" \"$1\" \"$?\" \"$#\" \"$@\" \"$X\" /home/\"$USER\"/x\n"
    );
    assert_eq!(sh("echo ${X:-/tmp} ${#X} ${F %.*};"), "echo \"${X:-/tmp}\" \"${#X}\" \"${F%.*}\"\n");
    assert_eq!(sh("echo $(uname -r) split!($(ls)) split!($X);"), "echo \"$(uname -r)\" $(ls) ${X}\n");
    assert_eq!(sh("echo $((1 + $X * 2));"), "echo $((1 + $X * 2))\n");
}

#[test]
fn interpolation_positions() {
    assert_eq!(sh("echo #a /etc/#b.conf #(c.d());"), "echo <#0> /etc/<#1>.conf <#2>\n");
    assert_eq!(sh("#frag;"), "<#0>");
    assert_eq!(sh("if #cond { #body; }"), "if <#0>; then\n<#1>fi\n");
    assert_eq!(sh("cat << #text > f;"), "cat <<<delim#0> >f\n<body#0>");
}

#[test]
fn operators_and_redirects() {
    assert_eq!(sh("a && b || c; d | e | f; g &"), "a && b || c\nd | e | f\ng &\n");
    assert_eq!(
        sh("a>f; b >> f; c 2>&1 >/dev/null; d < in; e 2> err; f >&2;"),
        "a >f\nb >>f\nc 2>&1 >/dev/null\nd <in\ne 2>err\nf >&2\n"
    );
    assert_eq!(sh("! grep -q x f;"), "! grep -q x f\n");
    assert_eq!(sh("X=1 Y= Z=$HOME env;"), "X=1 Y= Z=\"$HOME\" env\n");
}

#[test]
fn compound_commands() {
    assert_eq!(
        sh("if [ -f a ] && [ ! -d b ] { x; } else if test -e c { y; } else { z; }"),
        "if [ -f a ] && [ ! -d b ]; then\n  x\nelif test -e c; then\n  y\nelse\n  z\nfi\n"
    );
    assert_eq!(sh("while true { break; }"), "while true; do\n  break\ndone\n");
    assert_eq!(sh("until false {}"), "until false; do\n  :\ndone\n");
    assert_eq!(sh("for x in a \"b c\" { echo $x; }"), "for x in a 'b c'; do\n  echo \"$x\"\ndone\n");
    assert_eq!(
        sh("case $1 { start | run => { go; } _ => {} }"),
        "case \"$1\" in\n  start|run)\n    go\n    ;;\n  *)\n    ;;\nesac\n"
    );
    assert_eq!(sh("fn f() { echo $1; }"), "f() {\n  echo \"$1\"\n}\n");
    assert_eq!(sh("{ a; b; } > f"), "{\n  a\n  b\n} >f\n");
    assert_eq!(sh("(cd /; ls)"), "(\n  cd /\n  ls\n)\n");
    assert_eq!(sh("/// a comment\necho x;"), "# a comment\necho x\n");
    assert_eq!(sh("sh!(\"a | b; c\");"), "a | b; c\n");
}

#[test]
fn errors_point_at_the_problem() {
    let e = |s: &str| errors(s).join(" | ");
    assert!(e("echo a\necho b;").contains("expected `;` before this line"), "{}", e("echo a\necho b;"));
    assert!(e("echo # ;").contains("`#` must be followed directly"));
    assert!(e("echo #;").contains("`#` must be followed directly"));
    assert!(e("if { x; }").contains("expected a condition"));
    assert!(e("if true").contains("expected `{` to open the body"));
    assert!(e("echo [[ -f x ]];").contains("`[[ ... ]]` is a bash extension"));
    assert!(e("sh!(\"if true; then\");").contains("raw shell in `sh!` does not parse"));
    assert!(e("echo a &> f;").contains("`&>` is a bash extension"));
    assert!(e("fi;").contains("`fi` is a shell keyword"));
    assert!(e("echo $;").contains("`$` must be followed directly"));
    assert!(e("echo 'a';").contains("character literals are not words"));
    assert!(e("echo (a);").contains("parentheses here must be quoted"));
    assert!(e("fn f(x) { }").contains("declare no parameters"));
    assert!(e("echo ${X:-a b};").contains("without spaces"));
    assert!(e("echo #(1 +);").contains("expected an expression") || !errors("echo #(1 +);").is_empty());
}

#[test]
fn rust_values_in_the_word_of_a_parameter_expansion_are_errors() {
    for src in
        ["echo ${X:-#v};", "echo ${X:-#(v)};", "echo ${X:=a#v};", "echo ${X%#v};", "echo ${X:+#(format!(\"{}\", 1))};"]
    {
        let errs = errors(src);
        assert_eq!(errs.len(), 1, "{src}: {errs:?}");
        assert!(errs[0].contains("a Rust value cannot be interpolated in the word of `${...}`"), "{src}: {errs:?}");
    }
    // `#` that starts no interpolation is text, as before; literal text is a string.
    assert_eq!(sh("echo ${X:-#} ${X%#*} ${X:-\"#v\"};"), "echo \"${X:-#}\" \"${X%#*}\" \"${X:-#v}\"\n");
    assert_eq!(sh("v=#v; echo ${X:-$v};"), "v=<#0>\necho \"${X:-${v}}\"\n");
}

#[test]
fn all_errors_are_reported_at_once() {
    let errs = errors("echo #;\nfi;\necho ok;\nif true");
    assert_eq!(errs.len(), 3, "{errs:?}");
}
