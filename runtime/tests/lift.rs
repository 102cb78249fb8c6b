//! `lift` against a real fleet of sshd hosts on loopback (see `pallet-testkit`).

use pallet_runtime::action::*;
use pallet_runtime::compute::{ComputeService, NodeList};
use pallet_runtime::lift::lift;
use pallet_runtime::node::Node;
use pallet_runtime::operation::{OperationError, RunOptions};
use pallet_runtime::plan::Plan;
use pallet_runtime::plan_fn;
use pallet_runtime::report::Status;
use pallet_runtime::spec::GroupSpec;
use pallet_runtime::transport::ssh::{HostKeyPolicy, SshOptions};
use pallet_runtime::transport::{AdminUser, Secret};
use pallet_testkit::{Fleet, PW_SECRET, PW_USER, Quirk, USER};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use stevedore::Os;
use stevedore::script;

fn options(fleet: &Fleet) -> RunOptions {
    RunOptions {
        user: AdminUser::new(USER).private_key(&fleet.key),
        ssh: SshOptions {
            host_keys: HostKeyPolicy::AcceptNew(fleet.dir.join("known_hosts")),
            connect_timeout: Duration::from_secs(3),
            ..SshOptions::default()
        },
        ..RunOptions::default()
    }
}

fn nodes(fleet: &Fleet, group: &str) -> Vec<Node> {
    fleet
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| Node::new(format!("{group}-{}", i + 1), group, h.address.clone()).ssh_port(fleet.port))
        .collect()
}

fn service(nodes: Vec<Node>) -> Arc<dyn ComputeService> {
    Arc::new(NodeList::new(nodes))
}

