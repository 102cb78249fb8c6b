//! Plans rendered offline: the OS support statement, files, secrets masked, planning errors.

use pallet::prelude::*;
use pallet_plan_testkit::{assert_os_support, plan_text};
use pallet_postgresql::{Database, HbaRule, Password, PostgresConfig, Role};

const PASSWORD: &str = "Tr0ub4dor&3-app";

fn config() -> PostgresConfig {
    PostgresConfig {
        roles: vec![Role { name: "app".into(), password: Some(Password::new(PASSWORD)), ..Role::default() }],
        databases: vec![Database { name: "appdb".into(), owner: "app".into() }],
        hba: vec![HbaRule {
            database: "appdb".into(),
            user: "app".into(),
            role: Some("client".into()),
            ..HbaRule::default()
        }],
        parameters: [("work_mem".to_string(), "8MB".to_string())].into(),
        ..PostgresConfig::default()
    }
}

fn groups() -> Vec<GroupSpec> {
    vec![
        group_spec! { name = "db", count = 1, extends = [pallet_postgresql::server_spec(config())] },
        group_spec! { name = "app", count = 2, roles = [client], extends = [pallet_postgresql::client_spec(config())] },
    ]
}

#[test]
fn claimed_oses_plan_and_pass_the_gate_and_others_are_refused() {
    let claimed: Vec<&str> =
        pallet_postgresql::OS_TESTED.iter().chain(pallet_postgresql::OS_RENDERED).copied().collect();
    assert_os_support(groups, &["configure"], &claimed, "pallet-postgresql does not");
}

#[test]
fn the_plan_on_debian_12() {
    let scripts = plan_text(&groups(), "debian-12", &["configure"]).unwrap();
    let db = scripts.iter().find(|s| s.node == "db-1").unwrap();
    assert_eq!(
        db.actions,
        [
            "packages: install postgresql-15",
            "exec_checked_script create the cluster if missing",
            "line_in_file /etc/postgresql/15/main/postgresql.conf /^[#[:space:]]*include_dir[[:space:]]*=/ present",
            "directory /etc/postgresql/15/main/conf.d owner postgres group postgres mode 0755",
            "remote_file /etc/postgresql/15/main/conf.d/pallet.conf (content, 189 bytes) owner postgres group postgres mode 0644",
            "remote_file /etc/postgresql/15/main/pg_hba.conf (content, 324 bytes) owner postgres group postgres mode 0640",
            "service postgresql restart if pallet-postgresql-conf changed",
            "service postgresql start enable",
            "wait_for_port 5432 (15 retries, 1 s apart)",
            "exec_checked_script pg_hba.conf has no errors",
            "service postgresql reload if pallet-postgresql-hba changed",
            "postgresql role app (login, password)",
            "postgresql database appdb owner app",
        ]
    );
    for line in [
        "listen_addresses = 'localhost,192.0.2.11'\n",
        "work_mem = '8MB'\n",
        "host appdb app 192.0.2.12/32 scram-sha-256\n",
        "host appdb app 192.0.2.13/32 scram-sha-256\n",
    ] {
        assert!(db.payload.contains(line), "{line} missing from the files:\n{}", db.payload);
    }
    assert!(db.script.contains("<secret>"), "the password is not masked:\n{}", db.script);
    for text in [&db.script, &db.payload] {
        assert!(!text.contains(PASSWORD) && !text.contains("SCRAM-SHA-256$"), "a secret shows:\n{text}");
    }
    let app = scripts.iter().find(|s| s.node == "app-1").unwrap();
    assert_eq!(app.actions, ["packages: install postgresql-client-15"]);
    let rocky = plan_text(&groups(), "rocky-9", &["configure"]).unwrap();
    assert!(
        rocky[0].script.contains("postgresql-setup --initdb")
            && rocky[0].script.contains("/var/lib/pgsql/data/pg_hba.conf")
    );
}

#[test]
fn versions_and_errors() {
    let unknown = plan_text(&groups(), "debian-10", &["configure"]).unwrap_err();
    assert!(unknown.contains("does not know the PostgreSQL version of debian 10: set `version`"), "{unknown}");
    let pinned = PostgresConfig { version: Some(16), ..config() };
    let g = vec![group_spec! { name = "db", count = 1, extends = [pallet_postgresql::server_spec(pinned.clone())] }];
    assert!(plan_text(&g, "debian-12", &["configure"]).unwrap()[0].actions[0] == "packages: install postgresql-16");
    let e = plan_text(&g, "rhel-9", &["configure"]).unwrap_err();
    assert!(e.contains("supports only the distribution's PostgreSQL (13) on rhel 9"), "{e}");
    let mut bad = config();
    bad.roles.push(Role { name: "postgres".into(), ..Role::default() });
    let g = vec![group_spec! { name = "db", count = 1, extends = [pallet_postgresql::server_spec(bad)] }];
    assert!(
        plan_text(&g, "debian-12", &["configure"])
            .unwrap_err()
            .contains("the role `postgres` is the cluster's own superuser")
    );
}
