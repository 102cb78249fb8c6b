//! Who may connect to a group's nodes: CIDRs, checked and normalized, the refusal of the whole
//! internet unless asked for, and the difference between the rules a security group has and the
//! rules it should have. Pure functions; `network.rs` applies them.

use pallet_runtime::compute::ComputeError;
use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An IPv4 or IPv6 network, normalized (host bits cleared), e.g. `203.0.113.0/24`, `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`, `x:y::z/n` or a bare address (a `/32` or `/128`), clearing host bits.
    ///
    /// # Errors
    /// What is wrong with `s`.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (a, p) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = a.parse().map_err(|_| format!("`{s}` is not a CIDR (like 203.0.113.0/24)"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0 to {max}"))?,
            None => max,
        };
        let addr = match addr {
            IpAddr::V4(v) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(v) & mask))
            }
            IpAddr::V6(v) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(v) & mask))
            }
        };
        Ok(Cidr { addr, prefix })
    }

    /// Is it IPv6?
    pub fn is_ipv6(&self) -> bool {
        self.addr.is_ipv6()
    }

    /// Is it the whole internet (`0.0.0.0/0` or `::/0`)?
    pub fn is_world(&self) -> bool {
        self.prefix == 0
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The sources a group's ports are opened to: `cidrs` (checked), or with none and `allow_world`,
/// `0.0.0.0/0` and `::/0`.
///
/// # Errors
/// [`ComputeError::Config`] for a malformed CIDR, for `0.0.0.0/0` or `::/0` without
/// `allow_world`, and for no CIDR at all without `allow_world` (nothing could connect).
pub fn sources(service: &str, cidrs: &[String], allow_world: bool) -> Result<Vec<Cidr>, ComputeError> {
    let config = |m: String| ComputeError::Config(format!("{service}: {m}"));
    let mut out = BTreeSet::new();
    for c in cidrs {
        let cidr = Cidr::parse(c).map_err(|e| config(format!("ingress_cidrs: {e}")))?;
        if cidr.is_world() && !allow_world {
            return Err(config(format!(
                "ingress_cidrs: `{c}` opens the nodes to the whole internet; set `allow_world = true` if that is \
                 really meant, or name your networks (e.g. your address as a /32)"
            )));
        }
        out.insert(cidr);
    }
    if out.is_empty() {
        if !allow_world {
            return Err(config(
                "no ingress_cidrs: name the networks that may reach the nodes (e.g. [\"203.0.113.7/32\"]), or set \
                 `allow_world = true` to open them to 0.0.0.0/0 and ::/0"
                    .into(),
            ));
        }
        out.insert(Cidr::parse("0.0.0.0/0").map_err(config)?);
        out.insert(Cidr::parse("::/0").map_err(config)?);
    }
    Ok(out.into_iter().collect())
}

/// One ingress rule: TCP (`"tcp"`) or another protocol, a port range, one source network.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rule {
    /// `tcp`, `udp`, `-1` (all)...
    pub protocol: String,
    /// First port (`-1` for all).
    pub from: i32,
    /// Last port.
    pub to: i32,
    /// The source, as EC2 reports it.
    pub source: String,
}

/// The rules a group should have: each of `ports` (and 22) over TCP from each of `sources`.
pub fn desired(ports: &[u16], sources: &[Cidr]) -> BTreeSet<Rule> {
    let mut all: BTreeSet<u16> = ports.iter().copied().collect();
    all.insert(22);
    all.iter()
        .flat_map(|p| {
            sources.iter().map(move |s| Rule {
                protocol: "tcp".into(),
                from: i32::from(*p),
                to: i32::from(*p),
                source: s.to_string(),
            })
        })
        .collect()
}

/// `(to add, to revoke)`: what turns `current` into `wanted`.
pub fn diff(current: &BTreeSet<Rule>, wanted: &BTreeSet<Rule>) -> (Vec<Rule>, Vec<Rule>) {
    (wanted.difference(current).cloned().collect(), current.difference(wanted).cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_parse_normalize_and_know_the_world() {
        assert_eq!(Cidr::parse("203.0.113.77/24").unwrap().to_string(), "203.0.113.0/24");
        assert_eq!(Cidr::parse("198.51.100.7").unwrap().to_string(), "198.51.100.7/32");
        assert_eq!(Cidr::parse("2001:db8::1/32").unwrap().to_string(), "2001:db8::/32");
        assert!(Cidr::parse("::/0").unwrap().is_world() && Cidr::parse("::/0").unwrap().is_ipv6());
        assert!(Cidr::parse("0.0.0.0/0").unwrap().is_world());
        assert!(Cidr::parse("1.2.3.4/0").unwrap().is_world(), "any /0 is the world");
        for bad in ["", "10.0.0.0/33", "::/129", "example.com/8", "10.0.0/8", "10.0.0.0/x"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_world_needs_allow_world() {
        for world in ["0.0.0.0/0", "::/0"] {
            let e = sources("aws", &[world.into()], false).unwrap_err().to_string();
            assert!(e.contains("allow_world = true") && e.contains(world), "{e}");
            assert_eq!(sources("aws", &[world.into()], true).unwrap().len(), 1);
        }
        let e = sources("aws", &[], false).unwrap_err().to_string();
        assert!(e.starts_with("aws: no ingress_cidrs"), "{e}");
        let all: Vec<String> = sources("aws", &[], true).unwrap().iter().map(ToString::to_string).collect();
        assert_eq!(all, ["0.0.0.0/0", "::/0"]);
        assert!(sources("aws", &["10.1.2.3/8".into(), "bogus".into()], false).is_err());
    }

    #[test]
    fn diff_adds_and_revokes() {
        let s = [Cidr::parse("192.0.2.0/24").unwrap()];
        let before = desired(&[80], &s);
        let after = desired(&[443, 22], &s);
        assert_eq!(before.len(), 2, "22 is always open");
        let (add, revoke) = diff(&before, &after);
        assert_eq!(add.iter().map(|r| r.from).collect::<Vec<_>>(), [443]);
        assert_eq!(revoke.iter().map(|r| r.from).collect::<Vec<_>>(), [80]);
        assert_eq!(diff(&after, &after), (vec![], vec![]));
    }
}
