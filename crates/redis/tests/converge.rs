//! A real converge (podman, Debian 12 base image, Redis from the Debian mirror): a Redis node
//! with a password and a client node that reads its settings. First run changed, second ok,
//! check mode no change; from the client node Redis answers PING after AUTH with the password
//! and refuses it without; the password never shows in reports; a new password is checked,
//! masked in check mode, and applied with one restart.

use pallet::prelude::*;
use pallet_plan_testkit::Lab;
use pallet_redis::{Password, RedisConfig, RedisSettings};

const FIRST: &str = "first-Pa55word";
const SECOND: &str = "second-Pa55word";

plan_fn! {
    /// The client notes where Redis is, from the db node's settings.
    fn client(ctx) {
        for db in ctx.nodes_in_group("pr-db") {
            match ctx.settings::<RedisSettings>(db, pallet_redis::FACILITY) {
                Ok(r) => {
                    remote_file("/etc/redis-client.env", content = format!("REDIS_HOST={}\nREDIS_PORT={}\nREDIS_AUTH={}\n", r.host, r.port, r.password_required), mode = 0o644);
                }
                Err(e) => { ctx.fail(e.to_string()); }
            }
        }
    }
}

fn groups(password: &str) -> Vec<GroupSpec> {
    let base = server_spec! { phases = { bootstrap = bootstrap } };
    let node = node_spec! { image = { os_family = Debian, login_user = "root" } };
    let redis = RedisConfig { password: Some(Password::new(password)), ..RedisConfig::default() };
    vec![
        group_spec! { name = "pr-db", count = 1, node_spec = node.clone(), extends = [base.clone(), pallet_redis::server_spec(redis)] },
        group_spec! { name = "pr-cli", count = 1, node_spec = node, extends = [base], phases = { configure = client } },
    ]
}

/// What Redis answers the client node, through bash's /dev/tcp.
fn ask(lab: &Lab, commands: &str) -> String {
    let out = lab.bash(
        "pr-cli-1",
        &format!(
            ". /etc/redis-client.env; exec 3<>/dev/tcp/$REDIS_HOST/$REDIS_PORT; printf '{commands}QUIT\\r\\n' >&3; timeout 5 cat <&3"
        ),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).replace('\r', "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_answers_the_client_node_with_the_password_only() {
    let Some(lab) = Lab::new("redis", &["pr-db", "pr-cli"]) else { return };
    let reports = lab.converge_twice_and_check(|| groups(FIRST)).await;
    for r in &reports {
        assert!(!r.json().contains(FIRST), "the password shows in a report");
    }
    let db = lab.node("pr-db-1").await;
    let env = lab.exec("pr-cli-1", "cat /etc/redis-client.env");
    assert_eq!(
        String::from_utf8_lossy(&env.stdout),
        format!("REDIS_HOST={}\nREDIS_PORT=6379\nREDIS_AUTH=true\n", db.private_ip.clone().unwrap())
    );
    assert_eq!(ask(&lab, &format!("AUTH {FIRST}\\r\\nPING\\r\\n")), "+OK\n+PONG\n+OK\n");
    assert!(ask(&lab, "PING\\r\\n").starts_with("-NOAUTH"), "no password, no PING");
    let files = lab.exec("pr-db-1", "stat -c '%U %G %a' /etc/redis/redis.conf /etc/redis/pallet-auth.conf");
    assert_eq!(String::from_utf8_lossy(&files.stdout), "redis redis 640\nredis redis 640\n");

    // A new password: check mode says the secret file would change without showing either.
    let check = lab.check(groups(SECOND)).await;
    let text = check.json();
    assert!(text.contains("/etc/redis/pallet-auth.conf: secret content would change (not shown)"), "{text}");
    assert!(!text.contains(FIRST) && !text.contains(SECOND), "a password shows in check mode: {text}");
    let apply = lab.converge(groups(SECOND)).await;
    let db_run = apply.result("pr-db-1", "configure").unwrap();
    let restarted: Vec<&str> = db_run
        .actions
        .iter()
        .filter(|a| a.status == pallet::report::Status::Changed)
        .map(|a| a.description.as_str())
        .collect();
    assert_eq!(
        restarted,
        [
            "remote_file /etc/redis/pallet-auth.conf (secret content) owner redis group redis mode 0640",
            "service redis-server restart if pallet-redis-conf changed"
        ]
    );
    assert!(!apply.json().contains(SECOND));
    assert_eq!(ask(&lab, &format!("AUTH {SECOND}\\r\\nPING\\r\\n")), "+OK\n+PONG\n+OK\n");
    assert!(ask(&lab, &format!("AUTH {FIRST}\\r\\n")).starts_with("-WRONGPASS"));
}
