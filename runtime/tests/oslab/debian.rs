//! Debian 12 and Debian 13 (mmdebstrap roots booted with SysV init): the OS probe, then every
//! action family in one phase run by a sudo user (packages from the Debian mirror, a package
//! source of the mirror's non-free component with the archive's signing key, a pinned version,
//! users and groups with shadow-utils, system files, files of every source, a SysV service,
//! scripts and waits), first `changed`, then `ok`; then removals; then failures that must name
//! their cause.

use crate::init::{DAEMON, SYSV, daemon_pid};
use crate::lab::{self, Boot, Container, Setup, assert_all, stderr_of};
use crate::{Case, Ctx};
use pallet_runtime::action::*;
use pallet_runtime::facts::{parse_probe, probe_script};
use pallet_runtime::plan::Plan;
use pallet_runtime::report::Status;
use stevedore::os::{Family, InitSystem, Packager};
use stevedore::{Os, script};

/// The Debian 12 and Debian 13 cases.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "debian-12",
            images: &["deb12"],
            packages: false,
            cells: &DEBIAN_12,
            run: |c| scenario(c, &BOOKWORM),
        },
        Case {
            name: "debian-13",
            images: &["deb13"],
            packages: false,
            cells: &DEBIAN_13,
            run: |c| scenario(c, &TRIXIE),
        },
    ]
}

/// The columns every Debian release executes.
const FAMILIES: [&str; 10] = [
    "package",
    "version pin",
    "package_source",
    "package_manager",
    "service",
    "user & group",
    "files",
    "system",
    "exec & wait",
    "OS detection",
];

/// Cells a Debian case executes besides its own row's: apt, shadow-utils, SysV init.
const SHARED: [(&str, &str); 7] = [
    ("apt", "package"),
    ("apt", "version pin"),
    ("apt", "package_source"),
    ("apt", "package_manager"),
    ("shadow", "user & group"),
    ("shadow", "OS detection"),
    ("sysvinit", "service"),
];

const fn cells(row: &'static str) -> [(&'static str, &'static str); 17] {
    let mut out = [("", ""); 17];
    let mut i = 0;
    while i < FAMILIES.len() {
        out[i] = (row, FAMILIES[i]);
        i += 1;
    }
    while i < 17 {
        out[i] = SHARED[i - FAMILIES.len()];
        i += 1;
    }
    out
}

static DEBIAN_12: [(&str, &str); 17] = cells("Debian 12");
static DEBIAN_13: [(&str, &str); 17] = cells("Debian 13");

struct Release {
    row: &'static str,
    image: &'static str,
    version: &'static str,
    suite: &'static str,
}

static BOOKWORM: Release = Release { row: "Debian 12", image: "deb12", version: "12", suite: "bookworm" };
static TRIXIE: Release = Release { row: "Debian 13", image: "deb13", version: "13", suite: "trixie" };

const MIRROR: &str = "http://deb.debian.org/debian";
/// GNU hello 2.10's source, from the mirror's pool (the same bytes as on ftp.gnu.org).
const HELLO_URL: &str = "http://deb.debian.org/debian/pool/main/h/hello/hello_2.10.orig.tar.gz";
const HELLO_SHA256: &str = "31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b";
const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPalletTestKeyOnlyForTestsxxxxxxxxxxxxxxxxxxx lab@pallet";

/// What the plan needs from outside: the archive key and the candidate version of `hello`.
#[derive(Clone)]
struct Inputs {
    suite: &'static str,
    key: Vec<u8>,
    hello: String,
    local: std::path::PathBuf,
}

