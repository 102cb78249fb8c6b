//! The typed configuration (serde; every field has a documented default) and its checks.

use crate::Password;
use serde::Deserialize;
use std::net::IpAddr;

/// Redis: where it listens, its password and its persistence.
///
/// Deserializes from any serde format; a missing field takes its default, an unknown one is an
/// error. It implements no `Serialize` because it may hold a [`Password`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `bind`: the addresses to listen on. `None` (default): the node's private address and
    /// `127.0.0.1`.
    pub bind: Option<Vec<IpAddr>>,
    /// `port` (default 6379).
    pub port: u16,
    /// `requirepass` (default none). A secret: written to its own file (mode 0640, owner
    /// `redis`) marked secret, so `plan`, check mode and reports never show it.
    pub password: Option<Password>,
    /// `protected-mode` (default `true`; Redis then refuses other hosts while no password is
    /// set).
    pub protected_mode: bool,
    /// Persistence (default: RDB snapshots at Redis's default save points, no AOF).
    pub persistence: Persistence,
    /// `maxmemory` in bytes (default none: no limit).
    pub maxmemory: Option<u64>,
    /// `maxmemory-policy` (default none: Redis's `noeviction`): one of `noeviction`,
    /// `allkeys-lru`, `allkeys-lfu`, `allkeys-random`, `volatile-lru`, `volatile-lfu`,
    /// `volatile-random`, `volatile-ttl`.
    pub maxmemory_policy: Option<String>,
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            bind: None,
            port: 6379,
            password: None,
            protected_mode: true,
            persistence: Persistence::default(),
            maxmemory: None,
            maxmemory_policy: None,
        }
    }
}

/// RDB snapshots and the append-only file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Persistence {
    /// RDB save points, `[seconds, changes]` (default `[[3600, 1], [300, 100], [60, 10000]]`,
    /// Redis's own); empty turns snapshots off (`save ""`).
    pub save: Vec<[u32; 2]>,
    /// `appendonly` (default `false`).
    pub aof: bool,
    /// `appendfsync` when `aof` (default `everysec`).
    pub appendfsync: Fsync,
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence { save: vec![[3600, 1], [300, 100], [60, 10000]], aof: false, appendfsync: Fsync::Everysec }
    }
}

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fsync {
    /// After every write.
    Always,
    /// Once a second (Redis's default).
    #[default]
    Everysec,
    /// When the OS decides.
    No,
}

impl Fsync {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::Everysec => "everysec",
            Fsync::No => "no",
        }
    }
}

const POLICIES: &[&str] = &[
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
];

impl RedisConfig {
    /// Checks what types cannot: a port other than 0, a known `maxmemory-policy`, a password
    /// without control characters, non-zero save points, at least one bind address.
    ///
    /// # Errors
    /// Every problem, one per line.
    pub fn validate(&self) -> Result<(), String> {
        let mut e = Vec::new();
        if self.port == 0 {
            e.push("port 0: Redis would not listen on TCP".to_string());
        }
        if let Some(p) = &self.maxmemory_policy
            && !POLICIES.contains(&p.as_str())
        {
            e.push(format!("maxmemory_policy `{p}`: expected one of {}", POLICIES.join(", ")));
        }
        if let Some(p) = &self.password
            && (p.expose().is_empty() || p.expose().chars().any(char::is_control))
        {
            e.push("password: must be non-empty, without control characters".to_string());
        }
        if self.persistence.save.iter().any(|[s, c]| *s == 0 || *c == 0) {
            e.push("persistence.save: seconds and changes must be at least 1".to_string());
        }
        if self.bind.as_ref().is_some_and(Vec::is_empty) {
            e.push("bind: give at least one address (or leave it out for the defaults)".to_string());
        }
        if e.is_empty() { Ok(()) } else { Err(e.join("\n")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_checks() {
        let c: RedisConfig = serde_json::from_str(r#"{"password": "s3cret", "persistence": {"aof": true}}"#).unwrap();
        assert_eq!(c.port, 6379);
        assert!(c.persistence.aof && c.persistence.save.len() == 3);
        assert!(!format!("{c:?}").contains("s3cret"), "Debug must not show the password");
        assert_eq!(c.validate(), Ok(()));
        let bad = RedisConfig {
            port: 0,
            maxmemory_policy: Some("lru".into()),
            password: Some(Password::new("a\nb")),
            ..RedisConfig::default()
        };
        let e = bad.validate().unwrap_err();
        assert_eq!(e.lines().count(), 3, "{e}");
        assert!(serde_json::from_str::<RedisConfig>(r#"{"requirepass": "x"}"#).is_err());
    }
}
