//! Rendered constructs are executed, not only parsed: each script runs in dash, busybox sh and
//! bash and must print exactly the expected output.

use pallet_testkit::gate;
use std::process::Command;
use stevedore::{Script, script};

fn run_everywhere(s: &Script, expected: &str) {
    let text = s.to_bytes().expect("static script");
    gate::assert_passes(&text);
    for shell in [&["dash"][..], &["busybox", "sh"], &["bash", "--posix"]] {
        let out = Command::new(shell[0])
            .args(&shell[1..])
            .arg("-c")
            .arg(std::ffi::OsStr::new(std::str::from_utf8(&text).expect("utf-8 test script")))
            .output()
            .expect("shell runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout,
            expected,
            "{shell:?} printed the wrong output (stderr: {})\nscript:\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&text)
        );
    }
}

fn temp_dir(name: &str) -> String {
    let d = std::env::temp_dir().join(format!("stevedore-exec-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d.to_string_lossy().into_owned()
}

#[test]
fn if_elif_else() {
    for (n, expected) in [(1, "one\n"), (2, "two\n"), (3, "many\n")] {
        let s = script! {
            N=#n;
            if [ $N -eq 1 ] { echo one; } else if [ $N -eq 2 ] { echo two; } else { echo many; }
        };
        run_everywhere(&s, expected);
    }
}

#[test]
fn for_over_interpolated_words_and_split() {
    let words = vec!["a b", "c*", "$d"];
    let s = script! {
        for w in #words { echo "<" $w ">"; }
        for w in split!($(echo x y)) { printf "%s;" $w; }
        echo;
    };
    run_everywhere(&s, "< a b >\n< c* >\n< $d >\nx;y;\n");
}

#[test]
fn while_until_loop_and_arithmetic() {
    let s = script! {
        i=0;
        while [ $i -lt 3 ] { i=$(($i + 1)); printf "%s" $i; }
        until [ $i -eq 0 ] { i=$(($i - 1)); }
        loop { echo " done" $i; break; }
    };
    run_everywhere(&s, "123 done 0\n");
}

#[test]
fn case_with_globs_and_literals() {
    let s = script! {
        for f in "x.txt" "*.txt" "y.md" other {
            case $f {
                "*.txt" => { echo literal-star; }
                *.txt => { echo text; }
                *.md | *.rst => { echo doc; }
                _ => { echo other; }
            }
        }
    };
    run_everywhere(&s, "text\nliteral-star\ndoc\nother\n");
}

#[test]
fn functions_pipelines_lists_negation() {
    let s = script! {
        fn greet() { echo "hello" $1; return 3; }
        greet world || echo "status" $?;
        printf "b\na\n" | sort | head -n 1;
        ! false && echo negated;
        true && false || echo recovered;
    };
    run_everywhere(&s, "hello world\nstatus 3\na\nnegated\nrecovered\n");
}

#[test]
fn redirects_and_here_documents() {
    let dir = temp_dir("redirects");
    let body = "line $HOME `x`\n'quoted'\nEOF\n";
    let s = script! {
        echo first > #dir/f;
        echo second >> #dir/f;
        cat < #dir/f;
        cat #dir/missing 2>&1 | grep -c missing;
        echo to-stderr >&2;
        cat << "static $HOME\nEOF inside\n";
        cat << #body;
        { echo grouped; echo twice; } > #dir/g;
        wc -l < #dir/g;
        ( cd #dir && echo sub > s );
        cat #dir/s;
    };
    run_everywhere(&s, &format!("first\nsecond\n1\nstatic $HOME\nEOF inside\n{body}2\nsub\n"));
}

#[test]
fn parameter_expansions() {
    let s = script! {
        unset X;
        echo ${X:-default} ${X-unset};
        X="";
        echo "[" ${X:-empty} "]" "[" ${X-set} "]";
        F=archive.tar.gz;
        echo ${F%.*} ${F%%.*} ${F #*.} ${#F};
        echo ${Y:=assigned} $Y;
    };
    run_everywhere(&s, "default unset\n[ empty ] [  ]\narchive.tar archive tar.gz 14\nassigned assigned\n");
}

#[test]
fn fragments_nest_with_indentation() {
    let inner = script! {
        if [ $1 = x ] { echo found $1; }
    };
    let list = vec!["x", "y"];
    let s = script! {
        fn check() { #inner; }
        for v in #list { check $v; }
    };
    let text = s.to_text().unwrap();
    assert_eq!(
        text,
        "check() {\n  if [ \"$1\" = x ]; then\n    echo found \"$1\"\n  fi\n}\nfor v in x y; do\n  check \"$v\"\ndone\n"
    );
    run_everywhere(&s, "found x\n");
}

#[test]
fn sha256_prints_the_hex_digest_or_fails_with_coreutils_and_busybox() {
    use stevedore::ShellVar;
    use stevedore::functions::sha256;
    let dir = temp_dir("sha256");
    // GNU sha256sum escapes such names in its output when given them as arguments.
    let odd = format!("{dir}/back\\slash\nnewline");
    std::fs::write(&odd, b"abc").unwrap();
    let missing = format!("{dir}/missing");
    // busybox's applets instead of coreutils, for the second run.
    let bb = format!("{dir}/busybox-bin");
    std::fs::create_dir_all(&bb).unwrap();
    for tool in ["sha256sum", "cut", "grep"] {
        std::os::unix::fs::symlink("/bin/busybox", format!("{bb}/{tool}")).unwrap();
    }
    let file = ShellVar::new("p_file");
    // FIPS 180-2, appendix B.1: SHA-256("abc").
    let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    for tools in [Script::new(), script! { PATH=#bb:$PATH; }] {
        let s = script! {
            #tools;
            p_file=#odd;
            #(sha256(odd.as_str()));
            [ $(#(sha256(&file))) = #abc ] && echo same;
            if #(sha256(missing.as_str())) { echo printed; } else { echo failed; }
        };
        run_everywhere(&s, &format!("{abc}\nsame\nfailed\n"));
    }
}

/// `${X:-#v}` is a compile error (a Rust value cannot sit in the word of `${...}`); the way to
/// give a parameter expansion a Rust default is a shell variable, and the value then comes back
/// byte-exact in every shell, whatever it holds.
#[test]
fn rust_defaults_of_parameter_expansions_go_through_a_variable() {
    for v in ["plain", "a b", "}", "'\"$(touch /tmp/stevedore-never)`x`\\", "#v", "-n", "*", "a\nb"] {
        let s = script! {
            unset X;
            p_default=#v;
            printf "[%s]" ${X:-$p_default};
            X="given";
            printf "[%s]" ${X:-$p_default};
        };
        run_everywhere(&s, &format!("[{v}][given]"));
    }
    assert!(!std::path::Path::new("/tmp/stevedore-never").exists());
}
