//! The plan functions: `settings`, `install`, `configure`.

use crate::config::{Listen, NginxConfig};
use crate::os::flavor;
use crate::render::nginx_conf;
use crate::{FACILITY, HttpEndpoint, NginxSettings};
use pallet::prelude::*;

/// The flag `configure` sets when `nginx.conf` changes; the reload runs only then.
pub const CHANGED_FLAG: &str = "pallet-nginx-conf";

plan_fn! {
    /// Publishes [`NginxSettings`] under [`FACILITY`] (`nginx`): the node's private address,
    /// the first port of the first site (80 without sites) and the server names. Run it in the
    /// `settings` phase so other nodes' plans can read it.
    pub fn settings(ctx, config: &NginxConfig) {
        let port = config.sites.first().and_then(|s| s.listen.first()).and_then(|l| Listen::parse(l).ok()).map_or(80, |l| l.port);
        let server_names = config.sites.iter().flat_map(|s| s.server_name.iter().cloned()).collect();
        ctx.publish(FACILITY, &NginxSettings { host: ctx.node().private_address().to_string(), port, server_names });
    }
}

plan_fn! {
    /// Installs the distribution's nginx package. Refuses (fails the plan) an OS the crate does
    /// not support.
    pub fn install(ctx, _config: &NginxConfig) {
        match flavor(ctx.os()) {
            Ok(f) => { package(f.package); }
            Err(e) => { ctx.fail(e); }
        }
    }
}

plan_fn! {
    /// Writes `nginx.conf` (the whole file, see [`crate::render`]) after checking it with
    /// `nginx -t -c NEW` (a failing check keeps the old file and fails the action), enables and
    /// starts nginx, and reloads it only when the file changed. Upstreams with a role list the
    /// role's nodes at the endpoint each published under the upstream's facility; a node that
    /// published none fails the plan, naming it. Invalid configuration fails the plan with
    /// every problem ([`NginxConfig::validate`]).
    pub fn configure(ctx, config: &NginxConfig) {
        let f = match flavor(ctx.os()) {
            Ok(f) => f,
            Err(e) => return ctx.fail(e),
        };
        if let Err(e) = config.validate() {
            return ctx.fail(format!("pallet-nginx: invalid configuration:\n{e}"));
        }
        let servers = match upstream_servers(ctx, config) {
            Ok(s) => s,
            Err(e) => return ctx.fail(e),
        };
        remote_file(f.conf, content = nginx_conf(config, &f, &servers), mode = 0o644,
                    verify = script! { nginx -t -q -c $1; }, flag_on_changed = CHANGED_FLAG);
        service(f.service, enable = true).start();
        service(f.service).reload().if_flag(CHANGED_FLAG);
    }
}

/// Each upstream's servers: the listed ones, then the endpoints the role's nodes published.
fn upstream_servers(ctx: &Plan<'_>, config: &NginxConfig) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut out = Vec::new();
    for u in &config.upstreams {
        let mut list = u.servers.clone();
        if let Some(role) = &u.role {
            for n in ctx.nodes_with_role(role) {
                let e: HttpEndpoint = ctx
                    .settings(n, &u.facility)
                    .map_err(|e| format!("pallet-nginx: upstream {} (role {role}): {e}", u.name))?;
                let ip: Result<std::net::IpAddr, _> = e.host.parse();
                let host = match ip {
                    Ok(std::net::IpAddr::V6(a)) => format!("[{a}]"),
                    Ok(a) => a.to_string(),
                    Err(_) => {
                        crate::config::word("host", &e.host, false)
                            .map_err(|m| format!("pallet-nginx: upstream {}: node {}: {m}", u.name, n.name))?;
                        e.host.clone()
                    }
                };
                list.push(format!("{host}:{}", e.port));
            }
        }
        out.push((u.name.clone(), list));
    }
    Ok(out)
}
