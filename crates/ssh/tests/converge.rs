//! A real converge (podman, Debian 12 base image, its OpenSSH): hardening with `AllowUsers`.
//! First run changed, second ok, check mode no change; sshd runs the hardened values; the admin
//! user logs in afterwards and root (allowed by the image) no longer does; an option `sshd -t`
//! refuses keeps the old file and logins keep working.

use pallet::prelude::*;
use pallet_plan_testkit::Lab;
use pallet_plan_testkit::lab::ADMIN;
use pallet_ssh::SshConfig;

fn groups(options: &[(&str, &str)]) -> Vec<GroupSpec> {
    let base = server_spec! { phases = { bootstrap = bootstrap } };
    let ssh = SshConfig {
        allow_users: vec!["nobody-else".into()],
        options: options.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(),
        ..SshConfig::default()
    };
    vec![group_spec! {
        name = "ps-ssh", count = 1,
        node_spec = node_spec! { image = { os_family = Debian, login_user = "root" } },
        extends = [base, pallet_ssh::server_spec(ssh)],
    }]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_admin_still_logs_in_after_hardening() {
    let Some(lab) = Lab::new("ssh", &["ps-ssh"]) else { return };
    lab.converge_twice_and_check(|| groups(&[])).await;
    let node = lab.node("ps-ssh-1").await;
    let effective = lab.exec(&node.name, "sshd -T -C user=admin,host=client,addr=10.0.0.1");
    let effective = String::from_utf8_lossy(&effective.stdout).into_owned();
    for line in [
        "passwordauthentication no",
        "x11forwarding no",
        "maxauthtries 3",
        "allowtcpforwarding no",
        "allowusers nobody-else",
        "allowusers admin",
    ] {
        assert!(effective.lines().any(|l| l == line), "{line} missing:\n{effective}");
    }
    let admin = lab.ssh(&node, ADMIN, "id -un");
    assert_eq!(String::from_utf8_lossy(&admin.stdout), "admin\n", "{}", String::from_utf8_lossy(&admin.stderr));
    let root = lab.ssh(&node, "root", "id -un");
    assert!(
        !root.status.success() && String::from_utf8_lossy(&root.stderr).contains("Permission denied"),
        "root is not in AllowUsers"
    );

    let before = lab.exec(&node.name, "cat /etc/ssh/sshd_config.d/00-pallet.conf").stdout;
    let failed = lab.converge_failing(groups(&[("LogLevel", "LOUD")])).await;
    let action = &failed.result("ps-ssh-1", "configure").unwrap().actions;
    let file = action.iter().find(|a| a.kind == "remote_file").unwrap();
    assert!(
        file.stderr.contains("unsupported log level 'LOUD'") && file.stderr.contains("verify failed"),
        "{}",
        failed.human()
    );
    assert_eq!(lab.exec(&node.name, "cat /etc/ssh/sshd_config.d/00-pallet.conf").stdout, before);
    assert_eq!(String::from_utf8_lossy(&lab.ssh(&node, ADMIN, "id -un").stdout), "admin\n");
}
