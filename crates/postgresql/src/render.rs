//! `conf.d/pallet.conf` and `pg_hba.conf`, rendered from a checked [`PostgresConfig`].

use crate::config::{HbaRule, HbaType, PostgresConfig};
use std::fmt::Write;

/// The parameters file (`conf.d/pallet.conf`): listen addresses, port, SCRAM password
/// encryption, then [`PostgresConfig::parameters`].
pub fn parameters_conf(config: &PostgresConfig, listen: &[String]) -> String {
    let mut s = String::from("# Managed by pallet-postgresql: changes made here are replaced on the next run.\n");
    let _ = writeln!(s, "listen_addresses = {}", quote(&listen.join(",")));
    let _ = writeln!(s, "port = {}", config.port);
    s.push_str("password_encryption = 'scram-sha-256'\n");
    for (k, v) in &config.parameters {
        let _ = writeln!(s, "{k} = {}", quote(v));
    }
    s
}

/// `pg_hba.conf`: the built-in rules, then each configured rule, a role's rule once per node
/// address (`clients[i]` holds the addresses of rule `i`'s role nodes).
pub fn pg_hba_conf(rules: &[HbaRule], clients: &[Vec<String>]) -> String {
    let mut s = String::from(
        "# Managed by pallet-postgresql: changes made here are replaced on the next run.\n\
         # TYPE  DATABASE  USER  ADDRESS  METHOD\n\
         local all postgres peer\n\
         local all all peer\n\
         host all all 127.0.0.1/32 scram-sha-256\n\
         host all all ::1/128 scram-sha-256\n",
    );
    for (i, r) in rules.iter().enumerate() {
        let head = format!("{} {} {}", r.kind.as_str(), r.database, r.user);
        let method = r.method.as_str();
        if r.kind == HbaType::Local {
            let _ = writeln!(s, "{head} {method}");
            continue;
        }
        if let Some(a) = &r.address {
            let _ = writeln!(s, "{head} {a} {method}");
        }
        if let Some(role) = &r.role {
            let nodes = clients.get(i).map(Vec::as_slice).unwrap_or_default();
            if nodes.is_empty() {
                let _ = writeln!(s, "# no node has role {role} yet");
            }
            for a in nodes {
                let _ = writeln!(s, "{head} {a} {method}");
            }
        }
    }
    s
}

/// A `postgresql.conf` string: single-quoted, `'` doubled and `\` escaped.
pub fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HbaMethod;

    #[test]
    fn hba_lists_addresses_and_role_nodes() {
        let rules = vec![
            HbaRule { database: "appdb".into(), user: "app".into(), role: Some("client".into()), ..HbaRule::default() },
            HbaRule { address: Some("10.0.0.0/8".into()), method: HbaMethod::Reject, ..HbaRule::default() },
            HbaRule { role: Some("none".into()), ..HbaRule::default() },
        ];
        let text = pg_hba_conf(&rules, &[vec!["10.1.1.1/32".into(), "10.1.1.2/32".into()], vec![], vec![]]);
        assert!(text.ends_with(
            "host appdb app 10.1.1.1/32 scram-sha-256\nhost appdb app 10.1.1.2/32 scram-sha-256\nhost all all 10.0.0.0/8 reject\n# no node has role none yet\n"
        ), "{text}");
        assert_eq!(quote(r"it's a \ test"), r"'it''s a \\ test'");
    }
}
