//! An nftables firewall for pallet: inbound ports open per role or source network, checked
//! with `nft -c`, loaded atomically, never cutting the SSH session that applies it.
//!
//! ```
//! use pallet::prelude::*;
//! use pallet_firewall::{Allow, FirewallConfig};
//!
//! let fw = FirewallConfig {
//!     allow: vec![
//!         Allow { ports: vec![80, 443], ..Allow::default() },                       // anyone
//!         Allow { ports: vec![5432], role: Some("app".into()), ..Allow::default() }, // app nodes
//!     ],
//!     ..FirewallConfig::default()
//! };
//! let db = group_spec! { name = "db", count = 1, extends = [pallet_firewall::server_spec(fw)] };
//! assert!(db.server().effective().has_phase("configure"));
//! ```
//!
//! # What it does
//!
//! `configure` ([`configure`]) installs nftables and writes the ruleset file ([`render`]),
//! checked with `nft -c -f` before it replaces the old one. The file defines only table
//! `inet pallet` (other tables, e.g. a container engine's, are left alone), with an input chain
//! whose policy is drop and which accepts, before any configured rule: established and related
//! connections (so no open session is cut, the SSH session applying the rules included),
//! loopback, ICMPv6 (neighbour discovery), ping (unless turned off) and the SSH port. The
//! ruleset is loaded with `nft -f` (one transaction: the old table is swapped for the new one
//! at once) when the file changed or the table is missing (e.g. after a reboot without the
//! nftables service), and the nftables service is enabled at boot where the node has an init
//! system that runs it (systemd, OpenRC; a container without one gets no boot setting).
//!
//! Sources: `cidrs`, and `role`, which allows every node with the role in the operation by its
//! private address; a role with no nodes opens nothing.
//!
//! Containers need `CAP_NET_ADMIN` (`podman run --cap-add NET_ADMIN`) for nftables.
//!
//! `settings` publishes [`FirewallSettings`] under [`FACILITY`] (`firewall`).
//!
//! # OS support
//!
//! Run for real in the tests: [`OS_TESTED`] (Debian 12). Rendered and passed through the shell
//! gate: [`OS_RENDERED`] (Ubuntu, RHEL 9 and its rebuilds, Fedora, Amazon Linux 2023, Alpine).
//! On the RHEL family, turn firewalld off yourself; the two would fight. Other OSes are refused
//! when planning.
//!
//! Replaces Pallet's `pallet/iptables-crate` and `net-rules` crate.

mod config;
pub mod render;

pub use config::{Allow, FirewallConfig, Protocol};

use pallet::prelude::*;
use pallet::stevedore::os::FamilyGroup;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The settings facility nodes publish [`FirewallSettings`] under.
pub const FACILITY: &str = "firewall";

/// The flag set when the ruleset file changes; the load runs then (or when the table is
/// missing).
pub const CHANGED_FLAG: &str = "pallet-firewall-rules";

/// OS specs (as in `pallet_testkit::os::ALL`) this crate's tests run for real.
pub const OS_TESTED: &[&str] = &["debian-12"];

/// OS specs whose plans the tests render and pass through the shell gate without running them.
pub const OS_RENDERED: &[&str] =
    &["ubuntu-24.04", "rhel-9", "rocky-9", "alma-9", "oracle-9", "fedora-40", "amazon-2023", "alpine-3.20"];

/// What a node publishes under [`FACILITY`]: the SSH port and the open ports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallSettings {
    /// The SSH port (always open).
    pub ssh_port: u16,
    /// Every configured `(protocol, port)`, whatever its sources.
    pub open: Vec<(Protocol, u16)>,
}

/// The ruleset file nftables' service loads at boot on `os`.
///
/// # Errors
/// The refusal, naming this crate, for an OS it does not support.
pub fn ruleset_path(os: &Os) -> Result<&'static str, String> {
    if os.in_group(FamilyGroup::DebianLike) {
        Ok("/etc/nftables.conf")
    } else if os.is_rhel_like() && os.packager == Some(Packager::Dnf) {
        Ok("/etc/sysconfig/nftables.conf")
    } else if os.in_group(FamilyGroup::AlpineLike) {
        Ok("/etc/nftables.nft")
    } else {
        Err(format!(
            "pallet-firewall does not support {os}: it supports the Debian family, the RHEL family with dnf, and Alpine"
        ))
    }
}

plan_fn! {
    /// Publishes [`FirewallSettings`] under [`FACILITY`] (`firewall`). Run it in `settings`.
    pub fn settings(ctx, config: &FirewallConfig) {
        let open = config.allow.iter().flat_map(|a| a.ports.iter().map(move |p| (a.protocol, *p))).collect();
        ctx.publish(FACILITY, &FirewallSettings { ssh_port: config.ssh_port, open });
    }
}

plan_fn! {
    /// Installs nftables, writes the ruleset (checked with `nft -c -f`), loads it when it
    /// changed or is not loaded, and enables nftables at boot (systemd, OpenRC). Invalid
    /// configuration, or a role node whose private address is not an IP, fails the plan.
    pub fn configure(ctx, config: &FirewallConfig) {
        let path = match ruleset_path(ctx.os()) {
            Ok(p) => p,
            Err(e) => return ctx.fail(e),
        };
        if let Err(e) = config.validate() {
            return ctx.fail(format!("pallet-firewall: invalid configuration:\n{e}"));
        }
        let mut sources = Vec::new();
        for a in &config.allow {
            let mut ips = Vec::new();
            for n in a.role.as_deref().map(|r| ctx.nodes_with_role(r)).unwrap_or_default() {
                match n.private_address().parse::<std::net::IpAddr>() {
                    Ok(ip) => ips.push(ip),
                    Err(_) => return ctx.fail(format!("pallet-firewall: node {} has no IP private address", n.name)),
                }
            }
            sources.push(ips);
        }
        package("nftables");
        remote_file(path, content = render::ruleset(config, &sources), mode = 0o644,
                    verify = script! { nft -c -f $1; }, flag_on_changed = CHANGED_FLAG);
        let table = render::TABLE.split(' ').collect::<Vec<_>>();
        exec_checked_script("load the ruleset when it changed or is not loaded", script! {
            if p_flagged #CHANGED_FLAG || ! nft list table #table > /dev/null 2>&1 {
                p_changed;
                p_checking || nft -f #path;
            }
            p_handled #CHANGED_FLAG;
        }).unchanged();
        if ctx.os().init != Some(InitSystem::Sysvinit) {
            service("nftables", enable = true);
        }
    }
}

/// A server spec to extend: `settings` publishes [`FirewallSettings`], `configure` applies
/// `config`.
pub fn server_spec(config: FirewallConfig) -> ServerSpec {
    let config = Arc::new(config);
    let (s, c) = (config.clone(), config);
    server_spec! {
        phases = {
            settings = move |ctx: &mut Plan<'_>| settings(ctx, &s),
            configure = move |ctx: &mut Plan<'_>| configure(ctx, &c),
        },
    }
}
