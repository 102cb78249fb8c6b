//! Every script function of the core library, rendered for every OS family: snapshot-tested and
//! run through the shell gate (dash, bash, busybox sh, shellcheck).

use pallet_testkit::gate;
use stevedore::functions::*;
use stevedore::{Os, Script};

/// The shared OS list of the test suite (`pallet_testkit::os::ALL`).
fn oses() -> Vec<Os> {
    pallet_testkit::os::ALL.iter().map(|s| Os::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))).collect()
}

fn library() -> Vec<(&'static str, Script)> {
    let user = UserOptions {
        home: Some("/srv/deploy".into()),
        create_home: true,
        shell: Some("/bin/bash".into()),
        system: false,
        group: None,
        groups: vec!["adm".into(), "www-data".into()],
        comment: Some("Deploy user".into()),
        password_hash: Some("$6$salt$hash".into()),
        uid: Some(1500),
    };
    let system_user = UserOptions { system: true, ..UserOptions::default() };
    let group = GroupOptions { system: true, gid: Some(990) };
    vec![
        ("update_package_list", update_package_list()),
        ("install_packages", install_packages(&["nginx", "redis-server"])),
        ("remove_packages", remove_packages(&["nginx"])),
        ("purge_packages", purge_packages(&["nginx"])),
        ("upgrade_packages", upgrade_packages(&["openssl"])),
        ("upgrade_all_packages", upgrade_all_packages()),
        ("package_installed", package_installed("nginx")),
        ("install_package_version", install_package_version("nginx", "1.22.1-9")),
        ("package_version_installed", package_version_installed("nginx", "1.22.1-9")),
        ("user_exists", user_exists("deploy")),
        ("create_user", create_user("deploy", &user)),
        ("create_system_user", create_user("svc", &system_user)),
        (
            "modify_user",
            modify_user("deploy", &UserOptions { shell: Some("/bin/sh".into()), ..UserOptions::default() }),
        ),
        ("remove_user", remove_user("deploy", true)),
        ("lock_user", lock_user("deploy")),
        ("unlock_user", unlock_user("deploy")),
        ("group_exists", group_exists("web")),
        ("create_group", create_group("web", &group)),
        ("modify_group", modify_group("web", 991)),
        ("remove_group", remove_group("web")),
        ("service_start", service("nginx", ServiceAction::Start)),
        ("service_status", service("nginx", ServiceAction::Status)),
        ("service_reload", service("nginx", ServiceAction::Reload)),
        ("service_enable", service_enable("nginx")),
        ("service_disable", service_disable("nginx")),
        ("service_enabled", service_enabled("nginx")),
        ("mkdir", mkdir("/srv/app data", Some(0o750))),
        ("chown", chown("/srv/app", Some("deploy"), Some("www-data"), true)),
        ("chmod", chmod("/srv/app", 0o640, false)),
        ("symlink", symlink("/srv/app/releases/1", "/srv/app/current", true)),
        ("rm", rm("/tmp/old build", true)),
        ("sha256", sha256("/srv/app/archive.tar.gz")),
        ("make_temp_file", make_temp_file()),
        ("make_temp_dir", make_temp_dir()),
        ("download", download("https://example.invalid/a b.tar.gz", "/tmp/a.tar.gz")),
    ]
}

#[test]
fn every_function_for_every_os_snapshot_and_gate() {
    let oses = oses();
    for (name, script) in library() {
        let mut snapshot = String::new();
        let mut last = String::new();
        for os in &oses {
            let text = script.render_text(os).unwrap_or_else(|e| panic!("{name} on {os}: {e}"));
            gate::assert_passes(&text);
            if text != last {
                snapshot.push_str(&format!("## {os} ({}, {})\n", os.packager.unwrap(), os.init.unwrap()));
                snapshot.push_str(&text);
                last = text;
            } else {
                snapshot.push_str(&format!("## {os}: same\n"));
            }
        }
        insta::assert_snapshot!(name, snapshot);
    }
}

#[test]
fn inline_use_in_conditions_and_pipelines() {
    let name = "nginx";
    let s = stevedore::script! {
        if ! #(package_installed(name)) {
            #(install_packages(&[name]));
        }
        #(service(name, ServiceAction::Status)) || #(service(name, ServiceAction::Start));
    };
    let expected_debian = "\
if ! dpkg-query -W -f '${Status}' nginx 2>/dev/null | grep -q 'ok installed$'; then
  DEBIAN_FRONTEND=noninteractive apt-get -q -y install nginx
