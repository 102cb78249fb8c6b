//! Every action, rendered for every OS family it supports: insta snapshots, and every script
//! passes the shell gate (dash, bash, busybox sh, shellcheck).

mod support;

use pallet_runtime::action::*;
use pallet_runtime::render::{RenderOptions, render_phase};
use pallet_testkit::gate;
use stevedore::functions::ServiceAction;
use stevedore::os::Packager;
use stevedore::{Os, script};

/// The shared OS list of the test suite (`pallet_testkit::os::ALL`).
fn oses() -> Vec<Os> {
    pallet_testkit::os::ALL.iter().map(|s| Os::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))).collect()
}

fn catalogue() -> Vec<(&'static str, Vec<Box<dyn Action>>)> {
    vec![
        ("exec_script", actions![exec_script(script! { echo hello > /tmp/hello; })]),
        ("exec_checked_script", actions![exec_checked_script("migrate", script! { ./migrate --all; })]),
        (
            "package",
            actions![
                package("nginx"),
                package("telnet").remove(),
                package("openssl").upgrade(),
                package("exim4").purge()
            ],
        ),
        (
            "packages",
            actions![
                packages()
                    .apt(["libssl-dev"])
                    .dnf(["openssl-devel"])
                    .yum(["openssl-devel"])
                    .apk(["openssl-dev"])
                    .pacman(["openssl"])
                    .zypper(["libopenssl-devel"])
            ],
        ),
        ("package_version", actions![package("nginx").version("1.22.1-9"), package("curl")]),
        (
            "package_manager",
            actions![package_manager(PackageManager::Update), package_manager(PackageManager::Upgrade)],
        ),
        ("package_manager_proxy", actions![package_manager(PackageManager::Proxy("http://proxy.invalid:3128".into()))]),
        (
            "package_source",
            actions![
                package_source("example")
                    .apt(
                        "https://repo.invalid/debian",
                        "bookworm",
                        ["main"],
                        Some(
                            b"-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc\n-----END PGP PUBLIC KEY BLOCK-----\n".to_vec()
                        )
                    )
                    .yum("https://repo.invalid/el/$releasever", Some("https://repo.invalid/key.asc".into()))
                    .zypper("https://repo.invalid/suse", Some("https://repo.invalid/key.asc".into()))
                    .pacman("https://repo.invalid/arch/$arch", Some("Required DatabaseOptional".into())),
                package("example-tool"),
            ],
        ),
        (
            "remote_file",
            actions![
                remote_file("/etc/motd")
                    .content("Welcome\n")
                    .owner("root")
                    .group("root")
                    .mode(0o644)
                    .flag_on_changed("motd")
            ],
        ),
        (
            "remote_file_url",
            actions![remote_file("/opt/tool.tar.gz").url(
                "https://example.invalid/tool.tar.gz",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            )],
        ),
        (
            "remote_file_verify",
            actions![
                remote_file("/etc/app.conf")
                    .template("port = {{port}}\n", [("port", "8080")])
                    .verify(script! { app --check-config $1; })
                    .overwrite_changes(true)
                    .backup(false)
            ],
        ),
        ("remote_file_secret", actions![remote_file("/etc/app/token").content("s3cr3t").secret(true).mode(0o600)]),
        (
            "remote_directory",
            actions![
                remote_directory("/opt/app")
                    .url(
                        "https://example.invalid/app.tar.gz",
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
                    )
                    .strip_components(1)
                    .owner("app")
            ],
        ),
        ("file", actions![file("/var/log/app.log").owner("app").mode(0o640), file("/tmp/old").absent()]),
        (
            "directory",
            actions![
                directory("/srv/app").owner("app").group("app").mode(0o750).recursive(true),
                directory("/srv/old").absent()
            ],
        ),
        ("symbolic_link", actions![symbolic_link("/srv/app/releases/2", "/srv/app/current")]),
        (
            "sed",
            actions![
                sed("/etc/ssh/sshd_config", [("^#?PasswordAuthentication .*", "PasswordAuthentication no")])
                    .restriction("/^#?Pass/")
            ],
        ),
        (
            "line_in_file",
            actions![
                line_in_file("/etc/sysctl.conf", "vm.swappiness=10").regexp("^vm.swappiness="),
                line_in_file("/etc/hosts.deny", "ALL: ALL").absent()
            ],
        ),
        (
            "user",
            actions![
                user("deploy").home("/home/deploy").create_home(true).shell("/bin/bash").groups(["adm"]),
                user("old").action(UserAction::Remove).remove_home(true),
                user("guest").action(UserAction::Lock)
            ],
        ),
        ("group", actions![group("web").system(true).gid(990), group("old").remove()]),
        (
            "service",
            actions![
                service("nginx").start().enable(true),
                service("nginx").restart().if_flag("site"),
                service("cups").stop().enable(false)
            ],
        ),
        ("service_status_only", actions![service("sshd").action(ServiceAction::Status)]),
        ("authorize_key", actions![authorize_key("deploy", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9v deploy@laptop")]),
        ("sudoers", actions![sudoers("deploy", ["deploy ALL=(ALL) NOPASSWD:ALL"])]),
        ("hostname", actions![hostname("web-1")]),
        ("cron", actions![cron("backup", "15 3 * * *", "root", "/usr/local/bin/backup --quiet")]),
        ("wait_for_port", actions![wait_for_port(6379).retries(10).standoff(1), wait_for_port(5432).host("db-1")]),
        ("wait_for_file", actions![wait_for_file("/run/app.sock"), wait_for_file("/run/app.lock").absent()]),
    ]
}

#[test]
fn every_action_for_every_os() {
    let oses = oses();
    for (name, actions) in catalogue() {
        let mut snapshot = String::new();
        let mut last = String::new();
        for os in &oses {
            // Proxies exist for apt and dnf/yum only, package sources for all but apk, version
            // pinning for apt, dnf, yum and zypper.
            let unsupported = match name {
                "package_manager_proxy" => !matches!(os.packager, Some(Packager::Apt | Packager::Dnf | Packager::Yum)),
                "package_source" => os.packager == Some(Packager::Apk),
                "package_version" => matches!(os.packager, Some(Packager::Apk | Packager::Pacman)),
                _ => false,
            };
            if unsupported {
                snapshot.push_str(&format!("## {os}: not supported\n"));
                continue;
            }
            let mut o = RenderOptions::new("configure", "node-1");
            o.nonce = "NONCE".into();
            o.redact = name.ends_with("secret");
            let phase = render_phase(&actions, os, &o).unwrap_or_else(|e| panic!("{name} on {os}: {e}"));
            gate::assert_passes(&phase.text);
            let text = String::from_utf8(phase.text).unwrap();
            // The prologue is the same for every phase; snapshot only the actions.
            let body = text[text.find("# [1/").expect("an action")..].to_string();
            if body != last {
                snapshot.push_str(&format!("## {os}\n{body}"));
                last = body;
            } else {
                snapshot.push_str(&format!("## {os}: same\n"));
            }
        }
        insta::assert_snapshot!(name, snapshot);
    }
}

#[test]
fn secrets_never_show_in_dry_runs() {
    let a = actions![remote_file("/etc/app/token").content("s3cr3t-VALUE").secret(true)];
    let os = Os::parse("debian-12").unwrap();
    let text = pallet_runtime::render::dry_run(&a, &os, &RenderOptions::new("configure", "n"), true).unwrap();
    // File content travels in the phase's payload, never in the script text.
    assert!(!text.contains("s3cr3t-VALUE"), "{text}");
    assert!(text.contains("p_data 0 12 >\"$p_new\""), "{text}");
}

#[test]
fn package_work_is_merged_into_one_call_first() {
    let os = Os::parse("debian-12").unwrap();
    let a = actions![file("/tmp/x"), package("nginx"), package("curl"), package_manager(PackageManager::Update)];
    let phase = render_phase(&a, &os, &RenderOptions::new("configure", "n")).unwrap();
    assert_eq!(phase.actions.len(), 2);
    assert_eq!(phase.actions[0].kind, "packages");
    assert_eq!(phase.actions[0].description, "packages: update; install nginx curl");
    let text = String::from_utf8(phase.text).unwrap();
    assert_eq!(text.matches("apt-get -q -y install").count(), 1, "{text}");
}

#[test]
fn unsupported_os_is_reported_before_anything_runs() {
    let gentoo = Os::from_os_release("ID=gentoo\nVERSION_ID=2.15\n").unwrap();
    let err =
        render_phase(&actions![file("/tmp/x"), package("vim")][..], &gentoo, &RenderOptions::new("configure", "n"))
            .unwrap_err();
    assert_eq!(err.index, 1);
    assert!(err.to_string().contains("no implementation for gentoo 2.15"), "{err}");
}

#[test]
fn version_pins_are_checked_when_rendered() {
    let o = RenderOptions::new("configure", "n");
    let render = |a: Vec<Box<dyn Action>>, os: &str| render_phase(&a, &Os::parse(os).unwrap(), &o).map(|_| ());
    let err = render(actions![package("nginx").version("1.2")], "arch").unwrap_err();
    assert!(err.to_string().contains("package nginx 1.2: no version pinning with pacman on arch"), "{err}");
    let err = render(actions![package("nginx").version("1.2")], "alpine-3.20").unwrap_err();
    assert!(err.to_string().contains("no version pinning with apk"), "{err}");
    let err = render(actions![package("nginx").version("1.2").remove()], "debian-12").unwrap_err();
    assert!(err.to_string().contains("package nginx: only installation takes a version (1.2)"), "{err}");
    let err =
        render(actions![package("nginx").version("1.2"), package("nginx").version("1.3")], "fedora-40").unwrap_err();
    assert!(err.to_string().contains("package nginx: two versions asked for (1.2 and 1.3)"), "{err}");
    render(actions![package("nginx").version("1.2"), package("nginx").version("1.2")], "fedora-40").unwrap();
    let err =
        render(actions![package_source("x").apt("https://r.invalid", "stable", ["main"], None)], "arch").unwrap_err();
    assert!(err.to_string().contains("package_source x has no variant for arch (pacman)"), "{err}");
}
