//! Users and groups for real in each user-management flavour of the OS table: busybox
//! `adduser`/`addgroup` on a root with nothing but busybox (no shadow-utils; the OS comes from
//! the probe: its os-release says `ID_LIKE=alpine`), and shadow-utils with long options
//! (`shadow`, rendered for Debian) and short ones (`shadow_short`, rendered for Fedora, run by
//! Debian's shadow-utils).

use crate::lab::{self, Boot, Container, Setup, assert_all, stderr_of};
use crate::{Case, Ctx};
use pallet_runtime::action::*;
use pallet_runtime::facts::{parse_probe, probe_script};
use pallet_runtime::plan::Plan;
use pallet_runtime::report::Status;
use stevedore::Os;
use stevedore::os::{Family, UserManagement};

/// One case per user-management flavour.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "users-busybox",
            images: &["busybox"],
            packages: false,
            cells: &[("busybox adduser", "user & group"), ("busybox adduser", "OS detection")],
            run: |c| scenario(c, Flavour::Busybox),
        },
        Case {
            name: "users-shadow",
            images: &["deb12"],
            packages: false,
            cells: &[("shadow", "user & group")],
            run: |c| scenario(c, Flavour::Shadow),
        },
        Case {
            name: "users-shadow-short",
            images: &["deb12"],
            packages: false,
            cells: &[("shadow_short", "user & group")],
            run: |c| scenario(c, Flavour::ShadowShort),
        },
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Busybox,
    Shadow,
    ShadowShort,
}

impl Flavour {
    fn row(self) -> &'static str {
        match self {
            Flavour::Busybox => "busybox adduser",
            Flavour::Shadow => "shadow",
            Flavour::ShadowShort => "shadow_short",
        }
    }

    /// The OS the node carries (`None`: the probe finds it).
    fn os(self) -> Option<Os> {
        match self {
            Flavour::Busybox => None,
            Flavour::Shadow => Some(Os::parse("debian-12").unwrap()),
            Flavour::ShadowShort => Some(Os::parse("fedora-40").unwrap()),
        }
    }
}

const HASH: &str =
    "$6$palletlab$vEMSjKfwJL6UJlt9B841snyVwku0MFBKHHJjEorWfYkUhVrQDzo.Bp7EUe0P08PUhIeryhvO1iuUVBgh2K6GC1";

fn accounts(p: &mut Plan<'_>) {
    p.add(group("lab-web").system(true));
    p.add(group("lab-app").gid(2345));
    p.add(
        user("deploy")
            .home("/home/deploy")
            .create_home(true)
            .shell("/bin/sh")
            .groups(["lab-web"])
            .comment("Deploy user")
            .uid(2001)
            .password_hash(HASH),
    );
    p.add(user("svc").system(true).action(UserAction::Create));
}

fn removals(p: &mut Plan<'_>) {
    p.add(user("deploy").action(UserAction::Remove).remove_home(true));
    p.add(user("svc").action(UserAction::Remove));
    p.add(group("lab-web").remove());
    p.add(group("lab-app").remove());
}

/// A field of `name`'s line in an `/etc` database.
fn field(c: &Container, db: &str, name: &str, n: usize) -> String {
    c.ok(&format!("awk -F: -v n={name} '$1 == n {{ print ${n} }}' /etc/{db}")).trim().to_string()
}

