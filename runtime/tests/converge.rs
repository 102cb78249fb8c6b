//! `converge` with real containers (podman, the locally built Debian base image, packages from
//! the Debian mirror): create, configure, adopt, destroy.

use pallet_runtime::action::*;
use pallet_runtime::compute::{ComputeService, Containers};
use pallet_runtime::converge::converge;
use pallet_runtime::library::bootstrap;
use pallet_runtime::operation::{Event, OperationError, RunOptions};
use pallet_runtime::plan::Plan;
use pallet_runtime::report::{Report, Status};
use pallet_runtime::spec::{GroupSpec, NodeSpec};
use pallet_runtime::transport::AdminUser;
use pallet_runtime::transport::ssh::{HostKeyPolicy, SshOptions};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const IMAGE: &str = "localhost/pallet-debian:12";

struct Env {
    dir: PathBuf,
    key: PathBuf,
}

/// Removes containers left by an earlier, interrupted run of these tests.
fn clean(groups: &[&str]) {
    for g in groups {
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!("podman --runtime runc ps -a -q --filter label=pallet.group={g} | xargs -r podman --runtime runc rm -f -t 0"))
            .output();
    }
}

/// Builds the base image if needed and makes a key; `None` (skip) outside CI without podman.
fn env(name: &str) -> Option<Env> {
    let ok = |c: &str| Command::new("sh").arg("-c").arg(c).status().map(|s| s.success()).unwrap_or(false);
    let have = ok("command -v podman >/dev/null && command -v mmdebstrap >/dev/null && [ \"$(id -u)\" = 0 ]");
    if !have {
        assert!(!pallet_testkit::required(), "CI must run the container tests (podman, mmdebstrap, root)");
        eprintln!("skipping: needs root, podman and mmdebstrap");
        return None;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/build-base-image.sh");
    assert!(ok(script), "building the base image failed");
    let dir = std::env::temp_dir().join(format!("pallet-converge-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("id_ed25519");
    assert!(ok(&format!("ssh-keygen -q -t ed25519 -N '' -f {}", key.display())));
    Some(Env { dir, key })
}

impl Env {
    fn service(&self) -> Arc<dyn ComputeService> {
        let public = std::fs::read_to_string(self.key.with_extension("pub")).unwrap();
        Arc::new(
            Containers::new("podman", IMAGE)
                .engine_args(["--runtime", "runc"])
                .run_args(["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"])
                .authorized_key(public)
                .state_dir(self.dir.join("state")),
        )
    }

    fn options(&self) -> RunOptions {
        RunOptions {
            user: AdminUser::new("admin").private_key(&self.key),
            image_user: Some(AdminUser::new("root").private_key(&self.key)),
            ssh: SshOptions {
                host_keys: HostKeyPolicy::AcceptNew(self.dir.join(format!("known_hosts-{}", rand()))),
                ..SshOptions::default()
            },
            ..RunOptions::default()
        }
    }
}

fn rand() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// Containers whose name starts with `prefix-`: (name, group label).
fn containers(prefix: &str) -> Vec<(String, String)> {
    let out = Command::new("podman")
        .args(["--runtime", "runc", "ps", "-a", "--format", "{{.Names}} {{index .Labels \"pallet.group\"}}"])
        .output()
        .unwrap();
    let mut v: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(a, b)| (a.to_string(), b.to_string())))
        .filter(|(n, _)| n.starts_with(&format!("{prefix}-")))
        .collect();
    v.sort();
    v
}

fn http_get(addr: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET / HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Db {
    host: String,
}

fn groups(web: usize, db: usize) -> Vec<GroupSpec> {
    let spec = |ports: Vec<u16>| NodeSpec::new().login_user("root").inbound_ports(ports);
    let web_configure = |ctx: &mut Plan<'_>| {
        let mut page = String::from("db:");
        for n in ctx.nodes_in_group("cdb") {
            let d: Db = ctx.settings(n, "db").unwrap();
            page.push_str(&format!(" {}", d.host));
        }
        ctx.add(package("nginx"));
        ctx.add(remote_file("/var/www/html/index.html").content(format!("{page}\n")).mode(0o644));
        ctx.add(service("nginx").start());
    };
    let db_settings = |ctx: &mut Plan<'_>| ctx.publish("db", &Db { host: ctx.node().private_address().to_string() });
    let db_configure = |ctx: &mut Plan<'_>| {
        ctx.add(package("redis-server"));
        let bind = format!("bind {} 127.0.0.1", ctx.node().private_address());
        ctx.add(line_in_file("/etc/redis/redis.conf", bind).regexp("^bind ").flag_on_changed("conf"));
        ctx.add(
            line_in_file("/etc/redis/redis.conf", "protected-mode no")
                .regexp("^protected-mode ")
                .flag_on_changed("conf"),
        );
        ctx.add(service("redis-server").restart().if_flag("conf"));
        ctx.add(service("redis-server").start());
    };
    vec![
        GroupSpec::new("cweb")
            .unwrap()
            .count(web)
            .node_spec(spec(vec![22, 80]))
            .phase("bootstrap", bootstrap)
            .phase("configure", web_configure),
        GroupSpec::new("cdb")
            .unwrap()
            .count(db)
            .node_spec(spec(vec![22]))
            .phase("bootstrap", bootstrap)
            .phase("settings", db_settings)
            .phase("configure", db_configure),
    ]
}

