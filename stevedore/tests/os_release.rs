//! `/etc/os-release` files of each family (as shipped by the distributions' current images)
//! parse to the right family, version, package manager and init system.

use stevedore::os::{Family, InitSystem, Os, Packager};

fn load(name: &str) -> Os {
    let path = format!("{}/tests/data/os-release/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Os::from_os_release(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What stevedore makes of every os-release file in `tests/data/os-release/` (current images of
/// each family, derivatives whose family comes from `ID_LIKE`, and an unknown OS), one line per
/// file: the snapshot moves when the OS table does.
#[test]
fn every_family() {
    let dir = format!("{}/tests/data/os-release", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    let show = |v: Option<&str>| v.unwrap_or("-").to_string();
    let mut snapshot = String::new();
    for file in files {
        let os = load(&file);
        assert!(os.pretty_name.is_some(), "{file}: pretty name");
        let groups: Vec<&str> = os.family.map(|f| f.groups().iter().map(|g| g.name()).collect()).unwrap_or_default();
        snapshot.push_str(&format!(
            "{file}: id {}, family {}, version {}, packager {}, init {}, users {}, sh {}, groups [{}]\n",
            os.id,
            show(os.family.map(Family::name)),
            show(os.version.as_ref().map(|v| v.as_str())),
            show(os.packager.map(Packager::name)),
            show(os.init.map(InitSystem::name)),
            show(os.users().map(|u| u.name())),
            show(os.sh().map(|s| s.name())),
            groups.join(" "),
        ));
    }
    insta::assert_snapshot!(snapshot);
}

#[test]
fn unknown_os_gets_a_clear_dispatch_error() {
    let os = load("gentoo");
    let err = stevedore::functions::install_packages(&["vim"]).render(&os).unwrap_err();
    assert_eq!(
        err.to_string(),
        "script function `install_packages` has no implementation for gentoo 2.15 (it dispatches on the package manager, which is unknown there)"
    );
}

#[test]
fn overrides_replace_the_derived_values() {
    let os = load("debian-12").with_init(InitSystem::Sysvinit).with_packager(Packager::Apt);
    let s = stevedore::functions::service("ssh", stevedore::functions::ServiceAction::Start);
    assert_eq!(s.render_text(&os).unwrap(), "/etc/init.d/ssh start\n");
}
