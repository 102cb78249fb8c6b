//! The fault suite: slow, dead, broken and interrupted nodes on the loopback SSH fleet
//! (`pallet-testkit`). Every case asserts the failing node's outcome and cause, that the other
//! nodes finished, that the target file is whole (old or new, never half-written) and that no
//! process was left behind. The command-line cases (signals, exit codes, `-q`) are in
//! `tests/cli.rs`; the table of faults and outcomes is in README.md ("Testing").

use pallet_runtime::action::*;
use pallet_runtime::compute::{ComputeService, NodeList};
use pallet_runtime::lift::lift;
use pallet_runtime::node::Node;
use pallet_runtime::operation::RunOptions;
use pallet_runtime::plan::Plan;
use pallet_runtime::report::{Report, Status};
use pallet_runtime::spec::{GroupSpec, PhaseMeta};
use pallet_runtime::transport::ssh::{HostKeyPolicy, SshOptions};
use pallet_runtime::transport::{AdminUser, Secret};
use pallet_testkit::{Fleet, PW_SECRET, PW_USER, Quirk, USER};
use std::sync::Arc;
use std::time::{Duration, Instant};
use stevedore::{Os, script};

/// Short limits, so that every fault shows within seconds. The control sockets and known_hosts
/// live in the fleet directory, so [`Fleet::leaked`] finds any ssh process a run left.
fn options(fleet: &Fleet) -> RunOptions {
    RunOptions {
        user: AdminUser::new(USER).private_key(&fleet.key),
        ssh: SshOptions {
            host_keys: HostKeyPolicy::AcceptNew(fleet.dir.join("known_hosts")),
            connect_timeout: Duration::from_secs(1),
            keepalive: Duration::from_secs(1),
            control_dir: fleet.dir.join("cm"),
            ..SshOptions::default()
        },
        connect_retry_delay: Duration::from_millis(100),
        probe_timeout: Duration::from_secs(5),
        phase_timeout: Some(Duration::from_secs(30)),
        ..RunOptions::default()
    }
}

fn debian() -> Os {
    Os::parse("debian-12").unwrap()
}

/// `app-1..` on the fleet's hosts; with `known_os`, they carry their OS (no probe).
fn nodes(fleet: &Fleet, known_os: bool) -> Vec<Node> {
    fleet
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let n = Node::new(format!("app-{}", i + 1), "app", h.address.clone()).ssh_port(fleet.port);
            if known_os { n.os(debian()) } else { n }
        })
        .collect()
}

fn service(nodes: Vec<Node>) -> Arc<dyn ComputeService> {
    Arc::new(NodeList::new(nodes))
}

fn status(r: &Report, node: &str, phase: &str) -> Status {
    if std::env::var_os("FAULTS_SHOW").is_some() {
        eprintln!("{}", r.human());
    }
    r.result(node, phase).unwrap_or_else(|| panic!("no result for {node} in {phase}:\n{}", r.human())).status
}

fn error(r: &Report, node: &str, phase: &str) -> String {
    r.result(node, phase).and_then(|x| x.error.clone()).unwrap_or_default()
}