/// Every action family, as a sudo user would converge a node.
fn everything(p: &mut Plan<'_>, i: &Inputs) {
    // Packages: a package source (non-free, absent from the node's sources) and a package
    // only it has, a pinned version, curl for the download below.
    p.add(package_manager(PackageManager::Update));
    p.add(package_source("pallet-lab-nonfree").apt(MIRROR, i.suite, ["non-free"], Some(i.key.clone())));
    p.add(package("unrar"));
    p.add(package("curl"));
    p.add(package("hello").version(i.hello.clone()));
    // Users and groups (shadow-utils).
    p.add(group("lab-web").system(true));
    p.add(group("lab-app").gid(2345));
    p.add(user("deploy").home("/home/deploy").create_home(true).shell("/bin/sh").groups(["lab-web"]).uid(2001));
    // System files.
    p.add(authorize_key("deploy", KEY));
    p.add(sudoers("deploy", ["deploy ALL=(ALL) NOPASSWD:ALL"]));
    p.add(hostname(format!("lab-node-{}", &i.suite[..4])));
    p.add(cron("lab-backup", "*/5 * * * *", "root", "/bin/true"));
    // Files from every source.
    p.add(directory("/srv/app").owner("deploy").group("lab-web").mode(0o750));
    p.add(file("/srv/app/touched").mode(0o600));
    p.add(symbolic_link("/srv/app", "/srv/current"));
    p.add(remote_file("/srv/app/config").content("listen 80\nname 'quoted' $HOME\n").owner("deploy").mode(0o640));
    p.add(remote_file("/srv/app/templated").template("suite={{ suite }}\n", [("suite", i.suite)]));
    p.add(remote_file("/srv/app/local").local_file(i.local.clone()));
    p.add(remote_file("/srv/app/hello.tar.gz").url(HELLO_URL, HELLO_SHA256));
    p.add(remote_directory("/srv/hello").url(HELLO_URL, HELLO_SHA256).strip_components(1));
    p.add(line_in_file("/etc/lab-lines.conf", "max=20").regexp("^max="));
    p.add(sed("/etc/lab-sed.conf", [("^listen 80$", "listen 8080")]));
    // A SysV service.
    p.add(remote_file("/usr/local/bin/pallet-labd").content(DAEMON).mode(0o755));
    p.add(remote_file("/etc/init.d/pallet-labd").content(SYSV).mode(0o755));
    p.add(service("pallet-labd").enable(true).start());
    // Scripts and waits.
    p.add(exec_checked_script("app dir", script! { test -d /srv/app; test -L /srv/current; }).unchanged());
    p.add(wait_for_file("/srv/app/touched"));
    p.add(wait_for_port(7070));
    p.add(retry_until("config present", script! { test -s /srv/app/config; }));
}

/// Kinds that never report a change.
const NEVER_CHANGE: &[&str] = &["exec_checked_script", "wait_for_file", "wait_for_port", "retry_until"];

fn removals(p: &mut Plan<'_>) {
    p.add(package("hello").remove());
    p.add(service("pallet-labd").stop().enable(false));
    p.add(user("deploy").action(UserAction::Remove).remove_home(true));
    p.add(group("lab-app").remove());
    p.add(symbolic_link("/srv/app", "/srv/current").absent());
    p.add(file("/srv/app/touched").absent());
    p.add(directory("/srv/hello").absent());
}

