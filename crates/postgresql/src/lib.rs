//! PostgreSQL for pallet (Pallet's `postgres` crate): the distribution's version, listen
//! addresses, `pg_hba.conf` rules (by network or by the nodes of a role), roles and databases
//! created idempotently, passwords as secrets.
//!
//! ```
//! use pallet::prelude::*;
//! use pallet_postgresql::{Database, HbaRule, Password, PostgresConfig, Role};
//!
//! let pg = PostgresConfig {
//!     roles: vec![Role { name: "app".into(), password: Some(Password::new("from your secret store")), ..Role::default() }],
//!     databases: vec![Database { name: "app".into(), owner: "app".into() }],
//!     // Every node with role `web` may connect to `app` as `app` with the password.
//!     hba: vec![HbaRule { database: "app".into(), user: "app".into(), role: Some("web".into()), ..HbaRule::default() }],
//!     ..PostgresConfig::default()
//! };
//! let db = group_spec! { name = "db", count = 1, extends = [pallet_postgresql::server_spec(pg)] };
//! assert!(db.server().effective().has_phase("configure"));
//! ```
//!
//! # What it does
//!
//! - `settings` ([`settings`]): publishes [`PostgresSettings`] under [`FACILITY`]
//!   (`postgresql`).
//! - `configure` ([`install`], then [`configure`]): installs the server package of the
//!   version and makes sure the cluster exists; writes `conf.d/pallet.conf` (listen addresses,
//!   port, `password_encryption`, more parameters), checked by `postgres -C` before it replaces
//!   the old file, and `pg_hba.conf` (checked through `pg_hba_file_rules` before the reload);
//!   restarts when the parameters changed, reloads when `pg_hba.conf` changed; then roles and
//!   databases are created or altered only where they differ.
//!
//! Passwords never reach the node: each becomes a SCRAM-SHA-256 verifier computed here
//! ([`scram`]), which PostgreSQL stores as it is. The verifier is masked in `plan` output, and
//! `psql` runs with terse errors so no statement text reaches a report.
//!
//! # Relationships
//!
//! Clients read [`PostgresSettings`] (`host`, `port`, `version`, `roles`, `databases`) under
//! [`FACILITY`]; [`client`] installs the matching `psql`. An [`HbaRule`] with a `role` admits
//! every node with that role, by its private address.
//!
//! # OS support
//!
//! Run for real in the tests: [`OS_TESTED`] (Debian 12, PostgreSQL 15). Rendered and passed
//! through the shell gate: [`OS_RENDERED`] (Ubuntu 24.04, RHEL 9 and its rebuilds, Fedora 40,
//! Amazon Linux 2023, Alpine 3.20). Other OSes, and releases whose PostgreSQL version this
//! crate does not know ([`default_version`]) unless `version` is set, are refused when
//! planning, naming this crate.
//!
//! Replaces Pallet's `pallet/postgres-crate`.

mod actions;
mod config;
mod os;
mod plan;
pub mod render;
pub mod scram;

pub use actions::{PgDatabase, PgRole};
pub use config::{Database, HbaMethod, HbaRule, HbaType, PostgresConfig, Role};
pub use os::{Flavor, Init, OS_RENDERED, OS_TESTED, default_version, flavor};
/// A password: pallet's [`Secret`](pallet::transport::Secret) (deserialized from a string,
/// `Debug` shows `Secret(***)`, no `Serialize`).
pub use pallet::transport::Secret as Password;
pub use plan::{CONF_FLAG, HBA_FLAG, check_parameters, client, configure, install, settings};

use pallet::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The settings facility PostgreSQL nodes publish [`PostgresSettings`] under.
pub const FACILITY: &str = "postgresql";

/// The role [`server_spec`] gives its nodes.
pub const ROLE: &str = "postgresql";

/// What a PostgreSQL node publishes under [`FACILITY`]: how to connect, never a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostgresSettings {
    /// The address clients connect to (the node's private address).
    pub host: String,
    /// The port.
    pub port: u16,
    /// The major version.
    pub version: u32,
    /// The configured roles.
    pub roles: Vec<String>,
    /// The configured databases.
    pub databases: Vec<String>,
}

/// A server spec to extend: `settings` publishes [`PostgresSettings`], `configure` installs and
/// configures PostgreSQL from `config`; role [`ROLE`] (`postgresql`).
pub fn server_spec(config: PostgresConfig) -> ServerSpec {
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
        roles = [postgresql],
    }
}

/// A server spec for client nodes: `configure` installs `psql` of `config`'s version.
pub fn client_spec(config: PostgresConfig) -> ServerSpec {
    server_spec! { phases = { configure = move |ctx: &mut Plan<'_>| client(ctx, &config) } }
}