async fn run(env: &Env, web: usize, db: usize) -> Report {
    let r =
        converge(env.service(), groups(web, db), env.options()).wait_timeout(Duration::from_secs(600)).await.unwrap();
    assert!(!r.failed(), "{}", r.human());
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn converge_create_configure_scale_down_and_remove() {
    let Some(env) = env("main") else { return };
    clean(&["cweb", "cdb"]);
    let r = run(&env, 2, 1).await;
    assert_eq!(r.created.len(), 3);
    let all = containers("cdb").into_iter().chain(containers("cweb")).collect::<Vec<_>>();
    assert_eq!(
        all,
        [("cdb-1".into(), "cdb".into()), ("cweb-1".into(), "cweb".into()), ("cweb-2".into(), "cweb".into())]
    );
    let nodes = env.service().nodes().await.unwrap();
    let db = nodes.iter().find(|n| n.name == "cdb-1").unwrap();
    let db_ip = db.private_ip.clone().unwrap();
    for web in nodes.iter().filter(|n| n.group == "cweb") {
        let page = http_get(&web.published[&80]);
        assert!(page.ends_with(&format!("db: {db_ip}\n")), "{page}");
    }
    let ping = Command::new("podman")
        .args(["--runtime", "runc", "exec", "cweb-1", "bash", "-c"])
        .arg(format!("exec 3<>/dev/tcp/{db_ip}/6379; printf 'PING\\r\\n' >&3; head -c 7 <&3"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&ping.stdout).trim(), "+PONG");

    let again = run(&env, 2, 1).await;
    assert!(
        again.created.is_empty() && again.destroyed.is_empty(),
        "{:?} {:?}\n{}",
        again.created,
        again.destroyed,
        again.human()
    );
    assert_eq!(again.summary.changed, 0, "{}", again.human());

    let down = run(&env, 1, 1).await;
    assert_eq!(down.destroyed, ["cweb-2"]);
    assert_eq!(containers("cweb").len(), 1);

    let gone = run(&env, 0, 0).await;
    assert_eq!(gone.destroyed.len(), 2);
    assert!(containers("cweb").is_empty() && containers("cdb").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_bootstrap_is_not_flagged_and_runs_again() {
    let Some(env) = env("boot") else { return };
    clean(&["cboot"]);
    let fail_marker = env.dir.join("fail-bootstrap");
    std::fs::write(&fail_marker, "").unwrap();
    let marker = fail_marker.clone();
    let boot = move |ctx: &mut Plan<'_>| {
        bootstrap(ctx);
        if ctx.node().name == "cboot-2" && marker.exists() {
            ctx.add(exec_checked_script("flaky bootstrap step", stevedore::script! { exit 3; }));
        }
    };
    let g = || {
        GroupSpec::new("cboot")
            .unwrap()
            .count(2)
            .node_spec(NodeSpec::new().login_user("root"))
            .phase("bootstrap", boot.clone())
            .phase("configure", |ctx: &mut Plan<'_>| ctx.add(file("/tmp/configured")))
    };
    let first = converge(env.service(), vec![g()], env.options()).await.unwrap();
    assert_eq!(first.summary.failed_nodes, ["cboot-2"], "{}", first.human());
    assert_eq!(first.result("cboot-2", "bootstrap").unwrap().status, Status::Failed);
    assert!(first.results.iter().all(|r| r.phase != "configure"), "configure must not run after a failed phase");
    let nodes = env.service().nodes().await.unwrap();
    assert!(nodes.iter().find(|n| n.name == "cboot-1").unwrap().has_flag("bootstrapped"));
    assert!(!nodes.iter().find(|n| n.name == "cboot-2").unwrap().has_flag("bootstrapped"));

    std::fs::remove_file(&fail_marker).unwrap();
    let second = converge(env.service(), vec![g()], env.options()).await.unwrap();
    assert!(!second.failed(), "{}", second.human());
    assert_eq!(second.result("cboot-1", "bootstrap").unwrap().status, Status::Skipped);
    // It ran again (its earlier actions had succeeded before the failing one, so now they are ok).
    let rerun = second.result("cboot-2", "bootstrap").unwrap();
    assert!(rerun.status != Status::Skipped && !rerun.actions.is_empty(), "{}", second.human());
    let nodes = env.service().nodes().await.unwrap();
    assert!(nodes.iter().all(|n| n.group != "cboot" || n.has_flag("bootstrapped")));
    assert!(second.created.is_empty());
    let gone = converge(env.service(), vec![g().count(0)], env.options()).await.unwrap();
    assert_eq!(gone.destroyed.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_during_creation_leaves_only_labelled_containers() {
    let Some(env) = env("cancel") else { return };
    clean(&["ccan"]);
    let g = |n: usize| {
        GroupSpec::new("ccan")
            .unwrap()
            .count(n)
            .node_spec(NodeSpec::new().login_user("root"))
            .phase("bootstrap", bootstrap)
            .phase("configure", |ctx: &mut Plan<'_>| ctx.add(file("/tmp/configured")))
    };
    let mut op = converge(env.service(), vec![g(3)], env.options());
    // Cancel as soon as the first node exists.
    loop {
        match tokio::time::timeout(Duration::from_secs(120), op.events().recv()).await {
            Ok(Some(Event::Nodes { .. })) | Ok(None) | Err(_) => break,
            Ok(Some(_)) => {}
        }
    }
    op.cancel();
    assert_eq!(op.wait().await, Err(OperationError::Cancelled));
    for (name, label) in containers("ccan") {
        assert_eq!(label, "ccan", "{name} is unlabelled");
    }
    let adopted = converge(env.service(), vec![g(3)], env.options()).await.unwrap();
    assert!(!adopted.failed(), "{}", adopted.human());
    assert_eq!(containers("ccan").len(), 3);
    assert_eq!(adopted.results.iter().filter(|r| r.phase == "configure").count(), 3);
    converge(env.service(), vec![g(0)], env.options()).await.unwrap();
    assert!(containers("ccan").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn adoption_repairs_only_containers_made_for_its_key() {
    let Some(mine) = env("repair-mine") else { return };
    let Some(other) = env("repair-other") else { return };
    clean(&["crep"]);
    let g = |n: usize| {
        GroupSpec::new("crep")
            .unwrap()
            .count(n)
            .node_spec(NodeSpec::new().login_user("root"))
            .phase("configure", |ctx: &mut Plan<'_>| ctx.add(file("/tmp/configured")))
    };
    // No bootstrap: root, the image's user, all along.
    let root = |e: &Env| RunOptions { user: AdminUser::new("root").private_key(&e.key), ..e.options() };
    let first = converge(mine.service(), vec![g(1)], root(&mine)).await.unwrap();
    assert!(!first.failed(), "{}", first.human());
    // Its sshd stops, as when the node setup was cut short.
    let sh = |cmd: &str| {
        let out =
            Command::new("podman").args(["--runtime", "runc", "exec", "crep-1", "sh", "-c", cmd]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    sh("kill $(cat /run/sshd.pid); rm -f /run/sshd.pid");
    // Another program (another admin key) lists the managed containers: it leaves this one alone
    // rather than authorize its own key on it.
    other.service().nodes().await.unwrap();
    let other_key = std::fs::read_to_string(other.key.with_extension("pub")).unwrap();
    let keys = sh("cat /root/.ssh/authorized_keys");
    assert!(!keys.contains(other_key.trim()), "another program's key was authorized: {keys}");
    assert_eq!(sh("test -f /run/sshd.pid && echo running"), "", "another program ran the setup");
    // Its own program repairs it on adoption, and the converge goes on.
    let again = converge(mine.service(), vec![g(1)], root(&mine)).await.unwrap();
    assert!(!again.failed(), "{}", again.human());
    assert!(again.created.is_empty() && again.destroyed.is_empty(), "repaired, not replaced");
    converge(mine.service(), vec![g(0)], root(&mine)).await.unwrap();
    assert!(containers("crep").is_empty());
    for e in [mine, other] {
        let _ = std::fs::remove_dir_all(&e.dir);
    }
}
