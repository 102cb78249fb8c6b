//! `pallet new`: a generated ops crate builds (against this workspace, by path, in the shared
//! target directory so only the new crate compiles) and runs `plan` as it is; existing
//! directories and invalid names are refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn pallet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pallet")).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The target directory this test was built in (`…/target/debug/deps/new-…`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[test]
fn a_generated_project_builds_and_plans_and_bad_requests_are_refused() {
    let parent = std::env::temp_dir().join(format!("pallet-new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&parent);
    std::fs::create_dir_all(&parent).unwrap();
    let ws = workspace();
    let o = pallet(&["new", "ops-demo", "--dir", parent.to_str().unwrap(), "--path", ws.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let dir = parent.join("ops-demo");
    for f in ["Cargo.toml", "src/main.rs", "pallet.toml", "inventory.toml", "README.md", ".gitignore"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }

    // Refusals: the directory exists now; names cargo would refuse.
    let again = pallet(&["new", "ops-demo", "--dir", parent.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(3));
    assert!(text(&again).contains("ops-demo already exists"), "{}", text(&again));
    for bad in ["2ops", "my ops", "fn", "pallet"] {
        let o = pallet(&["new", bad, "--dir", parent.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(3), "{bad}");
        assert!(text(&o).contains(&format!("invalid crate name `{bad}`")), "{}", text(&o));
        assert!(!parent.join(bad).exists());
    }

    // Build it with this workspace's lock file (same versions, offline) in the shared target
    // directory, so only the new crate compiles.
    std::fs::copy(ws.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let t = Instant::now();
    let build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--offline", "--quiet"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    assert!(build.status.success(), "{}", text(&build));
    eprintln!("generated crate built in {:.1} s", t.elapsed().as_secs_f64());

    let plan = Command::new(target_dir().join("debug/ops-demo"))
        .arg("plan")
        .current_dir(&dir)
        .env_remove("PALLET_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-pallet-config")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&plan.stdout).into_owned();
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert!(out.contains("# ===== web-1 / configure (debian 12) ====="), "{out}");
    for action in
        ["packages: install nginx", "remote_file /etc/nginx/nginx.conf", "remote_file /var/www/html/index.html"]
    {
        assert!(out.contains(action), "{action} missing:\n{out}");
    }
    for s in out.split("# ===== ").skip(1) {
        let body: String = s.lines().skip(1).filter(|l| !l.starts_with("#   ")).map(|l| format!("{l}\n")).collect();
        pallet_testkit::gate::assert_passes(body);
    }
    let _ = std::fs::remove_dir_all(&parent);
}
