//! nginx for pallet (Pallet's `nginx` crate): sites from typed configuration, upstreams built
//! from a role's nodes, `nginx -t` before every reload, and a reload only when the
//! configuration changed.
//!
//! ```
//! use pallet::prelude::*;
//! use pallet_nginx::{Location, NginxConfig, Site, Upstream};
//!
//! // A proxy in front of every node with role `app` (each publishes `{host, port}` under `http`).
//! let proxy = NginxConfig {
//!     upstreams: vec![Upstream { name: "app".into(), role: Some("app".into()), ..Default::default() }],
//!     sites: vec![Site {
//!         locations: vec![Location { path: "/".into(), proxy_pass: Some("http://app".into()), ..Default::default() }],
//!         ..Site::default()
//!     }],
//!     ..NginxConfig::default()
//! };
//! let web = group_spec! { name = "web", count = 2, extends = [pallet_nginx::server_spec(proxy)] };
//! assert!(web.server().effective().has_phase("configure"));
//! ```
//!
//! # What it does
//!
//! - `settings` ([`settings`]): publishes [`NginxSettings`] under [`FACILITY`] (`nginx`).
//! - `configure` ([`install`], then [`configure`]): installs the package; writes the whole
//!   `/etc/nginx/nginx.conf` from [`NginxConfig`] (Debian's `sites-enabled` is no longer read;
//!   `conf.d/*.conf` is, unless turned off), checked with `nginx -t -c` on the new file before it
//!   replaces the old one; enables and starts nginx; reloads it when the file changed
//!   (`flag_on_changed` + `service(...).reload().if_flag(...)`). Check mode shows the file's diff.
//!
//! Values from the configuration and from other nodes' settings are checked before they go
//! into `nginx.conf`: none can end a directive or open a block ([`NginxConfig::validate`]).
//! Raw `directives` are the exception, and `nginx -t` checks them.
//!
//! # Relationships
//!
//! An [`Upstream`] with a `role` lists every node with that role at the [`HttpEndpoint`] it
//! published under the upstream's `facility` (default [`HTTP_FACILITY`], `http`). Application
//! crates publish `HttpEndpoint` there; nginx nodes themselves publish [`NginxSettings`] (which
//! has the same `host` and `port`) under `nginx`, so one nginx can proxy to others.
//!
//! # OS support
//!
//! Run for real in the tests: [`OS_TESTED`] (Debian 12). Rendered and passed through the shell
//! gate: [`OS_RENDERED`] (Ubuntu, RHEL 9 and its rebuilds, Fedora, Amazon Linux 2023, Alpine).
//! Planning for any other OS fails, naming this crate.
//!
//! Replaces Pallet's `pallet/nginx-crate` (`nginx/server-spec`, `nginx/site`).

mod config;
mod os;
mod plan;
pub mod render;

pub use config::{Location, NginxConfig, Site, Upstream};
pub use os::{Flavor, OS_RENDERED, OS_TESTED, flavor};
pub use plan::{CHANGED_FLAG, configure, install, settings};

use pallet::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The settings facility nginx nodes publish [`NginxSettings`] under.
pub const FACILITY: &str = "nginx";

/// The default facility an [`Upstream`]'s role nodes publish their [`HttpEndpoint`] under.
pub const HTTP_FACILITY: &str = "http";

/// The role [`server_spec`] gives its nodes.
pub const ROLE: &str = "nginx";

/// What an nginx node publishes under [`FACILITY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NginxSettings {
    /// The node's private address.
    pub host: String,
    /// The first port of the first site (80 when there are no sites).
    pub port: u16,
    /// Every site's server names.
    pub server_names: Vec<String>,
}

/// An HTTP endpoint a node publishes for upstreams: `{ "host": ..., "port": ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpEndpoint {
    /// Address or host name other nodes reach it at.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

/// A server spec to extend: `settings` publishes [`NginxSettings`], `configure` installs and
/// configures nginx from `config`; role [`ROLE`] (`nginx`).
pub fn server_spec(config: NginxConfig) -> ServerSpec {
    let config = Arc::new(config);
    let (s, c) = (config.clone(), config);
    server_spec! {
        phases = {
            settings = move |ctx: &mut Plan<'_>| settings(ctx, &s),
            configure = move |ctx: &mut Plan<'_>| {
                install(ctx, &c);
                configure(ctx, &c);
            },
        },
        roles = [nginx],
    }
}

/// A plan function publishing this node's `port` as an [`HttpEndpoint`] under `facility`
/// (for an application that an nginx upstream should reach). Use it in `settings`.
pub fn publish_endpoint(ctx: &mut Plan<'_>, facility: &str, port: u16) {
    ctx.publish(facility, &HttpEndpoint { host: ctx.node().private_address().to_string(), port });
}
