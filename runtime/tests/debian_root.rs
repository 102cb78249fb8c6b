//! Actions executed inside a real Debian 12 root filesystem (debootstrap, minbase), through a
//! chroot on a private overlay: package (real apt from the Debian mirror), group, user,
//! authorize_key, sudoers (checked by visudo), and a SysV test service. First run changed,
//! second run ok; a sudoers entry visudo rejects never lands.
//!
//! Needs root, debootstrap and the Debian mirror (CI installs debootstrap). The base root is
//! built once under the temp directory and reused.
// `actions!` builds a `Vec` that some tests only borrow.
#![allow(clippy::useless_vec)]

mod support;

use pallet_runtime::action::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use stevedore::Os;
use stevedore::os::InitSystem;
use support::*;

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The base root, built on first use.
fn base_root() -> Option<PathBuf> {
    let base = std::env::temp_dir().join("pallet-test-debian-bookworm");
    if base.join("etc/debian_version").exists() && base.join(".complete").exists() {
        return Some(base);
    }
    let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    let has_debootstrap =
        Command::new("sh").args(["-c", "command -v debootstrap"]).output().map(|o| o.status.success()).unwrap_or(false);
    if !is_root || !has_debootstrap {
        assert!(!required(), "CI must run the Debian root tests: root={is_root} debootstrap={has_debootstrap}");
        eprintln!("skipping: needs root and debootstrap");
        return None;
    }
    let _ = std::fs::remove_dir_all(&base);
    let st = Command::new("debootstrap")
        .args(["--variant=minbase", "bookworm"])
        .arg(&base)
        .arg("http://deb.debian.org/debian")
        .stdout(std::process::Stdio::null())
        .status()
        .expect("debootstrap runs");
    assert!(st.success(), "debootstrap failed");
    std::fs::write(base.join(".complete"), "").unwrap();
    Some(base)
}

struct Overlay {
    dir: PathBuf,
    base: PathBuf,
}

impl Overlay {
    fn new(base: &Path) -> Overlay {
        let dir = tempfile_dir("overlay");
        for d in ["up", "work", "merged"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        Overlay { dir, base: base.to_path_buf() }
    }

    /// Runs `text` as /bin/sh in the chroot (overlay, /proc, /dev, resolv.conf).
    fn run(&self, text: &[u8], payload: &pallet_runtime::render::Payload, nonce: &str) -> Run {
        std::fs::create_dir_all(self.dir.join("up/tmp")).unwrap();
        std::fs::write(self.dir.join("up/tmp/pallet-phase.sh"), text).unwrap();
        std::fs::write(self.dir.join("up/tmp/pallet-phase.data"), payload.chunks().concat()).unwrap();
        let d = self.dir.display();
        let b = self.base.display();
        let cmd = format!(
            "mount -t overlay overlay -o lowerdir={b},upperdir={d}/up,workdir={d}/work {d}/merged && \
             mount -t proc proc {d}/merged/proc && mount --rbind /dev {d}/merged/dev && \
             cp /etc/resolv.conf {d}/merged/etc/resolv.conf && \
             exec chroot {d}/merged /bin/sh /tmp/pallet-phase.sh /tmp/pallet-phase.data"
        );
        let out = Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c", &cmd])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        support::parse_output(&out, nonce)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join("up").join(rel)
    }
}

impl Drop for Overlay {
    fn drop(&mut self) {
        // Stop the test service if it runs (a process this test started).
        if let Ok(pid) = std::fs::read_to_string(self.path("run/pallet-test.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const SERVICE: &str = r#"#!/bin/sh
PID=/run/pallet-test.pid
running() { [ -f "$PID" ] && kill -0 "$(cat "$PID")" 2>/dev/null; }
case "$1" in
  start) running || { sleep 600 >/dev/null 2>&1 & echo $! >"$PID"; } ;;
  stop) running && kill "$(cat "$PID")"; rm -f "$PID" ;;
  restart) "$0" stop; "$0" start ;;
  status) running ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
"#;

const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPalletTestKeyOnlyForTestsxxxxxxxxxxxxxxxxxxx test@pallet";

fn plan() -> Vec<Box<dyn Action>> {
    actions![
        package_manager(PackageManager::Update),
        package("sudo"),
        package("hello"),
        group("web").system(true),
        user("deploy").home("/home/deploy").create_home(true).shell("/bin/sh").groups(["web"]),
        authorize_key("deploy", KEY),
        sudoers("deploy", ["deploy ALL=(ALL) NOPASSWD:ALL"]),
        remote_file("/etc/init.d/pallet-test").content(SERVICE).mode(0o755),
        service("pallet-test").start(),
    ]
}

#[test]
fn packages_users_sudoers_keys_and_services_in_debian() {
    let Some(base) = base_root() else { return };
    let os = Os::parse("debian-12").unwrap().with_init(InitSystem::Sysvinit);
    let ov = Overlay::new(&base);
    let render = |actions: &[Box<dyn Action>]| {
        let o = pallet_runtime::render::RenderOptions::new("configure", "debian-root");
        let p = pallet_runtime::render::render_phase(actions, &os, &o).unwrap();
        pallet_testkit::gate::assert_passes(&p.text);
        p
    };

    let p = render(&plan());
    let first = ov.run(&p.text, &p.payload, &p.nonce);
    assert!(first.done, "{first:#?}");
    assert!(first.all("changed"), "{first:#?}");

    assert!(ov.path("usr/bin/hello").exists(), "hello installed");
    assert!(ov.path("usr/bin/sudo").exists(), "sudo installed");
    let passwd = std::fs::read_to_string(ov.path("etc/passwd")).unwrap();
    assert!(passwd.lines().any(|l| l.starts_with("deploy:") && l.ends_with(":/home/deploy:/bin/sh")), "{passwd}");
    let group = std::fs::read_to_string(ov.path("etc/group")).unwrap();
    assert!(group.lines().any(|l| l.starts_with("web:") && l.ends_with(":deploy")), "{group}");
    assert_eq!(std::fs::read_to_string(ov.path("home/deploy/.ssh/authorized_keys")).unwrap(), format!("{KEY}\n"));
    use std::os::unix::fs::PermissionsExt;
    let sudoers_file = ov.path("etc/sudoers.d/deploy");
    assert_eq!(std::fs::read_to_string(&sudoers_file).unwrap(), "deploy ALL=(ALL) NOPASSWD:ALL\n");
    assert_eq!(std::fs::metadata(&sudoers_file).unwrap().permissions().mode() & 0o777, 0o440);
    assert!(ov.path("run/pallet-test.pid").exists(), "service started");

    let p = render(&plan());
    let second = ov.run(&p.text, &p.payload, &p.nonce);
    assert!(second.done && second.all("ok"), "{second:#?}");

    // A sudoers entry visudo rejects never replaces the file.
    let p = render(&actions![sudoers("deploy", ["deploy ALL=(ALL NOPASSWD:ALL"])]);
    let bad = ov.run(&p.text, &p.payload, &p.nonce);
    assert_eq!(bad.status_of(1), "failed", "{bad:#?}");
    assert!(bad.stderr.iter().any(|(_, e)| e.contains("verify failed")), "{bad:#?}");
    assert_eq!(std::fs::read_to_string(&sudoers_file).unwrap(), "deploy ALL=(ALL) NOPASSWD:ALL\n");
}