fn scenario(_: &Ctx, rel: &'static Release) {
    let c = Container::start(rel.image, Setup::new(rel.image, Boot::Sysv).network().cap("SYS_ADMIN"));
    c.ok("useradd -m -s /bin/sh admin && echo 'admin ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/admin && chmod 440 /etc/sudoers.d/admin");
    c.ok("printf 'a=1\\nmax=10\\n' >/etc/lab-lines.conf && printf 'listen 80\\nname x\\n' >/etc/lab-sed.conf");
    c.ok("busybox httpd -p 127.0.0.1:7070 -h /srv");
    // podman bind-mounts its own /etc/hostname, which cannot be replaced by a rename (the
    // hostname action writes a new file and moves it into place): the image's file, as on a
    // machine.
    c.ok("umount /etc/hostname");

    // The probe, as the admin user through sudo: Debian, its version, apt, SysV init.
    let probe = c.stdout_as("admin", &String::from_utf8(probe_script(true)).unwrap());
    let facts = parse_probe(&probe).expect("the probe parses");
    let want = Os::parse(&format!("debian-{}", rel.version)).unwrap();
    assert_eq!(facts.os.family, Some(Family::Debian), "{facts:?}");
    assert_eq!(facts.os.version, want.version, "{facts:?}");
    assert_eq!((facts.os.packager, facts.os.init), (Some(Packager::Apt), Some(InitSystem::Sysvinit)), "{facts:?}");
    assert_eq!(facts.os.users(), Some(stevedore::os::UserManagement::Shadow), "{facts:?}");
    lab::executed(rel.row, "OS detection");
    lab::executed("shadow", "OS detection");

    let key = c.ok(&format!("cat /etc/apt/trusted.gpg.d/debian-archive-{}-automatic.asc", rel.suite)).into_bytes();
    let hello =
        c.ok("apt-get -qq update && apt-cache policy hello | awk '/Candidate:/ { print $2 }'").trim().to_string();
    assert!(!hello.is_empty() && hello != "(none)", "no candidate for hello: {hello:?}");
    let local = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("oslab-local-{}", rel.suite));
    std::fs::write(&local, format!("from the controller for {}\n", rel.suite)).unwrap();
    let inputs = Inputs { suite: rel.suite, key, hello: hello.clone(), local: local.clone() };

    // Everything, with the OS left to the probe: changed, then ok.
    let i = inputs.clone();
    let first = c.phase(None, "admin", move |p| everything(p, &i));
    assert!(first.error.is_none() && first.actions.len() > 20, "{first:#?}");
    for a in &first.actions {
        let want = if NEVER_CHANGE.contains(&a.kind.as_str()) { Status::Ok } else { Status::Changed };
        assert_eq!(a.status, want, "{}: {}\n{first:#?}", a.index, a.description);
    }
    let i = inputs.clone();
    assert_all(&c.phase(None, "admin", move |p| everything(p, &i)), Status::Ok);
    let _ = std::fs::remove_file(&local);

    // What it made, read back.
    let status = |p: &str| c.ok(&format!("dpkg-query -W -f '${{Status}} ${{Version}}' {p}"));
    assert!(status("unrar").starts_with("install ok installed"), "unrar: {}", status("unrar"));
    assert!(c.ok("apt-cache policy unrar").contains("non-free"), "unrar came from the added source");
    assert_eq!(status("hello"), format!("install ok installed {hello}"));
    assert_eq!(c.ok("getent passwd deploy").trim(), "deploy:x:2001:2001::/home/deploy:/bin/sh");
    assert!(c.ok("id -Gn deploy").split_whitespace().any(|g| g == "lab-web"));
    assert_eq!(c.ok("getent group lab-app").trim(), "lab-app:x:2345:");
    assert_eq!(c.read("/home/deploy/.ssh/authorized_keys").as_deref(), Some(KEY));
    assert_eq!(
        c.ok("stat -c '%a %U' /etc/sudoers.d/deploy /home/deploy/.ssh/authorized_keys"),
        "440 root\n600 deploy\n"
    );
    c.ok("visudo -c -q");
    assert_eq!(c.ok("hostname").trim(), format!("lab-node-{}", &rel.suite[..4]));
    assert_eq!(
        c.read("/etc/cron.d/pallet-lab-backup").as_deref(),
        Some("# managed by pallet\n*/5 * * * * root /bin/true")
    );
    assert_eq!(c.ok("stat -c '%a %U %G' /srv/app /srv/app/touched"), "750 deploy lab-web\n600 root root\n");
    assert_eq!(c.ok("readlink /srv/current").trim(), "/srv/app");
    assert_eq!(c.ok("cat /srv/app/config"), "listen 80\nname 'quoted' $HOME\n");
    assert_eq!(c.read("/srv/app/templated"), Some(format!("suite={}", rel.suite)));
    assert_eq!(c.read("/srv/app/local"), Some(format!("from the controller for {}", rel.suite)));
    assert_eq!(c.ok("sha256sum /srv/app/hello.tar.gz").split_whitespace().next(), Some(HELLO_SHA256));
    assert!(c.holds("test -f /srv/hello/configure && test -f /srv/hello/src/hello.c"), "the tarball was unpacked");
    assert_eq!(c.ok("cat /etc/lab-lines.conf"), "a=1\nmax=20\n");
    assert_eq!(c.ok("cat /etc/lab-sed.conf"), "listen 8080\nname x\n");
    assert!(daemon_pid(&c).is_some(), "the service runs");
    assert!(c.holds("ls /etc/rc2.d/S*pallet-labd"), "the service starts at boot");

    // Removals: changed, then ok.
    assert_all(&c.phase(None, "admin", removals), Status::Changed);
    assert_all(&c.phase(None, "admin", removals), Status::Ok);
    assert!(!c.holds("dpkg-query -W -f '${Status}' hello | grep -q 'ok installed'"), "hello removed");
    assert!(!c.holds("getent passwd deploy") && !c.holds("test -e /home/deploy"), "deploy removed");
    assert!(!c.holds("getent group lab-app"), "lab-app removed");
    assert!(!c.holds("test -e /srv/current || test -e /srv/app/touched || test -e /srv/hello"), "files removed");
    assert!(daemon_pid(&c).is_none() && !c.holds("ls /etc/rc2.d/S*pallet-labd"), "service stopped and disabled");

    // Failures name their cause.
    let r = c.phase(None, "admin", |p| p.add(package("hello").version("0.0-0")));
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert!(stderr_of(&r, 1).contains("'0.0-0' for 'hello' was not found"), "{r:#?}");
    let r = c.phase(None, "admin", |p| p.add(exec_checked_script("lab step", script! { true; false; true; })));
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert!(stderr_of(&r, 1).contains("lab step: FAIL"), "{r:#?}");
    let r = c.phase(None, "admin", |p| p.add(sudoers("broken", ["broken ALL=(ALL NOPASSWD:ALL"])));
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert!(!c.holds("test -e /etc/sudoers.d/broken"), "a sudoers file visudo rejects never lands");

    for column in FAMILIES.iter().filter(|c| **c != "OS detection") {
        lab::executed(rel.row, column);
    }
    for (row, column) in SHARED.iter().filter(|(_, c)| *c != "OS detection") {
        lab::executed(row, column);
    }
}
