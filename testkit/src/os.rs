//! The OS specs every rendering test covers: one list, so stevedore's function snapshots and
//! pallet's action snapshots always speak about the same systems.
//!
//! Each entry is an OS spec as `stevedore::Os::parse` reads it (`family-version`, or a bare
//! family for rolling releases). The list holds each family's current release, plus the older
//! releases where the rendering differs: CentOS 7 (yum), CentOS 6 (SysV init), Amazon Linux 2
//! (yum). Adding a family to stevedore's OS table means adding it here too; the snapshots then
//! move by that OS only.

/// Every OS spec the snapshot and gate tests render for, in the OS table's family order.
pub const ALL: &[&str] = &[
    "debian-12",
    "ubuntu-24.04",
    "rhel-9",
    "centos-7",
    "centos-6",
    "rocky-9",
    "alma-9",
    "oracle-9",
    "fedora-40",
    "amazon-2",
    "amazon-2023",
    "alpine-3.20",
    "arch",
    "opensuse-15.6",
];

#[cfg(test)]
mod tests {
    #[test]
    fn specs_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for spec in super::ALL {
            assert!(seen.insert(spec), "{spec} twice");
            let (family, version) = spec.split_once('-').unwrap_or((spec, "0"));
            assert!(!family.is_empty() && family.bytes().all(|b| b.is_ascii_lowercase()), "{spec}");
            assert!(version.split('.').all(|p| p.parse::<u64>().is_ok()), "{spec}");
        }
    }
}
