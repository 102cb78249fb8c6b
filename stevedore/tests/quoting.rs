//! Quoting property test: any byte string without NUL, interpolated with `#value`, comes back
//! byte-exact from dash, bash and busybox sh, as exactly one word, and never changes the
//! structure of the script around it.
//!
//! Each proptest case carries 100 values, so 100 cases check 10,000 values per shell.

use proptest::prelude::*;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;
use stevedore::{Script, script};

const SHELLS: [&[&str]; 3] = [&["dash"], &["bash"], &["busybox", "sh"]];

fn nasty_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(b"'\"\n$`\\*?[]{}()<>|&;#~=- \t!%^,.:/".to_vec()),
        1 => 1u8..=255u8,
        1 => b'a'..=b'z',
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(nasty_byte(), 0..24)
}

fn program(values: &[Vec<u8>]) -> Vec<u8> {
    let mut s = Script::new();
    for v in values {
        let v = OsStr::from_bytes(v);
        // One word: exactly one positional parameter; printed back NUL-terminated.
        s.push(&script! {
            set -- #v;
            [ $# -eq 1 ] || echo "word count changed";
            printf "%s\\000" $1;
        });
    }
    s.push(&script! { printf "end"; });
    s.to_bytes().expect("no NUL in the values")
}

fn run(shell: &[&str], program: &[u8]) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("stevedore-quoting-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.sh", shell.join("-")));
    std::fs::write(&path, program).unwrap();
    let out = Command::new(shell[0]).args(&shell[1..]).arg(&path).output().expect("shell runs");
    assert!(out.status.success(), "{shell:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{shell:?} wrote to stderr: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn values_come_back_byte_exact(values in prop::collection::vec(value(), 100)) {
        let program = program(&values);
        let mut expected = Vec::new();
        for v in &values {
            expected.extend_from_slice(v);
            expected.push(0);
        }
        expected.extend_from_slice(b"end");
        for shell in SHELLS {
            let got = run(shell, &program);
            prop_assert!(got == expected, "{:?}: got {:?}", shell, String::from_utf8_lossy(&got));
        }
    }
}

#[test]
fn nul_is_an_error_not_a_shorter_script() {
    let v = "before\0after";
    let s = script! { echo #v; };
    assert_eq!(s.to_bytes(), Err(stevedore::ScriptError::Nul { position: 6 }));
    // The error travels with the fragment into any script that splices it.
    let outer = script! { echo start; #s; };
    assert!(outer.to_bytes().is_err());
    assert!(outer.render(&stevedore::Os::parse("debian").unwrap()).is_err());
}
