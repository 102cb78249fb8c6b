//! Plans rendered offline: the OS support statement and the ruleset file.

use pallet::prelude::*;
use pallet_firewall::{Allow, FirewallConfig, Protocol};
use pallet_plan_testkit::{assert_os_support, plan_text};

fn config() -> FirewallConfig {
    FirewallConfig {
        allow: vec![
            Allow { ports: vec![80], ..Allow::default() },
            Allow { ports: vec![5432], role: Some("app".into()), ..Allow::default() },
            Allow { ports: vec![53], protocol: Protocol::Udp, cidrs: vec!["10.0.0.0/8".into()], role: None },
        ],
        ..FirewallConfig::default()
    }
}

fn groups() -> Vec<GroupSpec> {
    vec![
        group_spec! { name = "db", count = 1, extends = [pallet_firewall::server_spec(config())] },
        group_spec! { name = "app", count = 2, roles = [app] },
    ]
}

#[test]
fn claimed_oses_plan_and_pass_the_gate_and_others_are_refused() {
    let claimed: Vec<&str> = pallet_firewall::OS_TESTED.iter().chain(pallet_firewall::OS_RENDERED).copied().collect();
    assert_os_support(groups, &["configure"], &claimed, "pallet-firewall does not support");
}

#[test]
fn the_ruleset_is_checked_then_loaded_and_enabled_where_an_init_system_runs_it() {
    let s = plan_text(&groups(), "debian-12", &["configure"]).unwrap().remove(0);
    assert_eq!(
        s.actions,
        [
            "packages: install nftables",
            "remote_file /etc/nftables.conf (content, 752 bytes) mode 0644",
            "exec_checked_script load the ruleset when it changed or is not loaded",
            "service nftables enable",
        ]
    );
    let rule = "        ip saddr { 192.0.2.12, 192.0.2.13 } tcp dport 5432 accept\n";
    assert!(s.payload.contains(rule), "{rule} missing from the ruleset:\n{}", s.payload);
    for line in ["nft -c -f \"$1\"", "nft -f /etc/nftables.conf"] {
        assert!(s.script.contains(line), "{line} missing:\n{}", s.script);
    }
    let container = Os::parse("debian-12").unwrap().with_init(InitSystem::Sysvinit);
    let targets = pallet::dry_run::offline_targets(&groups(), &container);
    let planned = pallet::dry_run::dry_run(&targets, &["configure".to_string()]).unwrap();
    assert!(!planned[0].actions.iter().any(|a| a.starts_with("service")), "no boot setting without an init system");
}
