//! Redis for pallet: bind address, port, a password kept secret, persistence; each file checked
//! by `redis-server` before it replaces the old one, and a restart only when one changed.
//!
//! ```
//! use pallet::prelude::*;
//! use pallet_redis::{Password, RedisConfig};
//!
//! let redis = RedisConfig { password: Some(Password::new("from your secret store")), ..RedisConfig::default() };
//! let db = group_spec! { name = "db", count = 1, extends = [pallet_redis::server_spec(redis)] };
//! assert!(db.server().effective().has_phase("settings"));
//! ```
//!
//! # What it does
//!
//! - `settings` ([`settings`]): publishes [`RedisSettings`] under [`FACILITY`] (`redis`).
//! - `configure` ([`install`], then [`configure`]): installs the server package; writes the
//!   password file (`requirepass`, mode 0640, owner `redis`, marked secret: `plan`, check mode
//!   and reports show a placeholder) and the whole `redis.conf` (bind, port, protected mode,
//!   RDB save points, AOF, memory limit), each checked by `redis-server` reading it with TCP
//!   turned off; enables and starts Redis; restarts it when a file changed.
//!
//! # Relationships
//!
//! Clients read [`RedisSettings`] (`host`, `port`, `password_required`) from the nodes of the
//! Redis group or role: `ctx.settings::<RedisSettings>(node, pallet_redis::FACILITY)`. The
//! password is not published: clients get it from the same secret store the Redis
//! configuration does.
//!
//! # OS support
//!
//! Run for real in the tests: [`OS_TESTED`] (Debian 12). Rendered and passed through the shell
//! gate: [`OS_RENDERED`] (Ubuntu, RHEL 9 and its rebuilds, Fedora, Alpine). Any other OS is
//! refused when planning, naming this crate.
//!
//! Replaces Pallet's `pallet/redis-crate`.

mod config;
mod os;
mod plan;
pub mod render;

pub use config::{Fsync, Persistence, RedisConfig};
pub use os::{Flavor, OS_RENDERED, OS_TESTED, flavor};
/// A password: pallet's [`Secret`](pallet::transport::Secret) (deserialized from a string,
/// `Debug` shows `Secret(***)`, no `Serialize`).
pub use pallet::transport::Secret as Password;
pub use plan::{CHANGED_FLAG, check_first_argument, check_including_first_argument, configure, install, settings};

use pallet::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The settings facility Redis nodes publish [`RedisSettings`] under.
pub const FACILITY: &str = "redis";

/// The role [`server_spec`] gives its nodes.
pub const ROLE: &str = "redis";

/// What a Redis node publishes under [`FACILITY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedisSettings {
    /// The address clients connect to (the first non-loopback bind address).
    pub host: String,
    /// The port.
    pub port: u16,
    /// Do clients need the password (`AUTH`)?
    pub password_required: bool,
}

/// A server spec to extend: `settings` publishes [`RedisSettings`], `configure` installs and
/// configures Redis from `config`; role [`ROLE`] (`redis`).
pub fn server_spec(config: RedisConfig) -> ServerSpec {
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
        roles = [redis],
    }
}
