//! A real converge (podman with CAP_NET_ADMIN, Debian 12 base image, nftables from the Debian
//! mirror). First run changed, second ok, check mode no change; `nft list ruleset` shows the
//! rules; the SSH session that loaded them survived and new ones log in; an allowed port
//! answers from outside and a port not allowed does not.

use pallet::prelude::*;
use pallet_firewall::{Allow, FirewallConfig, Protocol};
use pallet_plan_testkit::Lab;
use std::io::Read;
use std::time::Duration;

fn groups() -> Vec<GroupSpec> {
    let base = server_spec! { phases = { bootstrap = bootstrap } };
    let fw = FirewallConfig {
        allow: vec![
            Allow { ports: vec![8081], ..Allow::default() },
            Allow { ports: vec![5432], role: Some("fw".into()), ..Allow::default() },
            Allow { ports: vec![53], protocol: Protocol::Udp, cidrs: vec!["10.0.0.0/8".into()], role: None },
        ],
        ..FirewallConfig::default()
    };
    vec![group_spec! {
        name = "pf-fw", count = 1, roles = [fw],
        node_spec = node_spec! { image = { os_family = Debian, login_user = "root" }, network = { inbound_ports = [22, 8080, 8081] } },
        extends = [base, pallet_firewall::server_spec(fw)],
    }]
}

/// What a TCP listener on the node sends to a client from outside, or `None` when nothing
/// comes back (dropped).
fn hello(addr: &str) -> Option<String> {
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(3)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    (!out.is_empty()).then_some(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_rules_load_without_cutting_ssh_and_filter_ports() {
    let Some(lab) = Lab::new("firewall", &["pf-fw"]).map(|l| l.run_args(["--cap-add", "NET_ADMIN"])) else { return };
    lab.converge_twice_and_check(groups).await;
    let node = lab.node("pf-fw-1").await;
    let ip = node.private_ip.clone().unwrap();
    let rules = String::from_utf8_lossy(&lab.exec(&node.name, "nft list ruleset").stdout).into_owned();
    for line in [
        "table inet pallet {",
        "policy drop;",
        "ct state established,related accept",
        "tcp dport 22 accept comment \"ssh: always open\"",
        "tcp dport 8081 accept",
        &format!("ip saddr {ip} tcp dport 5432 accept"),
        "ip saddr 10.0.0.0/8 udp dport 53 accept",
    ] {
        assert!(rules.contains(line), "{line} missing:\n{rules}");
    }
    // A new SSH login after the rules are in place (the runs above logged in again too).
    let out =
        lab.ssh(&node, pallet_plan_testkit::lab::ADMIN, "sudo -n nft list table inet pallet >/dev/null && echo in");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "in\n", "{}", String::from_utf8_lossy(&out.stderr));
    // Listeners on an allowed and a filtered port, reached through the published ports.
    let listen = "nohup perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalPort => $ARGV[0], Listen => 5, ReuseAddr => 1) or die; while ($c = $s->accept) { print $c qq(hello $ARGV[0]\\n); close $c }' PORT >/dev/null 2>&1 &";
    for port in ["8080", "8081"] {
        assert!(lab.exec(&node.name, &listen.replace("PORT", port)).status.success());
    }
    assert!(lab.exec(&node.name, "for i in 1 2 3 4 5 6 7 8 9 10; do [ $(grep -c ' 00000000:1F9[01] 00000000:0000 0A' /proc/net/tcp) = 2 ] && exit 0; sleep 0.2; done; exit 1").status.success());
    assert_eq!(hello(&node.published[&8081]).as_deref(), Some("hello 8081\n"));
    assert_eq!(hello(&node.published[&8080]), None, "port 8080 is not allowed");
    // Inside the node (loopback) both answer: only inbound traffic is filtered.
    let inside = lab.bash(&node.name, "exec 3<>/dev/tcp/127.0.0.1/8080; cat <&3");
    assert_eq!(String::from_utf8_lossy(&inside.stdout), "hello 8080\n");
}
