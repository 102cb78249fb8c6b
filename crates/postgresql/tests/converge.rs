//! A real converge (podman, Debian 12 base image, PostgreSQL 15 from the Debian mirror): a
//! database node and a client node with the client role. First run changed, second ok, check
//! mode no change; `psql` on the client node runs a query as the created role with its password
//! over the network; the password never shows in reports; a parameter PostgreSQL refuses keeps
//! the old file and the server keeps serving.

use pallet::prelude::*;
use pallet_plan_testkit::Lab;
use pallet_postgresql::{Database, HbaRule, Password, PostgresConfig, PostgresSettings, Role};

const PASSWORD: &str = "app-Pa55word-15";

fn config(parameters: &[(&str, &str)]) -> PostgresConfig {
    PostgresConfig {
        roles: vec![Role { name: "app".into(), password: Some(Password::new(PASSWORD)), ..Role::default() }],
        databases: vec![Database { name: "appdb".into(), owner: "app".into() }],
        hba: vec![HbaRule {
            database: "appdb".into(),
            user: "app".into(),
            role: Some("client".into()),
            ..HbaRule::default()
        }],
        parameters: parameters.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(),
        ..PostgresConfig::default()
    }
}

plan_fn! {
    /// The client notes where the database is, from the db node's settings.
    fn client_env(ctx) {
        for db in ctx.nodes_with_role(pallet_postgresql::ROLE) {
            match ctx.settings::<PostgresSettings>(db, pallet_postgresql::FACILITY) {
                Ok(s) => {
                    remote_file("/etc/pg-client.env", content = format!("PGHOST={}\nPGPORT={}\nPGDATABASE={}\n", s.host, s.port, s.databases.join(",")), mode = 0o644);
                }
                Err(e) => { ctx.fail(e.to_string()); }
            }
        }
    }
}

fn groups(parameters: &[(&str, &str)]) -> Vec<GroupSpec> {
    let base = server_spec! { phases = { bootstrap = bootstrap } };
    let node = node_spec! { image = { os_family = Debian, login_user = "root" } };
    let c = config(parameters);
    vec![
        group_spec! { name = "pg-db", count = 1, node_spec = node.clone(), extends = [base.clone(), pallet_postgresql::server_spec(c.clone())] },
        group_spec! {
            name = "pg-cli", count = 1, roles = [client], node_spec = node,
            extends = [base, pallet_postgresql::client_spec(c)], phases = { configure = client_env },
        },
    ]
}

fn query(lab: &Lab, password: &str, sql: &str) -> std::process::Output {
    lab.exec(
        "pg-cli-1",
        &format!(". /etc/pg-client.env; export PGHOST PGPORT PGDATABASE; PGPASSWORD='{password}' psql -X -q -At -U app -c \"{sql}\""),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_client_node_queries_as_the_created_role() {
    let Some(lab) = Lab::new("postgresql", &["pg-db", "pg-cli"]) else { return };
    let reports = lab.converge_twice_and_check(|| groups(&[])).await;
    for r in &reports {
        let json = r.json();
        assert!(!json.contains(PASSWORD) && !json.contains("SCRAM-SHA-256$"), "a secret shows in a report");
    }
    let out = query(
        &lab,
        PASSWORD,
        "CREATE TABLE IF NOT EXISTS t (n int); SELECT current_user || '|' || current_database() || '|' || host(inet_server_addr())",
    );
    let db = lab.node("pg-db-1").await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("app|appdb|{}\n", db.private_ip.clone().unwrap()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wrong = query(&lab, "not-the-password", "SELECT 1");
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("password authentication failed for user \"app\""));
    let stored = lab.exec(
        "pg-db-1",
        "su -s /bin/sh postgres -c \"psql -X -At -c \\\"SELECT rolpassword FROM pg_authid WHERE rolname = 'app'\\\"\"",
    );
    assert!(String::from_utf8_lossy(&stored.stdout).starts_with("SCRAM-SHA-256$4096:"));

    // A parameter PostgreSQL refuses: the file is kept, the server keeps serving.
    let before = lab.exec("pg-db-1", "cat /etc/postgresql/15/main/conf.d/pallet.conf").stdout;
    let failed = lab.converge_failing(groups(&[("shared_buffers", "lots")])).await;
    let r = failed.result("pg-db-1", "configure").unwrap();
    let action = r.actions.iter().find(|a| a.description.contains("pallet.conf")).unwrap();
    assert!(action.stderr.contains("invalid value for parameter \"shared_buffers\""), "{}", failed.human());
    assert_eq!(lab.exec("pg-db-1", "cat /etc/postgresql/15/main/conf.d/pallet.conf").stdout, before);
    assert!(query(&lab, PASSWORD, "SELECT 1").status.success());
}
