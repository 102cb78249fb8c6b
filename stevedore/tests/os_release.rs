//! `/etc/os-release` files of each family (as shipped by the distributions' current images)
//! parse to the right family, version, package manager and init system.

use stevedore::os::{Family, InitSystem, Os, Packager};

fn load(name: &str) -> Os {
    let path = format!("{}/tests/data/os-release/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Os::from_os_release(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_family() {
    use Family as F;
    use InitSystem as I;
    use Packager as P;
    let cases: &[(&str, &str, Option<F>, Option<&str>, Option<P>, Option<I>)] = &[
        ("debian-12", "debian", Some(F::Debian), Some("12"), Some(P::Apt), Some(I::Systemd)),
        ("ubuntu-24.04", "ubuntu", Some(F::Ubuntu), Some("24.04"), Some(P::Apt), Some(I::Systemd)),
        ("rhel-9.4", "rhel", Some(F::Rhel), Some("9.4"), Some(P::Dnf), Some(I::Systemd)),
        ("centos-7", "centos", Some(F::Centos), Some("7"), Some(P::Yum), Some(I::Systemd)),
        ("centos-stream-9", "centos", Some(F::Centos), Some("9"), Some(P::Dnf), Some(I::Systemd)),
        ("rocky-9.3", "rocky", Some(F::Rocky), Some("9.3"), Some(P::Dnf), Some(I::Systemd)),
        ("almalinux-9.4", "almalinux", Some(F::Alma), Some("9.4"), Some(P::Dnf), Some(I::Systemd)),
        ("fedora-40", "fedora", Some(F::Fedora), Some("40"), Some(P::Dnf), Some(I::Systemd)),
        ("amzn-2", "amzn", Some(F::Amazon), Some("2"), Some(P::Yum), Some(I::Systemd)),
        ("amzn-2023", "amzn", Some(F::Amazon), Some("2023"), Some(P::Dnf), Some(I::Systemd)),
        ("alpine-3.20", "alpine", Some(F::Alpine), Some("3.20.3"), Some(P::Apk), Some(I::Openrc)),
        ("arch", "arch", Some(F::Arch), None, Some(P::Pacman), Some(I::Systemd)),
        ("opensuse-leap-15.6", "opensuse-leap", Some(F::Opensuse), Some("15.6"), Some(P::Zypper), Some(I::Systemd)),
        (
            "opensuse-tumbleweed",
            "opensuse-tumbleweed",
            Some(F::Opensuse),
            Some("20240807"),
            Some(P::Zypper),
            Some(I::Systemd),
        ),
        // Derivatives: the family comes from ID_LIKE.
        ("linuxmint-21.3", "linuxmint", Some(F::Ubuntu), Some("21.3"), Some(P::Apt), Some(I::Systemd)),
        ("ol-8.9", "ol", Some(F::Fedora), Some("8.9"), Some(P::Dnf), Some(I::Systemd)),
        // Unknown: parsed, but nothing to dispatch on.
        ("gentoo", "gentoo", None, Some("2.15"), None, None),
    ];
    for &(file, id, family, version, packager, init) in cases {
        let os = load(file);
        assert_eq!(os.id, id, "{file}: id");
        assert_eq!(os.family, family, "{file}: family");
        assert_eq!(os.version.as_ref().map(|v| v.as_str()), version, "{file}: version");
        assert_eq!(os.packager, packager, "{file}: packager");
        assert_eq!(os.init, init, "{file}: init");
        assert!(os.pretty_name.is_some(), "{file}: pretty name");
    }
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
