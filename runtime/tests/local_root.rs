//! Actions executed on this machine, in a throwaway directory the test creates: first run
//! changed, second run ok with nothing touched; bad input loses nothing.
// `actions!` builds a `Vec` that some tests only borrow.
#![allow(clippy::useless_vec)]

mod support;

use pallet_runtime::action::*;
use pallet_runtime::render::{RenderOptions, render_phase};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use stevedore::{Os, script};
use support::*;

fn os() -> Os {
    Os::parse("debian-12").unwrap()
}

fn mtime(p: &Path) -> (i64, i64) {
    let m = std::fs::symlink_metadata(p).unwrap();
    (m.mtime(), m.mtime_nsec())
}

fn p(root: &Path, rel: &str) -> String {
    root.join(rel).to_string_lossy().into_owned()
}

#[test]
fn files_directories_links_and_edits_converge() {
    let root = tempfile_dir("root");
    let state = p(&root, "state");
    std::fs::write(root.join("sed.conf"), "listen 80\nname old\n").unwrap();
    std::fs::write(root.join("lines.conf"), "a=1\nmax=10").unwrap();
    let content = "line with 'quotes' and $HOME and `ticks`\n\u{00e9}\n";
    let build = || {
        actions![
            directory(p(&root, "srv/app")).owner("daemon").group("daemon").mode(0o750),
            file(p(&root, "srv/app/touched")).mode(0o600),
            symbolic_link(p(&root, "srv/app"), p(&root, "current")),
            sed(p(&root, "sed.conf"), [("^listen 80$", "listen 8080")]),
            line_in_file(p(&root, "lines.conf"), "max=20").regexp("^max="),
            line_in_file(p(&root, "lines.conf"), "added=yes"),
            remote_file(p(&root, "srv/app/config")).content(content).owner("daemon").mode(0o640),
        ]
    };
    let first = run_actions(&build(), &os(), &state, false, None);
    assert!(first.done, "{first:?}");
    assert!(first.all("changed"), "{first:?}");

    let dir = root.join("srv/app");
    let md = std::fs::metadata(&dir).unwrap();
    assert!(md.is_dir());
    assert_eq!(md.permissions().mode() & 0o7777, 0o750);
    assert_eq!(md.uid(), 1, "daemon is uid 1 on Debian");
    assert_eq!(std::fs::metadata(dir.join("touched")).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_link(root.join("current")).unwrap(), dir);
    assert_eq!(std::fs::read_to_string(root.join("sed.conf")).unwrap(), "listen 8080\nname old\n");
    assert_eq!(std::fs::read_to_string(root.join("lines.conf")).unwrap(), "a=1\nmax=20\nadded=yes\n");
    let cfg = dir.join("config");
    assert_eq!(std::fs::read(&cfg).unwrap(), content.as_bytes());
    let m = std::fs::metadata(&cfg).unwrap();
    assert_eq!((m.uid(), m.permissions().mode() & 0o777), (1, 0o640));

    let before: Vec<_> = ["srv/app", "srv/app/touched", "current", "sed.conf", "lines.conf", "srv/app/config"]
        .iter()
        .map(|r| mtime(&root.join(r)))
        .collect();
    let second = run_actions(&build(), &os(), &state, false, None);
    assert!(second.done && second.all("ok"), "{second:?}");
    let after: Vec<_> = ["srv/app", "srv/app/touched", "current", "sed.conf", "lines.conf", "srv/app/config"]
        .iter()
        .map(|r| mtime(&root.join(r)))
        .collect();
    assert_eq!(before, after, "a no-change run touched nothing");
}

