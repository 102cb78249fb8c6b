use stevedore::{script, Script};

fn ensure_dir(path: &str) -> Script {
    script! { if [ ! -d #path ] { mkdir -p #path; } }
}

fn main() {
    let dirs = ["/srv/a", "/srv/b c"];
    let parts: Vec<Script> = dirs.iter().map(|d| ensure_dir(d)).collect();
    let all = Script::join(&parts);
    let s = script! {
        if id deploy { #all; }
    };
    assert_eq!(
        s.to_text().unwrap(),
        "if id deploy; then\n  if [ ! -d /srv/a ]; then\n    mkdir -p /srv/a\n  fi\n  if [ ! -d '/srv/b c' ]; then\n    mkdir -p '/srv/b c'\n  fi\nfi\n"
    );
}
