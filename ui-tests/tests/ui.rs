//! Compile tests of the macros: `fail/` cases must fail with exactly the `.stderr` next to them,
//! `pass/` cases must compile and run. Compiler messages change between releases, so the test
//! runs only on the toolchain the snapshots were made with (regenerate with
//! `TRYBUILD=overwrite cargo test -p ui-tests` and review the diff when it changes).

#[rustversion::attr(not(stable(1.95)), ignore)]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("fail/*.rs");
    t.pass("pass/*.rs");
}
