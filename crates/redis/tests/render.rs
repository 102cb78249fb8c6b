//! Plans rendered offline: the OS support statement, the files, the password never shown.

use pallet::prelude::*;
use pallet_plan_testkit::{assert_os_support, plan_text};
use pallet_redis::{Password, Persistence, RedisConfig};

const PASSWORD: &str = "correct horse \"battery\" staple";

fn config() -> RedisConfig {
    RedisConfig {
        password: Some(Password::new(PASSWORD)),
        persistence: Persistence { save: vec![[900, 1]], aof: true, ..Persistence::default() },
        maxmemory: Some(64 << 20),
        maxmemory_policy: Some("allkeys-lru".into()),
        ..RedisConfig::default()
    }
}

fn groups() -> Vec<GroupSpec> {
    vec![group_spec! { name = "db", count = 1, extends = [pallet_redis::server_spec(config())] }]
}

#[test]
fn claimed_oses_plan_and_pass_the_gate_and_others_are_refused() {
    let claimed: Vec<&str> = pallet_redis::OS_TESTED.iter().chain(pallet_redis::OS_RENDERED).copied().collect();
    assert_os_support(groups, &["configure"], &claimed, "pallet-redis does not support");
}

#[test]
fn the_configuration_and_a_masked_password_file() {
    for os in pallet_redis::OS_TESTED.iter().chain(pallet_redis::OS_RENDERED) {
        let scripts = plan_text(&groups(), os, &["configure"]).unwrap();
        let text: String =
            scripts.iter().map(|s| format!("{}\n{}\n{}", s.actions.join("\n"), s.script, s.payload)).collect();
        assert!(!text.contains("battery"), "{os}: the password shows:\n{text}");
        assert!(text.contains("<secret: 47 bytes>"), "{os}: {text}");
    }
    let s = &plan_text(&groups(), "debian-12", &["configure"]).unwrap()[0];
    assert_eq!(
        s.actions,
        [
            "packages: install redis-server",
            "remote_file /etc/redis/pallet-auth.conf (secret content) owner redis group redis mode 0640",
            "remote_file /etc/redis/redis.conf (content, 406 bytes) owner redis group redis mode 0640",
            "service redis-server restart if pallet-redis-conf changed",
            "service redis-server start enable",
            "wait_for_port 6379 (15 retries, 1 s apart)",
        ]
    );
    for line in [
        "bind 192.0.2.11 127.0.0.1\n",
        "daemonize yes\n",
        "save 900 1\n",
        "appendonly yes\n",
        "maxmemory 67108864\n",
        "maxmemory-policy allkeys-lru\n",
        "include /etc/redis/pallet-auth.conf\n",
    ] {
        assert!(s.payload.contains(line), "{line} missing from redis.conf:\n{}", s.payload);
    }
    assert!(s.script.contains("redis-server \"$p_rd\"/redis.conf --port 0"), "{}", s.script);
    let alpine = &plan_text(&groups(), "alpine-3.20", &["configure"]).unwrap()[0];
    assert!(alpine.payload.contains("daemonize no\n") && alpine.script.contains("/etc/redis.conf"));
}

#[test]
fn the_password_file_is_quoted_as_redis_reads_it() {
    assert_eq!(pallet_redis::render::auth_conf(PASSWORD), "requirepass \"correct horse \\\"battery\\\" staple\"\n");
}
