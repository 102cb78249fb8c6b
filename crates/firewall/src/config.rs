//! The typed configuration (serde; every field has a documented default) and its checks.

use serde::{Deserialize, Serialize};

/// An inbound firewall: everything not allowed is dropped, except what keeps the node
/// reachable (established connections, loopback, ICMPv6 neighbour discovery, the SSH port).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FirewallConfig {
    /// The SSH port, always open from anywhere so pallet (and you) can still log in (default
    /// 22).
    pub ssh_port: u16,
    /// What else may come in (default nothing).
    pub allow: Vec<Allow>,
    /// Answer ICMP echo (ping) (default `true`).
    pub ping: bool,
    /// Log dropped packets, rate-limited, with the prefix `pallet-firewall drop: ` (default
    /// `false`).
    pub log_dropped: bool,
}

impl Default for FirewallConfig {
    fn default() -> Self {
        FirewallConfig { ssh_port: 22, allow: Vec::new(), ping: true, log_dropped: false }
    }
}

/// The transport protocol of an [`Allow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP (default).
    #[default]
    Tcp,
    /// UDP.
    Udp,
}

impl Protocol {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

/// Ports open to some sources: networks (`cidrs`), the nodes of a `role` (by their private
/// addresses), or, when both are empty, anyone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Allow {
    /// Destination ports (required, at least one).
    pub ports: Vec<u16>,
    /// The protocol (default `tcp`).
    pub protocol: Protocol,
    /// Source networks, IPv4 or IPv6 (`10.0.0.0/8`, `fd00::/8`) (default none).
    pub cidrs: Vec<String>,
    /// Source: every node with this role in the operation (default none).
    pub role: Option<String>,
}

/// A parsed CIDR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cidr {
    pub(crate) text: String,
    pub(crate) v6: bool,
}

pub(crate) fn cidr(s: &str) -> Result<Cidr, String> {
    let bad = || format!("cidr `{s}`: expected an address with a prefix length, e.g. 10.0.0.0/8");
    let (ip, len) = s.split_once('/').ok_or_else(bad)?;
    let ip: std::net::IpAddr = ip.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    if len > if ip.is_ipv4() { 32 } else { 128 } {
        return Err(bad());
    }
    Ok(Cidr { text: format!("{ip}/{len}"), v6: ip.is_ipv6() })
}

impl FirewallConfig {
    /// Checks ports (1-65535, at least one per rule), CIDRs and role names.
    ///
    /// # Errors
    /// Every problem, one per line, naming the rule.
    pub fn validate(&self) -> Result<(), String> {
        let mut e = Vec::new();
        if self.ssh_port == 0 {
            e.push("ssh_port 0".to_string());
        }
        for (i, a) in self.allow.iter().enumerate() {
            let at = format!("allow rule {}", i + 1);
            if a.ports.is_empty() || a.ports.contains(&0) {
                e.push(format!("{at}: give ports from 1 to 65535"));
            }
            for c in &a.cidrs {
                if let Err(m) = cidr(c) {
                    e.push(format!("{at}: {m}"));
                }
            }
            if let Some(r) = &a.role
                && (r.is_empty() || !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
            {
                e.push(format!("{at}: role `{r}`: use letters, digits, `_` and `-`"));
            }
        }
        if e.is_empty() { Ok(()) } else { Err(e.join("\n")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_and_defaults() {
        let c: FirewallConfig = serde_json::from_str(
            r#"{"allow": [{"ports": [80, 443]}, {"ports": [53], "protocol": "udp", "cidrs": ["10.0.0.0/8"]}]}"#,
        )
        .unwrap();
        assert_eq!(c.ssh_port, 22);
        assert!(c.ping);
        assert_eq!(c.validate(), Ok(()));
        let bad = FirewallConfig {
            allow: vec![Allow {
                ports: vec![],
                cidrs: vec!["10.0.0.0".into()],
                role: Some("a b".into()),
                ..Allow::default()
            }],
            ..FirewallConfig::default()
        };
        let e = bad.validate().unwrap_err();
        assert_eq!(e.lines().count(), 3, "{e}");
        assert_eq!(cidr("fd00::1/64").unwrap(), Cidr { text: "fd00::1/64".into(), v6: true });
    }
}