fi
systemctl is-active --quiet nginx || systemctl start nginx
";
    let debian = s.render_text(&Os::parse("debian-12").unwrap()).unwrap();
    assert_eq!(debian, expected_debian);
    gate::assert_passes(&debian);
    // A multi-line arm used inline is wrapped in a brace group.
    let centos6 = s.render_text(&Os::parse("centos-6").unwrap()).unwrap();
    gate::assert_passes(&centos6);
    assert!(centos6.contains("/etc/init.d/nginx status >/dev/null 2>&1 || /etc/init.d/nginx start"), "{centos6}");
    let alpine = stevedore::script! {
        if #(create_user("a", &UserOptions::default())) { echo created; }
    }
    .render_text(&Os::parse("alpine-3.20").unwrap())
    .unwrap();
    gate::assert_passes(&alpine);
    assert!(alpine.starts_with("if {\n  adduser -D -H a\n"), "{alpine}");
}

/// Every function that takes a name refuses one that a command would read as an option, or that
/// no system accepts, for every OS: the script carries `ScriptError::Invalid` naming the
/// function, the argument and the value, and renders nothing.
#[test]
fn names_breaking_their_rule_are_refused_for_every_os() {
    use stevedore::ScriptError;
    let opts = UserOptions::default();
    let hostile = ["--help", "-x", "root;id", "web admins", "a\nb", "$(touch /tmp/x)", "../../tmp/x", ""];
    for bad in hostile {
        let with_bad = |field: &str| {
            let mut o = UserOptions::default();
            match field {
                "home" => o.home = Some(bad.into()),
                "shell" => o.shell = Some(bad.into()),
                "group" => o.group = Some(bad.into()),
                "groups" => o.groups = vec![bad.into()],
                _ => o.password_hash = Some(bad.into()),
            }
            o
        };
        let mut cases: Vec<(&str, &str, Script)> = vec![
            ("user_exists", "name", user_exists(bad)),
            ("create_user", "name", create_user(bad, &opts)),
            ("modify_user", "name", modify_user(bad, &opts)),
            ("remove_user", "name", remove_user(bad, true)),
            ("lock_user", "name", lock_user(bad)),
            ("unlock_user", "name", unlock_user(bad)),
            ("group_exists", "name", group_exists(bad)),
            ("create_group", "name", create_group(bad, &GroupOptions::default())),
            ("modify_group", "name", modify_group(bad, 5)),
            ("remove_group", "name", remove_group(bad)),
            ("service", "name", service(bad, ServiceAction::Start)),
            ("service_enable", "name", service_enable(bad)),
            ("service_disable", "name", service_disable(bad)),
            ("service_enabled", "name", service_enabled(bad)),
            ("install_packages", "names", install_packages(&["nginx", bad])),
            ("remove_packages", "names", remove_packages(&[bad])),
            ("purge_packages", "names", purge_packages(&[bad])),
            ("upgrade_packages", "names", upgrade_packages(&[bad])),
            ("package_installed", "name", package_installed(bad)),
            ("install_package_version", "name", install_package_version(bad, "1.0")),
            ("install_package_version", "version", install_package_version("nginx", bad)),
            ("package_version_installed", "version", package_version_installed("nginx", bad)),
            ("chown", "owner", chown("/srv", Some(bad), None, true)),
            ("chown", "group", chown("/srv", Some("root"), Some(bad), false)),
        ];
        for field in ["home", "shell", "group", "groups"] {
            cases.push(("create_user", field, create_user("deploy", &with_bad(field))));
            cases.push(("modify_user", field, modify_user("deploy", &with_bad(field))));
        }
        if bad.contains(['\n', ';', ' ', '(']) {
            cases.push(("create_user", "password_hash", create_user("deploy", &with_bad("password_hash"))));
        }
        for (function, argument, script) in cases {
            for os in oses() {
                match script.render_text(&os) {
                    Err(ScriptError::Invalid { function: f, argument: a, error }) => {
                        assert_eq!((f, a, error.value.as_str()), (function, argument, bad), "{function} on {os}");
                    }
                    other => panic!("{function}({bad:?}) on {os}: {other:?}"),
                }
            }
        }
    }
    assert!(chmod("/srv", 0o17777, false).render_text(&oses()[0]).is_err());
    assert!(mkdir("/srv", Some(0o10000)).render_text(&oses()[0]).is_err());
}
