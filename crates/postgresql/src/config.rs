//! The typed configuration (serde; every field has a documented default) and its checks.

use crate::Password;
use serde::Deserialize;
use std::collections::BTreeMap;

/// PostgreSQL: version, where it listens, who may connect, roles and databases.
///
/// Deserializes from any serde format; a missing field takes its default, an unknown one is an
/// error. It implements no `Serialize` because it may hold [`Password`]s.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresConfig {
    /// The major version. `None` (default): the distribution's own (Debian 12: 15, Ubuntu
    /// 24.04: 16, RHEL 9: 13, Fedora 40: 16, Alpine 3.20: 16; see [`crate::default_version`]).
    /// On the RHEL family only the distribution's version is supported.
    pub version: Option<u32>,
    /// `listen_addresses`. `None` (default): `localhost` and the node's private address.
    pub listen_addresses: Option<Vec<String>>,
    /// `port` (default 5432).
    pub port: u16,
    /// More `postgresql.conf` parameters, name to value (default none); each value is written
    /// as a quoted string, which PostgreSQL accepts for every parameter type. `postgres -C`
    /// checks them before they replace the old file.
    pub parameters: BTreeMap<String, String>,
    /// `pg_hba.conf` rules after the built-in ones (default none). Built in, first: `local all
    /// postgres peer`, `local all all peer`, and `host all all` from `127.0.0.1/32` and
    /// `::1/128` with `scram-sha-256`.
    pub hba: Vec<HbaRule>,
    /// Roles, created or altered to match (default none). Roles not listed are left alone.
    pub roles: Vec<Role>,
    /// Databases, created or given to their owner (default none). Others are left alone.
    pub databases: Vec<Database>,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        PostgresConfig {
            version: None,
            listen_addresses: None,
            port: 5432,
            parameters: BTreeMap::new(),
            hba: Vec::new(),
            roles: Vec::new(),
            databases: Vec::new(),
        }
    }
}

/// The connection type of an HBA rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HbaType {
    /// Unix-domain socket.
    Local,
    /// TCP, with or without SSL (default).
    #[default]
    Host,
    /// TCP with SSL only.
    Hostssl,
    /// TCP without SSL only.
    Hostnossl,
}

/// The authentication method of an HBA rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum HbaMethod {
    /// SCRAM-SHA-256 password (default).
    #[default]
    #[serde(rename = "scram-sha-256")]
    ScramSha256,
    /// MD5 password (legacy clients).
    #[serde(rename = "md5")]
    Md5,
    /// The operating-system user name (local connections).
    #[serde(rename = "peer")]
    Peer,
    /// Anyone, no password.
    #[serde(rename = "trust")]
    Trust,
    /// Nobody.
    #[serde(rename = "reject")]
    Reject,
}

impl HbaType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HbaType::Local => "local",
            HbaType::Host => "host",
            HbaType::Hostssl => "hostssl",
            HbaType::Hostnossl => "hostnossl",
        }
    }
}

impl HbaMethod {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HbaMethod::ScramSha256 => "scram-sha-256",
            HbaMethod::Md5 => "md5",
            HbaMethod::Peer => "peer",
            HbaMethod::Trust => "trust",
            HbaMethod::Reject => "reject",
        }
    }
}

/// One `pg_hba.conf` rule. A TCP rule names its clients by `address` (a CIDR), by `role` (every
/// node with that role in the operation, each by its private address), or both.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HbaRule {
    /// `type` (default `host`).
    #[serde(rename = "type")]
    pub kind: HbaType,
    /// `database`: a database name, a comma-separated list, or `all`, `sameuser`,
    /// `replication` (default `all`).
    pub database: String,
    /// `user`: a role name, a comma-separated list, or `all` (default `all`).
    pub user: String,
    /// A client network, e.g. `10.0.0.0/8` (default none).
    pub address: Option<String>,
    /// Clients: the nodes with this role (default none).
    pub role: Option<String>,
    /// `method` (default `scram-sha-256`).
    pub method: HbaMethod,
}

impl Default for HbaRule {
    fn default() -> Self {
        HbaRule {
            kind: HbaType::Host,
            database: "all".into(),
            user: "all".into(),
            address: None,
            role: None,
            method: HbaMethod::ScramSha256,
        }
    }
}

/// A role.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Role {
    /// The name: lowercase letters, digits and `_`, not starting with a digit (required).
    pub name: String,
    /// Its password (default none: the role has no password). Stored as a SCRAM-SHA-256
    /// verifier computed on the controller; the plain password never reaches the node.
    /// Printable ASCII.
    pub password: Option<Password>,
    /// `LOGIN` (default `true`).
    pub login: bool,
    /// `SUPERUSER` (default `false`).
    pub superuser: bool,
    /// `CREATEDB` (default `false`).
    pub createdb: bool,
}

impl Default for Role {
    fn default() -> Self {
        Role { name: String::new(), password: None, login: true, superuser: false, createdb: false }
    }
}

/// A database.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Database {
    /// The name, as for roles (required).
    pub name: String,
    /// Its owner (default `postgres`): one of [`PostgresConfig::roles`] or an existing role.
    pub owner: String,
}

impl Default for Database {
    fn default() -> Self {
        Database { name: String::new(), owner: "postgres".into() }
    }
}

/// An SQL identifier this crate accepts: 1-63 of `a-z`, `0-9`, `_`, not starting with a digit.
pub(crate) fn identifier(what: &str, s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(format!("{what} `{s}`: use 1-63 lowercase letters, digits and `_`, not starting with a digit"))
    }
}

