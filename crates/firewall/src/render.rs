//! The nftables ruleset, rendered from a checked [`FirewallConfig`].

use crate::config::{FirewallConfig, cidr};
use std::fmt::Write;

/// The nftables table this crate owns; nothing else in the ruleset is touched.
pub const TABLE: &str = "inet pallet";

/// The ruleset file: it (re)creates only table `inet pallet` in one transaction (`table`, then
/// `delete table`, then the table's definition, so loading it with `nft -f` swaps the old table
/// for the new one atomically). `role_sources[i]` holds the addresses of rule `i`'s role nodes.
pub fn ruleset(config: &FirewallConfig, role_sources: &[Vec<std::net::IpAddr>]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "#!/usr/sbin/nft -f\n\
         # Managed by pallet-firewall: changes made here are replaced on the next run.\n\
         # Loading this file replaces table {TABLE} at once and touches no other table.\n\
         table {TABLE}\n\
         delete table {TABLE}\n\
         table {TABLE} {{\n\
         \x20   chain input {{\n\
         \x20       type filter hook input priority filter; policy drop;\n\
         \x20       ct state established,related accept\n\
         \x20       ct state invalid drop\n\
         \x20       iif \"lo\" accept\n\
         \x20       meta l4proto ipv6-icmp accept\n"
    );
    if config.ping {
        s.push_str("        icmp type echo-request accept\n");
    }
    let _ = writeln!(s, "        tcp dport {} accept comment \"ssh: always open\"", config.ssh_port);
    for (i, a) in config.allow.iter().enumerate() {
        let proto = a.protocol.as_str();
        let ports = set(a.ports.iter().map(u16::to_string).collect());
        let _ = writeln!(s, "        # rule {}", i + 1);
        if a.cidrs.is_empty() && a.role.is_none() {
            let _ = writeln!(s, "        {proto} dport {ports} accept");
            continue;
        }
        let mut v4: Vec<String> = Vec::new();
        let mut v6: Vec<String> = Vec::new();
        for c in &a.cidrs {
            let c = cidr(c).expect("validated");
            if c.v6 { v6.push(c.text) } else { v4.push(c.text) }
        }
        for ip in role_sources.get(i).map(Vec::as_slice).unwrap_or_default() {
            if ip.is_ipv6() { v6.push(ip.to_string()) } else { v4.push(ip.to_string()) }
        }
        if let Some(role) = &a.role
            && role_sources.get(i).is_none_or(Vec::is_empty)
        {
            let _ = writeln!(s, "        # no node has role {role} yet");
        }
        if !v4.is_empty() {
            let _ = writeln!(s, "        ip saddr {} {proto} dport {ports} accept", set(v4));
        }
        if !v6.is_empty() {
            let _ = writeln!(s, "        ip6 saddr {} {proto} dport {ports} accept", set(v6));
        }
    }
    if config.log_dropped {
        s.push_str("        limit rate 10/minute log prefix \"pallet-firewall drop: \"\n");
    }
    s.push_str("    }\n}\n");
    s
}

/// One item as is, several as an anonymous set `{ a, b }`.
fn set(mut items: Vec<String>) -> String {
    items.dedup();
    if items.len() == 1 { items.remove(0) } else { format!("{{ {} }}", items.join(", ")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Allow, Protocol};

    #[test]
    fn rules_by_anyone_network_and_role() {
        let c = FirewallConfig {
            allow: vec![
                Allow { ports: vec![80, 443], ..Allow::default() },
                Allow {
                    ports: vec![53],
                    protocol: Protocol::Udp,
                    cidrs: vec!["10.0.0.0/8".into(), "fd00::/8".into()],
                    role: None,
                },
                Allow { ports: vec![5432], role: Some("app".into()), ..Allow::default() },
                Allow { ports: vec![6379], role: Some("none".into()), ..Allow::default() },
            ],
            ..FirewallConfig::default()
        };
        let text =
            ruleset(&c, &[vec![], vec![], vec!["10.1.1.1".parse().unwrap(), "10.1.1.2".parse().unwrap()], vec![]]);
        for line in [
            "tcp dport 22 accept comment \"ssh: always open\"\n",
            "        tcp dport { 80, 443 } accept\n",
            "        ip saddr 10.0.0.0/8 udp dport 53 accept\n        ip6 saddr fd00::/8 udp dport 53 accept\n",
            "        ip saddr { 10.1.1.1, 10.1.1.2 } tcp dport 5432 accept\n",
            "        # no node has role none yet\n",
        ] {
            assert!(text.contains(line), "{line} missing:\n{text}");
        }
        assert!(!text.contains("6379"), "a role without nodes opens nothing:\n{text}");
    }
}