plan_fn! {
    fn site(ctx) {
        directory("/srv/site", owner = "www-data", mode = 0o755);
        remote_file("/srv/site/index.html", content = format!("hello from {}\n", ctx.node().name), mode = 0o644);
        user("deployer", home = "/home/deployer", create_home = true, shell = "/bin/sh");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lift_twenty_nodes_then_nothing_changes() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 20]) else { return };
    let web = GroupSpec::new("web").unwrap().phase("configure", site);
    let svc = service(nodes(&fleet, "web"));
    let report = lift(svc.clone(), vec![web.clone()], options(&fleet)).await.unwrap();
    assert!(!report.failed(), "{}", report.human());
    assert_eq!(report.results.iter().filter(|r| r.phase == "configure" && r.status == Status::Changed).count(), 20);
    for (i, h) in fleet.hosts.iter().enumerate() {
        let out = fleet.ssh(
            i,
            "cat /srv/site/index.html; stat -c %U:%a /srv/site; id -un deployer; test -d /home/deployer && echo home",
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("hello from web-{}\nwww-data:755\ndeployer\nhome\n", i + 1),
            "{}",
            h.address
        );
    }
    let again = lift(svc, vec![web], options(&fleet)).await.unwrap();
    assert!(!again.failed(), "{}", again.human());
    assert_eq!(again.summary.changed, 0, "{}", again.human());
    assert_eq!(again.summary.ok, 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_exec_per_node_per_phase() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 3]) else { return };
    let many = |ctx: &mut Plan<'_>| {
        for i in 0..25 {
            ctx.add(file(format!("/srv/f{i}")));
        }
    };
    let g = GroupSpec::new("app").unwrap().phase("configure", many).phase("deploy", many);
    // With the OS known, no detection probe: exactly one exec per phase.
    let known: Vec<Node> = nodes(&fleet, "app").into_iter().map(|n| n.os(Os::parse("debian-12").unwrap())).collect();
    let mut o = options(&fleet);
    o.phases = vec!["configure".into(), "deploy".into()];
    let report = lift(service(known), vec![g.clone()], o).await.unwrap();
    assert!(!report.failed(), "{}", report.human());
    for h in &fleet.hosts {
        assert_eq!(h.connection_count(), 1, "{}", h.address);
        assert_eq!(h.exec_count(), 2, "{}: one exec per phase for 2 phases of 25 actions", h.address);
    }
    // With detection: one probe per node per run, then one exec per phase.
    let mut o = options(&fleet);
    o.phases = vec!["configure".into(), "deploy".into()];
    lift(service(nodes(&fleet, "app")), vec![g.clone()], o.clone()).await.unwrap();
    for h in &fleet.hosts {
        assert_eq!(h.exec_count(), 2 + 3, "{}", h.address);
    }
    // With the controller's facts cache: the first run probes and caches, the next runs no probe
    // (the first phase checks the cached facts itself).
    let state = fleet.dir.join("controller");
    o.controller_state = Some(state.clone());
    let run = |o: RunOptions| {
        let (svc, g) = (service(nodes(&fleet, "app")), g.clone());
        async move {
            let r = lift(svc, vec![g], o).await.unwrap();
            assert!(!r.failed(), "{}", r.human());
            r
        }
    };
    run(o.clone()).await;
    let counts = |base: usize| fleet.hosts.iter().all(|h| h.exec_count() == base);
    assert!(counts(5 + 3), "{:?}", fleet.hosts.iter().map(|h| h.exec_count()).collect::<Vec<_>>());
    run(o.clone()).await;
    assert!(counts(8 + 2), "{:?}", fleet.hosts.iter().map(|h| h.exec_count()).collect::<Vec<_>>());
    // A node that is not what its cached facts say: its first phase stops before any action,
    // and runs again with the node's real facts.
    let cached: Vec<PathBuf> = std::fs::read_dir(state.join("facts")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(cached.len(), 3);
    for f in &cached {
        let text = std::fs::read_to_string(f).unwrap().replace("ID=debian", "ID=rocky");
        std::fs::write(f, text).unwrap();
    }
    let r = run(o).await;
    assert!(counts(10 + 3), "{:?}", fleet.hosts.iter().map(|h| h.exec_count()).collect::<Vec<_>>());
    assert!(r.results.iter().all(|x| x.status == Status::Ok), "{}", r.human());
    for f in &cached {
        assert!(std::fs::read_to_string(f).unwrap().contains("ID=debian"), "the cache holds the real facts again");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_node_stops_alone_and_later_phases_do_not_run() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 4]) else { return };
    let configure = |ctx: &mut Plan<'_>| {
        ctx.add(file("/srv/before"));
        if ctx.node().name == "app-3" {
            ctx.add(exec_checked_script("load schema", script! { echo "schema.sql: no such table" >&2; exit 4; }));
        }
        ctx.add(file("/srv/after"));
    };
    let g = GroupSpec::new("app")
        .unwrap()
        .phase("configure", configure)
        .phase("deploy", |ctx: &mut Plan<'_>| ctx.add(file("/srv/deployed")));
    let mut o = options(&fleet);
    o.phases = vec!["configure".into(), "deploy".into()];
    let report = lift(service(nodes(&fleet, "app")), vec![g], o).await.unwrap();
    assert!(report.failed());
    assert_eq!(report.summary.failed_nodes, ["app-3"]);
    let bad = report.result("app-3", "configure").unwrap();
    assert_eq!(bad.status, Status::Failed);
    let failed = bad.actions.iter().find(|a| a.status == Status::Failed).unwrap();
    assert_eq!((failed.index, failed.exit_code), (2, Some(4)));
    assert!(
        failed.stderr.contains("schema.sql: no such table") && failed.stderr.contains("load schema: FAIL"),
        "{failed:?}"
    );
    assert_eq!(bad.actions[2].status, Status::NotRun);
    for n in ["app-1", "app-2", "app-4"] {
        assert_eq!(report.result(n, "configure").unwrap().status, Status::Changed);
    }
    assert!(report.results.iter().all(|r| r.phase != "deploy"), "deploy must not run");
    let human = report.human();
    assert!(
        human.contains("FAILED: node app-3 (app), phase configure")
            && human.contains("action 2 (exec_checked_script load schema): exit code 4"),
        "{human}"
    );
    assert!(!fleet.hosts[0].path("/srv/deployed").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unreachable_nodes_fail_alone_within_the_timeout() {
    let Some(fleet) = Fleet::start(&[Quirk::None, Quirk::RejectKey, Quirk::NoSudo, Quirk::None]) else { return };
    let mut ns = nodes(&fleet, "app");
    ns.push(Node::new("app-dead", "app", fleet.dead_address()).ssh_port(fleet.port));
    let g = GroupSpec::new("app").unwrap().phase("configure", |ctx: &mut Plan<'_>| ctx.add(file("/srv/ok")));
    let o = options(&fleet);
    let limit = o.ssh.connect_timeout * 3 + Duration::from_secs(10);
    let report = lift(service(ns), vec![g], o).wait_timeout(limit).await.unwrap();
    let err = |n: &str| report.result(n, "connect").and_then(|r| r.error.clone()).unwrap_or_default();
    // Each error names its cause; only the transient one was retried.
    assert!(
        err("app-dead").contains(": connection refused: ") && err("app-dead").contains("Connection refused"),
        "{}",
        err("app-dead")
    );
    assert_eq!(report.result("app-dead", "connect").map(|r| r.retries), Some(2));
    assert!(
        err("app-2").contains(": authentication failed: ") && err("app-2").contains("Permission denied"),
        "{}",
        err("app-2")
    );
    assert_eq!(report.result("app-2", "connect").map(|r| r.retries), Some(0));
    assert!(err("app-3").contains("sudo needs a password for this user and none was given"), "{}", err("app-3"));
    for n in ["app-1", "app-4"] {
        assert_eq!(report.result(n, "configure").unwrap().status, Status::Changed, "{}", report.human());
    }
    assert_eq!(report.summary.failed_nodes.len(), 3);
}

#[derive(serde::Serialize, serde::Deserialize)]
struct DbSettings {
    port: u16,
    name: String,
}

plan_fn! {
    fn db_settings(ctx) {
        let name = format!("db-on-{}", ctx.node().name);
        ctx.publish("db", &DbSettings { port: 5433, name });
    }
}

plan_fn! {
    fn web_config(ctx) {
        let mut text = String::new();
        for db in ctx.nodes_in_group("db") {
            let s: DbSettings = ctx.settings(db, "db").expect("db published its settings");
            text.push_str(&format!("{} {} {}\n", db.private_address(), s.port, s.name));
        }
        remote_file("/srv/dbs.txt", content = text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settings_flow_between_groups() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 4]) else { return };
    let all = nodes(&fleet, "x");
    let web_nodes: Vec<Node> = all[..2]
        .iter()
        .enumerate()
        .map(|(i, n)| Node::new(format!("web-{}", i + 1), "web", n.primary_ip.clone()).ssh_port(fleet.port))
        .collect();
    let db_nodes: Vec<Node> = all[2..]
        .iter()
        .enumerate()
        .map(|(i, n)| Node::new(format!("db-{}", i + 1), "db", n.primary_ip.clone()).ssh_port(fleet.port))
        .collect();
    let svc = service(web_nodes.iter().chain(&db_nodes).cloned().collect());
    let web = GroupSpec::new("web").unwrap().phase("configure", web_config);
    let db = GroupSpec::new("db").unwrap().phase("settings", db_settings);
    let mut o = options(&fleet);
    o.consider_groups = vec![db];
    let report = lift(svc, vec![web], o).await.unwrap();
    assert!(!report.failed(), "{}", report.human());
    let expected = format!("{} 5433 db-on-db-1\n{} 5433 db-on-db-2\n", db_nodes[0].primary_ip, db_nodes[1].primary_ip);
    for i in 0..2 {
        let out = fleet.ssh(i, "cat /srv/dbs.txt");
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    }
    // consider-groups run only settings.
    assert!(report.results.iter().all(|r| !r.node.starts_with("db") || r.phase == "settings"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn secrets_stay_out_of_reports_logs_and_dry_runs() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 2]) else { return };
    let secret_content = "TOP-SECRET-TOKEN-41";
    let plan = move |ctx: &mut Plan<'_>| {
        ctx.add(remote_file("/srv/token").content(secret_content).secret(true).mode(0o600));
    };
    let g = GroupSpec::new("app").unwrap().phase("configure", plan);
    let mut o = options(&fleet);
    o.user = AdminUser::new(PW_USER).private_key(&fleet.key).sudo_password(Secret::new(PW_SECRET));
    let report = lift(service(nodes(&fleet, "app")), vec![g.clone()], o).await.unwrap();
    assert!(!report.failed(), "{}", report.human());
    let out = fleet.ssh_as(PW_USER, 0, "sudo -n true 2>/dev/null || echo needs-password");
    assert!(String::from_utf8_lossy(&out.stdout).contains("needs-password"), "sudo really required the password");
    assert_eq!(std::fs::read_to_string(fleet.hosts[0].path("/srv/token")).unwrap(), secret_content);
    let mut texts = vec![report.json(), report.human()];
    for h in &fleet.hosts {
        texts.push(std::fs::read_to_string(h.dir.join("sshd.log")).unwrap());
    }
    let target = pallet_runtime::plan::Target::new(Node::new("n", "app", "x"), Os::parse("debian-12").unwrap());
    let world = pallet_runtime::plan::World::new(vec![target.clone()]);
    let planned =
        pallet_runtime::plan::plan_phase(g.server().effective().phase_fns("configure"), &target, "configure", &world);
    let dry = pallet_runtime::render::dry_run(
        &planned.actions,
        &target.os,
        &pallet_runtime::render::RenderOptions::new("configure", "n"),
        true,
    )
    .unwrap();
    texts.push(dry);
    // Check mode after the secret changed says so without showing either value.
    let changed = move |ctx: &mut Plan<'_>| {
        ctx.add(remote_file("/srv/token").content("NEW-SECRET-TOKEN-42").secret(true).mode(0o600));
    };
    let g2 = GroupSpec::new("app").unwrap().phase("configure", changed);
    let check =
        lift(service(nodes(&fleet, "app")), vec![g2], RunOptions { check: true, ..options(&fleet) }).await.unwrap();
    assert_eq!(check.summary.changed, 2, "{}", check.human());
    let text = check.json();
    assert!(text.contains("/srv/token: secret content would change (not shown)"), "{text}");
    assert!(!text.contains("NEW-SECRET-TOKEN-42"), "the new secret leaked in check mode: {text}");
    texts.push(text);
    for t in &texts {
        assert!(!t.contains(PW_SECRET), "sudo password leaked");
        assert!(!t.contains(secret_content), "secret content leaked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_can_be_cancelled_and_bounded() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 2]) else { return };
    let slow = |ctx: &mut Plan<'_>| ctx.add(exec_script(script! { sleep 30; }));
    let g = GroupSpec::new("app").unwrap().phase("configure", slow);
    let op = lift(service(nodes(&fleet, "app")), vec![g.clone()], options(&fleet));
    assert_eq!(op.wait_timeout(Duration::from_secs(3)).await, Err(OperationError::Timeout(Duration::from_secs(3))));
    let mut op = lift(service(nodes(&fleet, "app")), vec![g], options(&fleet));
    // Events stream while it runs.
    let first = op.events().recv().await;
    assert!(matches!(first, Some(pallet_runtime::operation::Event::Connected { .. })), "{first:?}");
    op.cancel();
    assert_eq!(op.wait().await, Err(OperationError::Cancelled));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kept_masters_are_reused_by_the_next_run() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 3]) else { return };
    let g = GroupSpec::new("app").unwrap().phase("configure", |ctx: &mut Plan<'_>| ctx.add(file("/srv/kept")));
    let known: Vec<Node> = nodes(&fleet, "app").into_iter().map(|n| n.os(Os::parse("debian-12").unwrap())).collect();
    let mut o = options(&fleet);
    o.ssh.control_dir = fleet.dir.join("cm");
    o.ssh.keep_connections = Some(Duration::from_secs(60));
    let first = lift(service(known.clone()), vec![g.clone()], o.clone()).await.unwrap();
    assert!(!first.failed(), "{}", first.human());
    let marks: Vec<u64> = fleet.hosts.iter().map(|h| h.log_len()).collect();
    let second = lift(service(known), vec![g], o.clone()).await.unwrap();
    assert!(!second.failed(), "{}", second.human());
    for (h, m) in fleet.hosts.iter().zip(marks) {
        assert_eq!(h.counts_since(m), (0, 1), "{}: no new connection, one exec", h.address);
    }
    assert_eq!(pallet_runtime::transport::ssh::close_kept(&o.ssh).await, 3);
}

/// A master started to be kept (ControlPersist 1 s here) exits once idle that long, even within
/// a run: node 2 waits at the phase barrier while node 1 sleeps, so its master is gone when
/// `deploy` starts; the runner finds it dead and connects again instead of failing the node.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_kept_master_that_went_idle_within_the_run_is_replaced() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 2]) else { return };
    let g = GroupSpec::new("app")
        .unwrap()
        .phase("configure", |ctx: &mut Plan<'_>| {
            if ctx.node().name == "app-1" {
                ctx.add(exec_script(script! { sleep 4; }));
            }
            ctx.add(file("/srv/configured"));
        })
        .phase("deploy", |ctx: &mut Plan<'_>| ctx.add(file("/srv/deployed")));
    let known: Vec<Node> = nodes(&fleet, "app").into_iter().map(|n| n.os(Os::parse("debian-12").unwrap())).collect();
    let mut o = options(&fleet);
    o.phases = vec!["configure".into(), "deploy".into()];
    o.ssh.control_dir = fleet.dir.join("cm");
    o.ssh.keep_connections = Some(Duration::from_secs(1));
    let r = lift(service(known), vec![g], o.clone()).await.unwrap();
    assert!(!r.failed(), "{}", r.human());
    assert_eq!(r.results.iter().filter(|x| x.status == Status::Changed).count(), 4, "{}", r.human());
    assert_eq!(fleet.hosts[1].counts_since(0).0, 2, "node 2 connected again for deploy");
    pallet_runtime::transport::ssh::close_kept(&o.ssh).await;
}