/// A CIDR such as `10.0.0.0/8` or `fd00::/8`.
pub(crate) fn cidr(s: &str) -> Result<(), String> {
    let bad = || format!("hba address `{s}`: expected a CIDR such as 10.0.0.0/8");
    let (ip, len) = s.split_once('/').ok_or_else(bad)?;
    let ip: std::net::IpAddr = ip.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    if len > if ip.is_ipv4() { 32 } else { 128 } {
        return Err(bad());
    }
    Ok(())
}

impl PostgresConfig {
    /// Checks names, addresses, parameters and passwords: identifiers as [`identifier`] says,
    /// CIDRs, TCP rules with clients and local rules without, parameter names of letters,
    /// digits, `_` and `.`, values and passwords of printable characters, owners that exist
    /// (listed roles or `postgres`), no role or database twice.
    ///
    /// # Errors
    /// Every problem, one per line.
    pub fn validate(&self) -> Result<(), String> {
        let mut e = Vec::new();
        let mut push = |r: Result<(), String>| {
            if let Err(m) = r {
                e.push(m);
            }
        };
        if self.port == 0 {
            push(Err("port 0".into()));
        }
        for a in self.listen_addresses.iter().flatten() {
            let ok = a == "*" || a == "localhost" || a.parse::<std::net::IpAddr>().is_ok();
            if !ok {
                push(Err(format!("listen address `{a}`: expected `*`, `localhost` or an IP address")));
            }
        }
        for (k, v) in &self.parameters {
            if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
                push(Err(format!("parameter `{k}`: use letters, digits, `_` and `.`")));
            }
            if v.chars().any(char::is_control) {
                push(Err(format!("parameter {k}: the value has control characters")));
            }
        }
        for (i, r) in self.hba.iter().enumerate() {
            let at = format!("hba rule {}", i + 1);
            for list in [&r.database, &r.user] {
                for item in list.split(',') {
                    if !["all", "sameuser", "samerole", "replication"].contains(&item) {
                        push(identifier(&format!("{at} database/user"), item));
                    }
                }
            }
            if let Some(a) = &r.address {
                push(cidr(a).map_err(|m| format!("{at}: {m}")));
            }
            if let Some(role) = &r.role
                && (role.is_empty() || !role.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
            {
                push(Err(format!("{at}: role `{role}`: use letters, digits, `_` and `-`")));
            }
            match r.kind {
                HbaType::Local if r.address.is_some() || r.role.is_some() => {
                    push(Err(format!("{at}: a local rule takes no address or role")));
                }
                HbaType::Host | HbaType::Hostssl | HbaType::Hostnossl if r.address.is_none() && r.role.is_none() => {
                    push(Err(format!("{at}: a TCP rule needs an address or a role")));
                }
                _ => {}
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for r in &self.roles {
            push(identifier("role", &r.name));
            if !seen.insert(r.name.as_str()) {
                push(Err(format!("role `{}` is listed twice", r.name)));
            }
            if let Some(p) = &r.password
                && (p.expose().is_empty() || !p.expose().bytes().all(|b| (0x20..0x7f).contains(&b)))
            {
                push(Err(format!("role {}: the password must be non-empty printable ASCII", r.name)));
            }
        }
        let mut dbs = std::collections::BTreeSet::new();
        for d in &self.databases {
            push(identifier("database", &d.name));
            if !dbs.insert(d.name.as_str()) {
                push(Err(format!("database `{}` is listed twice", d.name)));
            }
            push(identifier(&format!("database {} owner", d.name), &d.owner));
            if d.owner != "postgres" && !self.roles.iter().any(|r| r.name == d.owner) {
                push(Err(format!("database {}: owner `{}` is not one of the roles", d.name, d.owner)));
            }
        }
        if e.is_empty() { Ok(()) } else { Err(e.join("\n")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_deserialize_and_checks_name_each_problem() {
        let c: PostgresConfig = serde_json::from_str(
            r#"{"roles": [{"name": "app", "password": "pw"}], "databases": [{"name": "appdb", "owner": "app"}],
                "hba": [{"database": "appdb", "user": "app", "role": "client"}]}"#,
        )
        .unwrap();
        assert_eq!(c.port, 5432);
        assert!(c.roles[0].login && !c.roles[0].superuser);
        assert_eq!(c.hba[0].method, HbaMethod::ScramSha256);
        assert_eq!(c.validate(), Ok(()));
        assert!(!format!("{c:?}").contains("\"pw\""));
        let bad: PostgresConfig = serde_json::from_str(
            r#"{"roles": [{"name": "App"}], "databases": [{"name": "db", "owner": "nobody"}],
                "hba": [{"address": "10.0.0.0/33"}, {"type": "host"}, {"type": "local", "address": "10.0.0.0/8"}],
                "parameters": {"work mem": "4MB"}, "listen_addresses": ["anywhere"]}"#,
        )
        .unwrap();
        let e = bad.validate().unwrap_err();
        for m in [
            "role `App`",
            "owner `nobody` is not one of the roles",
            "hba rule 1: hba address `10.0.0.0/33`",
            "hba rule 2: a TCP rule needs an address or a role",
            "hba rule 3: a local rule takes no address or role",
            "parameter `work mem`",
            "listen address `anywhere`",
        ] {
            assert!(e.contains(m), "{m} missing from:\n{e}");
        }
        assert!(serde_json::from_str::<PostgresConfig>(r#"{"hba": [{"method": "password123"}]}"#).is_err());
    }
}
