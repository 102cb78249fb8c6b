//! `redis.conf` and the password file, rendered from a checked [`RedisConfig`].

use crate::config::RedisConfig;
use crate::os::Flavor;
use std::fmt::Write;
use std::net::IpAddr;

/// The complete `redis.conf` for `flavor`, listening on `bind`. It includes the password file
/// when a password is set. The caller validated `config`.
pub fn redis_conf(config: &RedisConfig, flavor: &Flavor, bind: &[IpAddr]) -> String {
    let mut s = String::from("# Managed by pallet-redis: changes made here are replaced on the next run.\n");
    let binds: Vec<String> = bind.iter().map(IpAddr::to_string).collect();
    let _ = writeln!(s, "bind {}", binds.join(" "));
    let _ = writeln!(s, "port {}", config.port);
    let _ = writeln!(s, "protected-mode {}", yes(config.protected_mode));
    let _ = writeln!(s, "daemonize {}", yes(flavor.daemonize));
    let _ = writeln!(s, "pidfile {}", flavor.pidfile);
    s.push_str("loglevel notice\n");
    let _ = writeln!(s, "logfile {}", flavor.logfile);
    let _ = writeln!(s, "dir {}", flavor.dir);
    let p = &config.persistence;
    if p.save.is_empty() {
        s.push_str("save \"\"\n");
    } else {
        let points: Vec<String> = p.save.iter().map(|[sec, n]| format!("{sec} {n}")).collect();
        let _ = writeln!(s, "save {}", points.join(" "));
    }
    s.push_str("dbfilename dump.rdb\n");
    let _ = writeln!(s, "appendonly {}", yes(p.aof));
    let _ = writeln!(s, "appendfsync {}", p.appendfsync.as_str());
    if let Some(m) = config.maxmemory {
        let _ = writeln!(s, "maxmemory {m}");
    }
    if let Some(m) = &config.maxmemory_policy {
        let _ = writeln!(s, "maxmemory-policy {m}");
    }
    if config.password.is_some() {
        let _ = writeln!(s, "include {}", flavor.auth);
    }
    s
}

/// The password file: one `requirepass` line, the password quoted as Redis reads it.
pub fn auth_conf(password: &str) -> String {
    format!("requirepass {}\n", quote(password))
}

/// A Redis configuration string: double-quoted, `\` and `"` escaped.
pub fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

fn yes(on: bool) -> &'static str {
    if on { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoting_escapes_quotes_and_backslashes() {
        assert_eq!(super::quote(r#"a"b\c d"#), r#""a\"b\\c d""#);
    }
}
