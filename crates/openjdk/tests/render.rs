//! Plans rendered offline: the OS support statement and the package per OS.

use pallet::prelude::*;
use pallet_openjdk::{Kind, OpenJdkConfig};
use pallet_plan_testkit::{assert_os_support, plan_text};

fn groups(config: OpenJdkConfig) -> Vec<GroupSpec> {
    vec![group_spec! { name = "java", count = 1, extends = [pallet_openjdk::server_spec(config)] }]
}

#[test]
fn claimed_oses_plan_and_pass_the_gate_and_others_are_refused() {
    let claimed: Vec<&str> = pallet_openjdk::OS_TESTED.iter().chain(pallet_openjdk::OS_RENDERED).copied().collect();
    assert_os_support(|| groups(OpenJdkConfig::default()), &["configure"], &claimed, "pallet-openjdk does not");
    let jdk = OpenJdkConfig { kind: Kind::Jdk, major: Some(21), ..OpenJdkConfig::default() };
    assert_os_support(move || groups(jdk.clone()), &["configure"], &claimed, "pallet-openjdk does not");
}

#[test]
fn packages_by_distribution_kind_and_major() {
    let first = |c: OpenJdkConfig, os: &str| plan_text(&groups(c), os, &["configure"]).unwrap()[0].actions[0].clone();
    let jdk21 = OpenJdkConfig { kind: Kind::Jdk, major: Some(21), ..OpenJdkConfig::default() };
    assert_eq!(first(OpenJdkConfig::default(), "debian-12"), "packages: install openjdk-17-jre-headless");
    assert_eq!(first(OpenJdkConfig::default(), "ubuntu-24.04"), "packages: install openjdk-21-jre-headless");
    assert_eq!(first(jdk21.clone(), "debian-12"), "packages: install openjdk-21-jdk-headless");
    assert_eq!(first(OpenJdkConfig::default(), "rocky-9"), "packages: install java-17-openjdk-headless");
    assert_eq!(first(jdk21.clone(), "fedora-40"), "packages: install java-21-openjdk-devel");
    assert_eq!(
        first(OpenJdkConfig { headless: false, ..OpenJdkConfig::default() }, "alpine-3.20"),
        "packages: install openjdk21-jre"
    );
    let s = &plan_text(&groups(OpenJdkConfig::default()), "debian-12", &["configure"]).unwrap()[0].script;
    assert!(s.contains("p_real=/usr/lib/jvm/java-17-openjdk-\"$(dpkg --print-architecture)\""), "{s}");
    let e = plan_text(&groups(OpenJdkConfig::default()), "debian-10", &["configure"]).unwrap_err();
    assert!(e.contains("does not know the default Java of debian 10: set `major`"), "{e}");
}
