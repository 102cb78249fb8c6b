//! Plans rendered offline: the OS support statement and the drop-in.

use pallet::prelude::*;
use pallet_plan_testkit::{assert_os_support, plan_text};
use pallet_ssh::SshConfig;

fn groups() -> Vec<GroupSpec> {
    let c = SshConfig { allow_users: vec!["deploy".into()], ..SshConfig::default() };
    vec![group_spec! { name = "web", count = 1, extends = [pallet_ssh::server_spec(c)] }]
}

#[test]
fn claimed_oses_plan_and_pass_the_gate_and_others_are_refused() {
    let claimed: Vec<&str> = pallet_ssh::OS_TESTED.iter().chain(pallet_ssh::OS_RENDERED).copied().collect();
    assert_os_support(groups, &["configure"], &claimed, "pallet-ssh does not support");
}

#[test]
fn the_drop_in_is_checked_with_sshd_and_reloaded_only_when_changed() {
    let s = plan_text(&groups(), "debian-12", &["configure"]).unwrap().remove(0);
    assert_eq!(
        s.actions,
        [
            "exec_checked_script sshd_config reads sshd_config.d first",
            "directory /etc/ssh/sshd_config.d mode 0755",
            "remote_file /etc/ssh/sshd_config.d/00-pallet.conf (content, 401 bytes) mode 0644",
            "service ssh reload if pallet-ssh-conf changed",
        ]
    );
    for line in ["AllowUsers deploy admin\n", "PasswordAuthentication no\n"] {
        assert!(s.payload.contains(line), "{line} missing from the drop-in:\n{}", s.payload);
    }
    assert!(s.script.contains("/usr/sbin/sshd -t -f \"$p_sc\""), "{}", s.script);
    let rhel = plan_text(&groups(), "alma-9", &["configure"]).unwrap().remove(0);
    assert_eq!(rhel.actions[3], "service sshd reload if pallet-ssh-conf changed");
}