#[test]
fn attributes_are_enforced_every_run() {
    let root = tempfile_dir("attrs");
    let state = p(&root, "state");
    let path = p(&root, "f");
    let acts = || actions![remote_file(path.clone()).content("x\n").mode(0o644)];
    assert!(run_actions(&acts(), &os(), &state, false, None).all("changed"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let fix = run_actions(&acts(), &os(), &state, false, None);
    assert!(fix.all("changed"), "{fix:?}");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
    assert!(run_actions(&acts(), &os(), &state, false, None).all("ok"));
}

#[test]
fn check_mode_reports_without_changing() {
    let root = tempfile_dir("check");
    let state = p(&root, "state");
    let path = p(&root, "managed.conf");
    assert!(
        run_actions(&actions![remote_file(path.clone()).content("a\nb\n")], &os(), &state, false, None).all("changed")
    );
    let check = run_actions(&actions![remote_file(path.clone()).content("a\nc\n")], &os(), &state, true, None);
    assert!(check.all("changed"), "{check:?}");
    assert!(
        check.output.iter().any(|l| l == "-b") && check.output.iter().any(|l| l == "+c"),
        "diff shown: {:?}",
        check.output
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\nb\n", "check mode changed nothing");
}

#[test]
fn verify_failure_keeps_the_old_file() {
    let root = tempfile_dir("verify");
    let state = p(&root, "state");
    let path = p(&root, "app.conf");
    std::fs::write(&path, "good\n").unwrap();
    let bad = remote_file(path.clone()).content("bad\n").verify(script! { grep -q good $1; });
    let run = run_actions(&actions![bad], &os(), &state, false, None);
    assert_eq!(run.status_of(1), "failed", "{run:?}");
    assert!(run.stderr.iter().any(|(_, e)| e.contains("verify failed")), "{run:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "good\n");
    let leftovers: Vec<_> = std::fs::read_dir(&root).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert!(!leftovers.iter().any(|n| n.to_string_lossy().starts_with(".pallet.")), "temp file left: {leftovers:?}");
}

#[test]
fn edits_outside_pallet_are_not_overwritten_unless_asked() {
    let root = tempfile_dir("drift");
    let state = p(&root, "state");
    let path = p(&root, "app.conf");
    assert!(
        run_actions(&actions![remote_file(path.clone()).content("v1\n")], &os(), &state, false, None).all("changed")
    );
    std::fs::write(&path, "edited by hand\n").unwrap();
    let run = run_actions(&actions![remote_file(path.clone()).content("v2\n")], &os(), &state, false, None);
    assert_eq!(run.status_of(1), "failed");
    assert!(run.stderr.iter().any(|(_, e)| e.contains("changed outside pallet")), "{run:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited by hand\n");
    let forced = run_actions(
        &actions![remote_file(path.clone()).content("v2\n").overwrite_changes(true)],
        &os(),
        &state,
        false,
        None,
    );
    assert!(forced.all("changed"), "{forced:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "v2\n");
    let backups = std::fs::read_dir(root.join("state/backup").join(root.strip_prefix("/").unwrap())).unwrap().count();
    assert!(backups >= 1, "the replaced file was backed up");
}

#[test]
fn template_values_land_byte_exact() {
    let root = tempfile_dir("template");
    let state = p(&root, "state");
    let path = p(&root, "out.txt");
    let nasty = "'; rm -rf / #\n$(reboot) `x` \\ \"q\" \u{1F600}";
    let a = remote_file(path.clone()).template("value: {{v}}\nend\n", [("v", nasty)]);
    assert!(run_actions(&actions![a], &os(), &state, false, None).all("changed"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("value: {nasty}\nend\n"));
}

#[test]
fn binary_content_with_nul_bytes() {
    let root = tempfile_dir("binary");
    let state = p(&root, "state");
    let path = p(&root, "blob");
    let data: Vec<u8> = (0u8..=255).cycle().take(5000).collect();
    assert!(
        run_actions(&actions![remote_file(path.clone()).content(&data)], &os(), &state, false, None).all("changed")
    );
    assert_eq!(std::fs::read(&path).unwrap(), data);
    assert!(run_actions(&actions![remote_file(path.clone()).content(&data)], &os(), &state, false, None).all("ok"));
}

#[test]
fn a_failing_action_stops_the_phase() {
    let root = tempfile_dir("stop");
    let state = p(&root, "state");
    let later = p(&root, "later");
    let run = run_actions(
        &actions![
            exec_checked_script("migrate database", script! { echo starting; false; echo never; }),
            file(later.clone()),
        ],
        &os(),
        &state,
        false,
        None,
    );
    assert_eq!(run.status_of(1), "failed");
    assert_eq!(run.statuses[0].2, 1);
    assert_eq!(run.status_of(2), "not run");
    assert!(!run.done);
    assert_ne!(run.exit, 0);
    assert!(run.stderr.iter().any(|(i, e)| *i == 1 && e.contains("migrate database: FAIL")), "{run:?}");
    assert!(!Path::new(&later).exists());
}

#[test]
fn flags_gate_service_restarts() {
    let root = tempfile_dir("flags");
    let state = p(&root, "state");
    let conf = p(&root, "site.conf");
    let marker = p(&root, "restarted");
    let acts = |content: &str| {
        actions![
            remote_file(conf.clone()).content(content).flag_on_changed("site"),
            exec_script(script! { if p_flagged site { echo restarted >> #marker; p_handled site; } }),
        ]
    };
    let first = run_actions(&acts("a"), &os(), &state, false, None);
    assert!(first.flags.contains(&"site".to_string()), "{first:?}");
    run_actions(&acts("a"), &os(), &state, false, None);
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap(),
        "restarted\n",
        "only the run that changed the file set the flag"
    );
}

/// A change whose handler did not run (a failure in between) keeps its flag pending on the node:
/// the next run restarts the service although nothing changes then (Ansible's
/// `--force-handlers`: the restart is owed).
#[test]
fn a_pending_flag_survives_a_failed_run() {
    let root = tempfile_dir("pending");
    let state = p(&root, "state");
    let conf = p(&root, "site.conf");
    let marker = p(&root, "restarted");
    let restart = || exec_script(script! { if p_flagged site { echo restarted >> #marker; p_handled site; } });
    let change = || remote_file(conf.clone()).content("v2").flag_on_changed("site");
    let failing = run_actions(
        &actions![change(), exec_checked_script("migrate", script! { false; }), restart()],
        &os(),
        &state,
        false,
        None,
    );
    assert_eq!((failing.status_of(1), failing.status_of(2), failing.status_of(3)), ("changed", "failed", "not run"));
    assert!(!Path::new(&marker).exists());
    let next = run_actions(&actions![change(), restart()], &os(), &state, false, None);
    assert_eq!((next.status_of(1), next.status_of(2)), ("ok", "changed"), "{next:?}");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "restarted\n");
    let third = run_actions(&actions![change(), restart()], &os(), &state, false, None);
    assert_eq!(third.status_of(1), "ok", "{third:?}");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "restarted\n", "handled once");
    std::fs::remove_dir_all(root).unwrap();
}

/// Serves `body` over HTTP on a free loopback port for `n` requests; returns the URL.
fn serve(body: &'static [u8], n: usize) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(s, "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = s.write_all(body);
        }
    });
    format!("http://127.0.0.1:{port}/file.txt")
}

#[test]
fn url_content_is_checked_against_its_sha256() {
    let root = tempfile_dir("url");
    let state = p(&root, "state");
    let path = p(&root, "downloaded.txt");
    let body: &'static [u8] = b"downloaded content\n";
    let good = pallet_runtime_sha256(body);
    let url = serve(body, 3);
    let run =
        run_actions(&actions![remote_file(path.clone()).url(url.clone(), good.clone())], &os(), &state, false, None);
    assert!(run.all("changed"), "{run:?}");
    assert_eq!(std::fs::read(&path).unwrap(), body);
    // Already right: no download, no change.
    assert!(
        run_actions(&actions![remote_file(path.clone()).url(url.clone(), good)], &os(), &state, false, None).all("ok")
    );
    // A wrong checksum fails the action and keeps the old file.
    let wrong = "0".repeat(64);
    let bad = run_actions(
        &actions![remote_file(path.clone()).url(url, wrong).overwrite_changes(true)],
        &os(),
        &state,
        false,
        None,
    );
    assert_eq!(bad.status_of(1), "failed", "{bad:?}");
    assert!(bad.stderr.iter().any(|(_, e)| e.contains("checksum mismatch")), "{bad:?}");
    assert_eq!(std::fs::read(&path).unwrap(), body);
}

#[test]
fn archives_from_a_url_and_a_local_file_are_unpacked_once() {
    let root = tempfile_dir("archive");
    let state = p(&root, "state");
    std::fs::create_dir_all(root.join("src/app-1.0")).unwrap();
    std::fs::write(root.join("src/app-1.0/README"), "hello\n").unwrap();
    let tarball = root.join("app.tar.gz");
    let tar = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(root.join("src"))
        .arg("app-1.0")
        .status()
        .unwrap();
    assert!(tar.success());
    let bytes: &'static [u8] = Box::leak(std::fs::read(&tarball).unwrap().into_boxed_slice());
    let sha = pallet_runtime_sha256(bytes);
    let url = serve(bytes, 1);
    let (from_url, from_file) = (p(&root, "opt/from-url"), p(&root, "opt/from-file"));
    let acts = || {
        actions![
            remote_directory(from_url.clone()).url(url.clone(), sha.clone()).strip_components(1),
            remote_directory(from_file.clone()).local_file(&tarball).strip_components(1),
        ]
    };
    let first = run_actions(&acts(), &os(), &state, false, None);
    assert!(first.all("changed"), "{first:?}");
    for dir in [&from_url, &from_file] {
        assert_eq!(std::fs::read_to_string(format!("{dir}/README")).unwrap(), "hello\n");
    }
    // Unpacked already: nothing downloaded (the server answers once), nothing changed.
    let second = run_actions(&acts(), &os(), &state, false, None);
    assert!(second.all("ok"), "{second:?}");
    // A wrong checksum fails the action before anything is unpacked.
    let bad_dir = p(&root, "opt/bad");
    let wrong: Box<dyn Action> = Box::new(remote_directory(bad_dir.clone()).url(serve(bytes, 1), "0".repeat(64)));
    let bad = run_actions(std::slice::from_ref(&wrong), &os(), &state, false, None);
    assert_eq!(bad.status_of(1), "failed", "{bad:?}");
    assert!(bad.stderr.iter().any(|(_, e)| e.contains("checksum mismatch")), "{bad:?}");
    assert!(!Path::new(&bad_dir).exists());
}

fn pallet_runtime_sha256(data: &[u8]) -> String {
    let out = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(data)?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

/// Content of any size lands byte-exact under every shell /bin/sh may be: 64 MiB of bytes of
/// every value (NUL included) and a million short lines, which a shell never parses (they come
/// from the phase's payload, not the script text).
#[test]
fn content_of_any_size_under_dash_bash_and_busybox() {
    let mut big = Vec::with_capacity(64 << 20);
    let mut x: u32 = 0x1234_5678;
    while big.len() < 64 << 20 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        big.extend_from_slice(&x.to_le_bytes());
    }
    let lines: String = (0..1_000_000).map(|i| format!("line {i}\n")).collect();
    for shell in ["dash", "bash", "busybox sh"] {
        let root = tempfile_dir("big");
        let state = p(&root, "state");
        let (a, b) = (p(&root, "big.bin"), p(&root, "lines.txt"));
        let actions = actions![remote_file(a.clone()).content(&big), remote_file(b.clone()).content(lines.as_bytes())];
        let mut o = RenderOptions::new("configure", "test-node");
        o.state_dir = state.clone();
        let phase = render_phase(&actions, &os(), &o).unwrap();
        assert!(phase.text.len() < 64 << 10, "the content is not in the script ({} bytes)", phase.text.len());
        let run = run_script_with(shell, &phase.text, &phase.payload, &phase.nonce, None);
        assert!(run.all("changed") && run.done, "{shell}: {run:?}");
        assert!(std::fs::read(&a).unwrap() == big, "{shell}: 64 MiB file differs");
        assert!(std::fs::read_to_string(&b).unwrap() == lines, "{shell}: the million lines differ");
        // The second run finds both in place.
        let again = run_script_with(shell, &phase.text, &phase.payload, &phase.nonce, None);
        assert!(again.all("ok"), "{shell}: {again:?}");
        std::fs::remove_dir_all(root).unwrap();
    }
}

/// A secret file without an explicit mode is written 0600, and check mode does not show it.
#[test]
fn secret_files_are_private_and_never_shown() {
    let root = tempfile_dir("secret");
    let state = p(&root, "state");
    let path = p(&root, "token");
    let secret = remote_file(path.clone()).content("s3cr3t\n").secret(true);
    assert!(run_actions(&actions![secret.clone()], &os(), &state, false, None).all("changed"));
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let changed = remote_file(path.clone()).content("other\n").secret(true);
    let check = run_actions(&actions![changed], &os(), &state, true, None);
    assert!(check.all("changed"), "{check:?}");
    let shown = check.output.join("\n");
    assert!(
        !shown.contains("s3cr3t")
            && !shown.contains("other")
            && shown.contains("secret content would change (not shown)"),
        "{shown}"
    );
    std::fs::remove_dir_all(root).unwrap();
}