fn scenario(_: &Ctx, flavour: Flavour) {
    let c = match flavour {
        Flavour::Busybox => Container::start("users-busybox", Setup::new("busybox", Boot::Idle)),
        Flavour::Shadow => Container::start("users-shadow", Setup::new("deb12", Boot::Idle)),
        Flavour::ShadowShort => Container::start("users-shadow-short", Setup::new("deb12", Boot::Idle)),
    };
    if flavour == Flavour::Busybox {
        // Nothing but busybox: no shadow-utils, and the probe finds the busybox flavour.
        assert!(!c.holds("command -v useradd || command -v usermod || command -v groupadd"), "shadow-utils present");
        assert_eq!(c.ok("readlink /bin/sh").trim(), "/bin/busybox");
        let facts = parse_probe(&c.stdout_as("root", &String::from_utf8(probe_script(false)).unwrap())).unwrap();
        assert_eq!((facts.os.family, facts.os.users()), (Some(Family::Alpine), Some(UserManagement::Busybox)));
        lab::executed(flavour.row(), "OS detection");
    }
    let os = flavour.os();
    let phase = |f: fn(&mut Plan<'_>)| c.phase(os.as_ref(), "root", f);

    assert_all(&phase(accounts), Status::Changed);
    assert_all(&phase(accounts), Status::Ok);
    assert_eq!(field(&c, "passwd", "deploy", 3), "2001");
    assert_eq!(field(&c, "passwd", "deploy", 5), "Deploy user");
    assert_eq!(field(&c, "passwd", "deploy", 6), "/home/deploy");
    assert_eq!(field(&c, "passwd", "deploy", 7), "/bin/sh");
    assert_eq!(field(&c, "shadow", "deploy", 2), HASH);
    assert_eq!(c.ok("stat -c %U /home/deploy").trim(), "deploy");
    assert!(c.ok("id -Gn deploy").split_whitespace().any(|g| g == "lab-web"), "deploy in lab-web");
    assert_eq!(field(&c, "group", "lab-app", 3), "2345");
    let web: u32 = field(&c, "group", "lab-web", 3).parse().unwrap();
    let svc: u32 = field(&c, "passwd", "svc", 3).parse().unwrap();
    assert!(web < 1000 && svc < 1000, "system ids: lab-web {web}, svc {svc}");

    // Lock and unlock the password.
    let lock = |p: &mut Plan<'_>| p.add(user("deploy").action(UserAction::Lock));
    assert_all(&phase(lock), Status::Changed);
    assert!(field(&c, "shadow", "deploy", 2).starts_with('!'), "locked");
    assert_all(&phase(lock), Status::Ok);
    let unlock = |p: &mut Plan<'_>| p.add(user("deploy").action(UserAction::Unlock));
    assert_all(&phase(unlock), Status::Changed);
    assert_eq!(field(&c, "shadow", "deploy", 2), HASH, "unlocked");
    assert_all(&phase(unlock), Status::Ok);

    // A changed shell and group id: shadow-utils modify them; busybox has no usermod or
    // groupmod, and the failure says what to install.
    let drift = |p: &mut Plan<'_>| {
        p.add(user("deploy").shell("/bin/true"));
        p.add(group("lab-app").gid(2346));
    };
    let r = phase(drift);
    if flavour == Flavour::Busybox {
        assert_eq!(r.status, Status::Failed, "{r:#?}");
        assert!(stderr_of(&r, 1).contains("install the shadow package"), "{r:#?}");
        let r = phase(|p| p.add(group("lab-app").gid(2346)));
        assert!(stderr_of(&r, 1).contains("busybox has no groupmod"), "{r:#?}");
    } else {
        assert_all(&r, Status::Changed);
        assert_eq!(field(&c, "passwd", "deploy", 7), "/bin/true");
        assert_eq!(field(&c, "group", "lab-app", 3), "2346");
        assert_all(&phase(drift), Status::Ok);
    }

    assert_all(&phase(removals), Status::Changed);
    assert_all(&phase(removals), Status::Ok);
    for (db, name) in [("passwd", "deploy"), ("passwd", "svc"), ("group", "lab-web"), ("group", "lab-app")] {
        assert!(!c.holds(&format!("grep -q '^{name}:' /etc/{db}")), "{name} still in /etc/{db}");
    }
    assert!(!c.holds("test -e /home/deploy"), "the home directory was removed");
    lab::executed(flavour.row(), "user & group");
}