/// The content of `path` on host `i`, read in the host's own mount namespace (so a tmpfs mounted
/// there is seen), or `None` when it does not exist.
fn read(fleet: &Fleet, i: usize, path: &str) -> Option<String> {
    let out = fleet.hosts[i].root_sh(&format!("cat {path}"));
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The names in directory `dir` on host `i` (hidden ones too: a staged `.pallet.*` file would
/// show).
fn listing(fleet: &Fleet, i: usize, dir: &str) -> Vec<String> {
    let out = fleet.hosts[i].root_sh(&format!("ls -A {dir}"));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

/// Writes `text` to `path` on every host, as root (the "old" file of a test).
fn seed(fleet: &Fleet, path: &str, text: &str) {
    for h in &fleet.hosts {
        let out = h.root_sh(&format!("mkdir -p \"$(dirname {path})\" && printf %s '{text}' > {path}"));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

fn assert_no_leaks(fleet: &Fleet) {
    let left = fleet.leaked(Duration::from_secs(3));
    assert!(left.is_empty(), "processes left behind: {left:#?}");
}

/// Waits (up to 20 s) until `path` exists on host `i`.
async fn wait_for(fleet: &Fleet, i: usize, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !fleet.hosts[i].path(path).exists() {
        assert!(Instant::now() < deadline, "{path} never appeared on host {i}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const NEW: &str = "new content\n";
const OLD: &str = "old content\n";

/// `configure`: a marker, a pause of `pause` seconds, then the target file /srv/app/motd.
fn slow_then_file(pause: u32) -> GroupSpec {
    GroupSpec::new("app").unwrap().phase("configure", move |ctx: &mut Plan<'_>| {
        ctx.add(exec_script(script! { touch /srv/app/started; sleep #pause; }));
        ctx.add(remote_file("/srv/app/motd").content(NEW).mode(0o644));
    })
}

// ---------------------------------------------------------------------------------------------
// Nodes that cannot be reached or used: each fails alone, naming its cause.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_unusable_node_fails_alone_naming_its_cause() {
    let quirks = [Quirk::None, Quirk::RejectKey, Quirk::NoSudo, Quirk::NoSudoBinary, Quirk::BusyboxSh];
    let Some(fleet) = Fleet::start(&quirks) else { return };
    let silent = fleet.silent_peer();
    let mut ns = nodes(&fleet, false);
    ns.push(Node::new("app-refused", "app", fleet.dead_address()).ssh_port(fleet.port));
    ns.push(Node::new("app-noname", "app", "pallet..invalid").ssh_port(fleet.port));
    ns.push(Node::new("app-silent", "app", silent.address.clone()).ssh_port(silent.port));
    seed(&fleet, "/srv/app/motd", OLD);
    let g = GroupSpec::new("app")
        .unwrap()
        .phase("configure", |ctx: &mut Plan<'_>| ctx.add(remote_file("/srv/app/motd").content(NEW).mode(0o644)));
    let started = Instant::now();
    let r = lift(service(ns), vec![g], options(&fleet)).wait_timeout(Duration::from_secs(60)).await.unwrap();
    let took = started.elapsed();
    let connect = |n: &str| (error(&r, n, "connect"), r.result(n, "connect").map(|x| x.retries));
    let expect = [
        ("app-2", ": authentication failed: ", Some(0)),
        ("app-3", "sudo needs a password for this user and none was given", Some(0)),
        ("app-4", "sudo is not installed on the node", Some(0)),
        ("app-refused", ": connection refused: ", Some(2)),
        ("app-noname", ": the host name does not resolve: ", Some(0)),
        ("app-silent", ": timed out: ", Some(2)),
    ];
    for (node, cause, retries) in expect {
        let (e, n) = connect(node);
        assert!(e.contains(cause), "{node}: expected `{cause}` in `{e}`\n{}", r.human());
        assert_eq!(n, retries, "{node}: connection retries");
        assert_eq!(status(&r, node, "connect"), Status::Failed);
    }
    // The usable nodes, busybox as /bin/sh included, finished.
    for (i, n) in [(0, "app-1"), (4, "app-5")] {
        assert_eq!(status(&r, n, "configure"), Status::Changed, "{}", r.human());
        assert_eq!(read(&fleet, i, "/srv/app/motd").as_deref(), Some(NEW));
    }
    for i in 1..4 {
        assert_eq!(read(&fleet, i, "/srv/app/motd").as_deref(), Some(OLD), "host {i}");
        assert_eq!(listing(&fleet, i, "/srv/app"), ["motd"]);
    }
    let human = r.human();
    assert!(human.contains("(the connection was retried 2 time(s))"), "{human}");
    let line = human.lines().find(|l| l.starts_with("connect    app-refused ")).unwrap();
    assert!(line.ends_with(" retries=2"), "{line}");
    assert_eq!(r.summary.nodes.failed, 6);
    assert_eq!(r.summary.nodes.changed, 2);
    // Three attempts of the silent peer (1 s banner timeout each) bound the run.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let sh = fleet.ssh(4, "sh -c 'readlink /proc/$$/exe; sh --help 2>&1 | head -1'");
    assert!(String::from_utf8_lossy(&sh.stdout).contains("BusyBox"), "{:?}", sh);
    drop(silent);
    assert_no_leaks(&fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sudo_causes_are_told_apart() {
    let Some(fleet) = Fleet::start(&[Quirk::None, Quirk::NoSudo]) else { return };
    let g = GroupSpec::new("app").unwrap().phase("configure", |ctx: &mut Plan<'_>| ctx.add(file("/srv/sudo-ok")));
    let run = |password: Option<&str>, only: usize| {
        let mut o = options(&fleet);
        o.user = AdminUser::new(PW_USER).private_key(&fleet.key);
        if let Some(p) = password {
            o.user = o.user.sudo_password(Secret::new(p));
        }
        let node = nodes(&fleet, false).swap_remove(only);
        lift(service(vec![node]), vec![g.clone()], o)
    };
    let (none, wrong, right, not_allowed) = tokio::join!(
        run(None, 0).wait(),
        run(Some("not-the-password"), 0).wait(),
        run(Some(PW_SECRET), 0).wait(),
        run(Some(PW_SECRET), 1).wait(),
    );
    let e = error(&none.unwrap(), "app-1", "connect");
    assert!(e.starts_with("sudo needs a password for this user and none was given: "), "{e}");
    let e = error(&wrong.unwrap(), "app-1", "connect");
    assert!(e.starts_with("the sudo password is wrong: "), "{e}");
    let right = right.unwrap();
    assert_eq!(status(&right, "app-1", "configure"), Status::Changed, "{}", right.human());
    let e = error(&not_allowed.unwrap(), "app-2", "connect");
    assert!(e.starts_with("the user is not allowed to use sudo: ") && e.contains("not in the sudoers file"), "{e}");
    assert!(!fleet.hosts[1].path("/srv/sudo-ok").exists());
    assert_no_leaks(&fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_key_changed_and_unknown_are_told_apart() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 3]) else { return };
    // The file knows host 1's real key, a different key for host 2, nothing for host 3.
    let real = std::fs::read_to_string(fleet.dir.join("host_key.pub")).unwrap();
    let other = fleet.dir.join("other_key");
    let st = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .unwrap();
    assert!(st.success());
    let other = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let key = |k: &str| k.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let entry = |i: usize, k: &str| format!("[{}]:{} {}\n", fleet.hosts[i].address, fleet.port, key(k));
    let known = fleet.dir.join("known_hosts_fixed");
    std::fs::write(&known, format!("{}{}", entry(0, &real), entry(1, &other))).unwrap();
    let mut o = options(&fleet);
    o.ssh.host_keys = HostKeyPolicy::File(known.clone());
    let g = GroupSpec::new("app").unwrap().phase("configure", |ctx: &mut Plan<'_>| ctx.add(file("/srv/hostkey-ok")));
    let r = lift(service(nodes(&fleet, true)), vec![g], o).await.unwrap();
    assert_eq!(status(&r, "app-1", "configure"), Status::Changed, "{}", r.human());
    let changed = error(&r, "app-2", "connect");
    assert!(changed.contains(": the host key CHANGED: "), "{changed}");
    let unknown = error(&r, "app-3", "connect");
    assert!(unknown.contains(": the host key is unknown: "), "{unknown}");
    for n in ["app-2", "app-3"] {
        assert_eq!(r.result(n, "connect").unwrap().retries, 0, "host key failures are not retried");
    }
    assert!(!fleet.hosts[1].path("/srv/hostkey-ok").exists() && !fleet.hosts[2].path("/srv/hostkey-ok").exists());
    // The file was not changed by the run.
    assert_eq!(std::fs::read_to_string(&known).unwrap(), format!("{}{}", entry(0, &real), entry(1, &other)));
    assert_no_leaks(&fleet);
}

// ---------------------------------------------------------------------------------------------
// Slow nodes: limits.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_login_fails_its_node_within_the_probe_and_phase_timeouts() {
    let Some(fleet) = Fleet::start(&[Quirk::None, Quirk::HangingLogin, Quirk::None]) else { return };
    seed(&fleet, "/srv/app/motd", OLD);
    let g = GroupSpec::new("app")
        .unwrap()
        .phase("configure", |ctx: &mut Plan<'_>| ctx.add(remote_file("/srv/app/motd").content(NEW).mode(0o644)));
    // The OS probe is the first exec: it hangs in the login shell.
    let mut o = options(&fleet);
    o.probe_timeout = Duration::from_secs(2);
    let started = Instant::now();
    let r = lift(service(nodes(&fleet, false)), vec![g.clone()], o).await.unwrap();
    let took = started.elapsed();
    assert_eq!(error(&r, "app-2", "connect"), "the OS probe did not finish within 2s (probe timeout)");
    for n in ["app-1", "app-3"] {
        assert_eq!(status(&r, n, "configure"), Status::Changed, "{}", r.human());
    }
    assert!(took < Duration::from_secs(8), "the run took {took:?}, not about the probe timeout");
    // With the OS known there is no probe: the phase hangs, and the phase timeout ends it.
    seed(&fleet, "/srv/app/other", OLD);
    let g = GroupSpec::new("app")
        .unwrap()
        .phase("configure", |ctx: &mut Plan<'_>| ctx.add(remote_file("/srv/app/other").content(NEW).mode(0o644)));
    let mut o = options(&fleet);
    o.phase_timeout = Some(Duration::from_secs(2));
    let started = Instant::now();
    let r = lift(service(nodes(&fleet, true)), vec![g], o).await.unwrap();
    let took = started.elapsed();
    assert_eq!(status(&r, "app-2", "configure"), Status::Failed, "{}", r.human());
    assert_eq!(error(&r, "app-2", "configure"), "stopped: the phase timeout of 2s passed");
    assert_eq!(read(&fleet, 0, "/srv/app/other").as_deref(), Some(NEW));
    for n in ["app-1", "app-3"] {
        assert_eq!(status(&r, n, "configure"), Status::Changed, "{}", r.human());
    }
    assert!(took < Duration::from_secs(8), "the run took {took:?}, not about the phase timeout");
    assert_eq!(read(&fleet, 1, "/srv/app/other").as_deref(), Some(OLD));
    assert_eq!(read(&fleet, 1, "/srv/app/motd").as_deref(), Some(OLD));
    assert_no_leaks(&fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operation_deadline_fails_running_phases_and_starts_no_other() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 3]) else { return };
    seed(&fleet, "/srv/app/motd", OLD);
    let g = GroupSpec::new("app")
        .unwrap()
        .phase("configure", |ctx: &mut Plan<'_>| {
            if ctx.node().name == "app-2" {
                ctx.add(exec_script(script! { sleep 20; }));
            }
            ctx.add(remote_file("/srv/app/motd").content(NEW).mode(0o644));
        })
        .phase("deploy", |ctx: &mut Plan<'_>| ctx.add(file("/srv/app/deployed")))
        // A failure alone would not stop the operation: the deadline does.
        .phase_meta("configure", PhaseMeta::new().max_fail_percentage(100));
    let mut o = options(&fleet);
    o.phases = vec!["configure".into(), "deploy".into()];
    o.deadline = Some(Duration::from_secs(3));
    let started = Instant::now();
    let r = lift(service(nodes(&fleet, true)), vec![g], o).await.unwrap();
    let took = started.elapsed();
    assert_eq!(status(&r, "app-2", "configure"), Status::Failed);
    assert_eq!(error(&r, "app-2", "configure"), "stopped: the operation deadline of 3s passed");
    for n in ["app-1", "app-3"] {
        assert_eq!(status(&r, n, "configure"), Status::Changed, "{}", r.human());
    }
    assert_eq!(r.interrupted.as_deref(), Some("the operation deadline (3s) passed before phase deploy"));
    assert!(r.results.iter().all(|x| x.phase != "deploy"), "{}", r.human());
    assert!(r.failed());
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_eq!(read(&fleet, 1, "/srv/app/motd").as_deref(), Some(OLD));
    for i in 0..3 {
        assert!(!fleet.hosts[i].path("/srv/app/deployed").exists());
    }
    assert_no_leaks(&fleet);
}

// ---------------------------------------------------------------------------------------------
// Nodes that die or fill up mid-phase.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sshd_killed_mid_phase_fails_only_that_node() {
    let Some(mut fleet) = Fleet::start(&[Quirk::None; 3]) else { return };
    seed(&fleet, "/srv/app/motd", OLD);
    let started = Instant::now();
    let op = lift(service(nodes(&fleet, true)), vec![slow_then_file(2)], options(&fleet));
    wait_for(&fleet, 1, "/srv/app/started").await;
    // The leak check sees the run's ssh masters while they live.
    assert!(fleet.leaked(Duration::ZERO).iter().any(|p| p.comm == "ssh"), "{:?}", fleet.leaked(Duration::ZERO));
    fleet.hosts[1].kill();
    let r = op.wait_timeout(Duration::from_secs(30)).await.unwrap();
    let took = started.elapsed();
    assert_eq!(status(&r, "app-2", "configure"), Status::Failed, "{}", r.human());
    let e = error(&r, "app-2", "configure");
    assert!(e.ends_with(" lost: the connection closed while the script ran"), "{e}");
    for (i, n) in [(0, "app-1"), (2, "app-3")] {
        assert_eq!(status(&r, n, "configure"), Status::Changed, "{}", r.human());
        assert_eq!(read(&fleet, i, "/srv/app/motd").as_deref(), Some(NEW));
    }
    // Killed before it wrote anything: the old file, nothing staged beside it.
    let upper = fleet.hosts[1].path("/srv/app");
    assert_eq!(std::fs::read_to_string(upper.join("motd")).unwrap(), OLD);
    let names: Vec<String> =
        std::fs::read_dir(&upper).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.starts_with(".pallet")), "{names:?}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_no_leaks(&fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_vanishes_mid_phase_fails_within_the_keepalive() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 3]) else { return };
    seed(&fleet, "/srv/app/motd", OLD);
    let started = Instant::now();
    let op = lift(service(nodes(&fleet, true)), vec![slow_then_file(2)], options(&fleet));
    wait_for(&fleet, 1, "/srv/app/started").await;
    let gone = fleet.vanish(1);
    let r = op.wait_timeout(Duration::from_secs(30)).await.unwrap();
    let took = started.elapsed();
    drop(gone);
    assert_eq!(status(&r, "app-2", "configure"), Status::Failed, "{}", r.human());
    let e = error(&r, "app-2", "configure");
    assert!(e.ends_with(" lost: the connection closed while the script ran"), "{e}");
    for (i, n) in [(0, "app-1"), (2, "app-3")] {
        assert_eq!(status(&r, n, "configure"), Status::Changed, "{}", r.human());
        assert_eq!(read(&fleet, i, "/srv/app/motd").as_deref(), Some(NEW));
    }
    // The host itself lives on and may have finished its script: the file is whole, old or new.
    let left = read(&fleet, 1, "/srv/app/motd").unwrap();
    assert!(left == OLD || left == NEW, "{left:?}");
    // Keepalives every second, three unanswered: a few seconds, not the 30 s phase timeout.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    // Gone before the run: the TCP connect itself times out (ssh's ConnectTimeout), retried.
    let gone = fleet.vanish(1);
    let mut o = options(&fleet);
    o.connect_retries = 1;
    let started = Instant::now();
    let r = lift(service(nodes(&fleet, true)), vec![slow_then_file(0)], o).await.unwrap();
    let took = started.elapsed();
    drop(gone);
    let e = error(&r, "app-2", "connect");
    assert!(e.contains(": timed out: ") && e.contains("Connection timed out"), "{e}");
    assert_eq!(r.result("app-2", "connect").unwrap().retries, 1);
    for n in ["app-1", "app-3"] {
        assert_eq!(status(&r, n, "configure"), Status::Changed, "{}", r.human());
    }
    assert!(took < Duration::from_secs(8), "two 1 s connect timeouts took {took:?}");
    assert_no_leaks(&fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_at_the_target_keeps_the_old_file() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 3]) else { return };
    seed(&fleet, "/srv/app/motd", OLD);
    let out = fleet.hosts[1]
        .root_sh(&format!("mount -t tmpfs -o size=64k pallet-full /srv/app && printf %s '{OLD}' > /srv/app/motd"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let big = "x".repeat(1 << 20);
    let content = big.clone();
    let g = GroupSpec::new("app").unwrap().phase("configure", move |ctx: &mut Plan<'_>| {
        ctx.add(remote_file("/srv/app/motd").content(content.clone()).mode(0o644));
    });
    let r = lift(service(nodes(&fleet, true)), vec![g], options(&fleet)).await.unwrap();
    let bad = r.result("app-2", "configure").unwrap();
    assert_eq!(bad.status, Status::Failed, "{}", r.human());
    assert!(bad.actions[0].stderr.contains("No space left on device"), "{:?}", bad.actions[0]);
    assert_eq!(read(&fleet, 1, "/srv/app/motd").as_deref(), Some(OLD));
    assert_eq!(listing(&fleet, 1, "/srv/app"), ["motd"], "nothing staged is left");
    for (i, n) in [(0, "app-1"), (2, "app-3")] {
        assert_eq!(status(&r, n, "configure"), Status::Changed, "{}", r.human());
        assert_eq!(read(&fleet, i, "/srv/app/motd").as_deref(), Some(big.as_str()));
    }
    let _ = fleet.hosts[1].root_sh("umount /srv/app");
    assert_no_leaks(&fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_a_day_behind_changes_nothing_else() {
    let Some(fleet) = Fleet::start(&[Quirk::None, Quirk::ClockDayBehind]) else { return };
    let now = |i: usize| {
        let out = fleet.ssh(i, "sudo -n date +%s");
        String::from_utf8_lossy(&out.stdout).trim().parse::<i64>().unwrap()
    };
    let skew = now(0) - now(1);
    assert!((86_000..86_800).contains(&skew), "host 2's clock (under sudo too) is a day behind: {skew} s");
    let g = GroupSpec::new("app").unwrap().phase("configure", |ctx: &mut Plan<'_>| {
        ctx.add(remote_file("/srv/app/motd").content(NEW).mode(0o644));
        ctx.add(line_in_file("/srv/app/conf", "answer = 42"));
    });
    seed(&fleet, "/srv/app/motd", OLD);
    let first = lift(service(nodes(&fleet, false)), vec![g.clone()], options(&fleet)).await.unwrap();
    assert!(!first.failed(), "{}", first.human());
    assert_eq!(first.summary.nodes.changed, 2);
    let second = lift(service(nodes(&fleet, false)), vec![g], options(&fleet)).await.unwrap();
    assert!(!second.failed(), "{}", second.human());
    assert_eq!(second.summary.changed, 0, "{}", second.human());
    assert_eq!(read(&fleet, 1, "/srv/app/motd").as_deref(), Some(NEW));
    // Durations are measured on the controller: the node's clock cannot make them absurd.
    assert!(first.results.iter().chain(&second.results).all(|r| r.duration_ms < 30_000));
    assert_no_leaks(&fleet);
}

// ---------------------------------------------------------------------------------------------
// Rolling phases, retries.
// ---------------------------------------------------------------------------------------------

fn rolling(meta: PhaseMeta) -> GroupSpec {
    GroupSpec::new("app")
        .unwrap()
        .phase("configure", |ctx: &mut Plan<'_>| {
            if ctx.node().name == "app-1" {
                ctx.add(exec_checked_script("migrate", script! { echo "migration failed" >&2; exit 3; }));
            }
            ctx.add(remote_file("/srv/app/motd").content(NEW).mode(0o644));
        })
        .phase_meta("configure", meta)
        .phase("deploy", |ctx: &mut Plan<'_>| ctx.add(file("/srv/app/deployed")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_phase_whose_first_batch_fails_reports_every_node() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 4]) else { return };
    seed(&fleet, "/srv/app/motd", OLD);
    let mut o = options(&fleet);
    o.phases = vec!["configure".into(), "deploy".into()];
    let r = lift(service(nodes(&fleet, true)), vec![rolling(PhaseMeta::new().serial(2))], o).await.unwrap();
    assert_eq!(status(&r, "app-1", "configure"), Status::Failed);
    assert_eq!(status(&r, "app-2", "configure"), Status::Changed);
    for (i, n) in [(2, "app-3"), (3, "app-4")] {
        assert_eq!(status(&r, n, "configure"), Status::NotRun, "{}", r.human());
        assert_eq!(error(&r, n, "configure"), "not run: an earlier batch failed (1 of 2 nodes)");
        assert_eq!(read(&fleet, i, "/srv/app/motd").as_deref(), Some(OLD));
    }
    assert!(r.results.iter().all(|x| x.phase != "deploy"));
    let n = &r.summary.nodes;
    assert_eq!((n.ok, n.changed, n.failed, n.not_run), (0, 1, 1, 2));
    assert_eq!((r.summary.changed, r.summary.failed, r.summary.not_run), (1, 1, 1));
    let human = r.human();
    assert!(
        human.contains("lift: nodes 1 changed, 1 failed, 2 not run; actions 1 changed, 1 failed, 1 not run;"),
        "{human}"
    );
    assert!(
        human.contains("NOT RUN: node app-3 (app), phase configure: not run: an earlier batch failed (1 of 2 nodes)"),
        "{human}"
    );
    assert_no_leaks(&fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_fail_percentage_tolerates_one_failure() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 4]) else { return };
    seed(&fleet, "/srv/app/motd", OLD);
    let mut o = options(&fleet);
    o.phases = vec!["configure".into(), "deploy".into()];
    let meta = PhaseMeta::new().serial(2).max_fail_percentage(50);
    let r = lift(service(nodes(&fleet, true)), vec![rolling(meta)], o).await.unwrap();
    assert_eq!(status(&r, "app-1", "configure"), Status::Failed);
    for n in ["app-2", "app-3", "app-4"] {
        assert_eq!(status(&r, n, "configure"), Status::Changed, "{}", r.human());
        assert_eq!(status(&r, n, "deploy"), Status::Changed, "{}", r.human());
    }
    assert!(r.result("app-1", "deploy").is_none(), "the failed node stays out of later phases");
    assert!(r.interrupted.is_none());
    assert!(r.failed(), "a tolerated failure is still a failure of the run");
    let n = &r.summary.nodes;
    assert_eq!((n.changed, n.failed, n.not_run), (3, 1, 0));
    assert!(!fleet.hosts[0].path("/srv/app/deployed").exists() && fleet.hosts[3].path("/srv/app/deployed").exists());
    assert_no_leaks(&fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_succeeds_after_retries_shows_them() {
    let Some(fleet) = Fleet::start(&[Quirk::None, Quirk::LateStart]) else { return };
    let mut o = options(&fleet);
    o.connect_retries = 5;
    o.connect_retry_delay = Duration::from_millis(500);
    let g = GroupSpec::new("app").unwrap().phase("configure", |ctx: &mut Plan<'_>| ctx.add(file("/srv/late-ok")));
    let r = lift(service(nodes(&fleet, true)), vec![g], o).await.unwrap();
    assert!(!r.failed(), "{}", r.human());
    let late = r.result("app-2", "configure").unwrap();
    assert_eq!(late.status, Status::Changed);
    assert!(late.retries >= 1, "the late node's connection was retried: {late:?}");
    assert_eq!(r.result("app-1", "configure").unwrap().retries, 0);
    let human = r.human();
    let line = human.lines().find(|l| l.starts_with("configure  app-2 ")).unwrap();
    assert!(line.contains(" retries="), "{line}");
    assert_no_leaks(&fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_until_repeats_a_check_and_counts_its_retries() {
    let Some(fleet) = Fleet::start(&[Quirk::None]) else { return };
    let g = GroupSpec::new("app").unwrap().phase("configure", |ctx: &mut Plan<'_>| {
        // Passes on the third try.
        ctx.add(
            retry_until(
                "third time lucky",
                script! {
                    n=$(cat /srv/tries 2>/dev/null || echo 0); n=$((n + 1)); echo $n > /srv/tries; [ $n -ge 3 ];
                },
            )
            .retries(5)
            .standoff(0),
        );
        ctx.add(retry_until("never", script! { false; }).retries(2).standoff(0));
        ctx.add(file("/srv/after-retries"));
    });
    let r = lift(service(nodes(&fleet, true)), vec![g], options(&fleet)).await.unwrap();
    let res = r.result("app-1", "configure").unwrap();
    let a = &res.actions;
    assert_eq!((a[0].status, a[0].retries), (Status::Ok, 2), "{a:?}");
    assert_eq!((a[1].status, a[1].retries), (Status::Failed, 2), "{a:?}");
    assert!(a[1].stderr.contains("retry_until never (2 retries, 0 s apart): gave up after 2 retries"), "{a:?}");
    assert_eq!(a[2].status, Status::NotRun);
    let human = r.human();
    assert!(
        human.contains("action 2 (retry_until never (2 retries, 0 s apart)): exit code 1 after 2 retries"),
        "{human}"
    );
    assert!(human.lines().next().unwrap().ends_with(" retries=4"), "{human}");
    assert_eq!(read(&fleet, 0, "/srv/tries").as_deref(), Some("3\n"));
    assert!(!fleet.hosts[0].path("/srv/after-retries").exists());
    assert_no_leaks(&fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_cut_short_in_transit_never_runs() {
    let Some(fleet) = Fleet::start(&[Quirk::None]) else { return };
    // Logging in takes 3 s (the login shell reads its stdin only then) and the phase timeout is
    // 1 s: the session is cut while the script, several MB, is still on its way.
    let h = &fleet.hosts[0];
    let out = h.root_sh(&format!(
        "usermod -s /bin/bash {USER} && echo 'sleep 3' > /home/{USER}/.bashrc && mkdir -p /srv/marks"
    ));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let g = GroupSpec::new("app").unwrap().phase("configure", |ctx: &mut Plan<'_>| {
        for i in 0..30_000 {
            ctx.add(exec_script(script! { touch /srv/marks/#i; }));
        }
    });
    let mut o = options(&fleet);
    o.phase_timeout = Some(Duration::from_secs(1));
    let r = lift(service(nodes(&fleet, true)), vec![g], o).await.unwrap();
    assert_eq!(error(&r, "app-1", "configure"), "stopped: the phase timeout of 1s passed", "{}", r.human());
    // The login ends, the shell reads what arrived of the script: it must not run a part of it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let busy = |pid: &u32| {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        ["bash", "sh", "head", "sudo", "sleep", "touch"].contains(&comm.trim())
    };
    while h.processes().iter().any(busy) {
        assert!(Instant::now() < deadline, "the login shell is still running");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(listing(&fleet, 0, "/srv/marks"), Vec::<String>::new(), "a truncated script ran");
    assert!(listing(&fleet, 0, "/tmp").iter().all(|n| !n.starts_with("pallet.")), "{:?}", listing(&fleet, 0, "/tmp"));
    assert_no_leaks(&fleet);
}
