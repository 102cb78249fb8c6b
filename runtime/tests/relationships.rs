//! Relationships, facts, node values, handlers, variables and several groups per node, against
//! the loopback SSH fleet. `FleetPool` is a compute service of this test that "creates" nodes by
//! assigning free fleet hosts to a group, so `converge` resizes groups on real sshd hosts.

use pallet_runtime::BoxFuture;
use pallet_runtime::action::*;
use pallet_runtime::compute::{ComputeError, ComputeService, NodeList};
use pallet_runtime::converge::converge_across;
use pallet_runtime::lift::{lift, lift_across};
use pallet_runtime::node::Node;
use pallet_runtime::operation::RunOptions;
use pallet_runtime::operation::members::Placement;
use pallet_runtime::plan::Plan;
use pallet_runtime::report::{Report, Status};
use pallet_runtime::spec::{GroupSpec, SETTINGS};
use pallet_runtime::transport::AdminUser;
use pallet_runtime::transport::ssh::{HostKeyPolicy, SshOptions};
use pallet_testkit::{Fleet, Quirk, USER};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stevedore::script;

fn options(fleet: &Fleet, state: &std::path::Path) -> RunOptions {
    RunOptions {
        user: AdminUser::new(USER).private_key(&fleet.key),
        ssh: SshOptions {
            host_keys: HostKeyPolicy::AcceptNew(fleet.dir.join("known_hosts")),
            connect_timeout: Duration::from_secs(3),
            ..SshOptions::default()
        },
        connect_retries: 0,
        controller_state: Some(state.to_path_buf()),
        ..RunOptions::default()
    }
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pallet-rel-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Fleet hosts handed out to groups: `create_nodes` assigns free hosts, `destroy_nodes` frees them.
struct FleetPool {
    hosts: Vec<(String, u16)>,
    assigned: Mutex<BTreeMap<usize, Node>>,
}

impl FleetPool {
    fn new(fleet: &Fleet) -> FleetPool {
        FleetPool {
            hosts: fleet.hosts.iter().map(|h| (h.address.clone(), fleet.port)).collect(),
            assigned: Mutex::new(BTreeMap::new()),
        }
    }
}

impl ComputeService for FleetPool {
    fn name(&self) -> &str {
        "fleet-pool"
    }

    fn nodes(&self) -> BoxFuture<'_, Result<Vec<Node>, ComputeError>> {
        let nodes = self.assigned.lock().unwrap().values().cloned().collect();
        Box::pin(async move { Ok(nodes) })
    }

    fn create_nodes<'a>(
        &'a self,
        group: &'a GroupSpec,
        count: usize,
    ) -> BoxFuture<'a, Result<Vec<Node>, ComputeError>> {
        Box::pin(async move {
            let mut a = self.assigned.lock().unwrap();
            let mut created = Vec::new();
            let mut k = 1;
            while created.len() < count {
                let name = format!("{}-{k}", group.name());
                k += 1;
                if a.values().any(|n| n.name == name) {
                    continue;
                }
                let Some(i) = (0..self.hosts.len()).find(|i| !a.contains_key(i)) else {
                    return Err(ComputeError::Provider {
                        service: "fleet-pool".into(),
                        message: "no free host".into(),
                    });
                };
                let (addr, port) = &self.hosts[i];
                let node = Node::new(name, group.name(), addr.clone()).ssh_port(*port).flag("bootstrapped");
                a.insert(i, node.clone());
                created.push(node);
            }
            Ok(created)
        })
    }

    fn destroy_nodes<'a>(&'a self, nodes: &'a [Node]) -> BoxFuture<'a, Result<(), ComputeError>> {
        Box::pin(async move {
            self.assigned.lock().unwrap().retain(|_, n| !nodes.iter().any(|d| d.id == n.id));
            Ok(())
        })
    }

    fn set_flag<'a>(&'a self, node: &'a Node, flag: &'a str) -> BoxFuture<'a, Result<(), ComputeError>> {
        Box::pin(async move {
            for n in self.assigned.lock().unwrap().values_mut().filter(|n| n.id == node.id) {
                n.flags.insert(flag.to_string());
            }
            Ok(())
        })
    }
}

#[derive(Serialize, Deserialize)]
struct Upstream {
    address: String,
}

fn app() -> GroupSpec {
    GroupSpec::new("app").unwrap().role("app").phase(SETTINGS, |ctx: &mut Plan<'_>| {
        ctx.publish("upstream", &Upstream { address: ctx.node().primary_ip.clone() });
    })
}

fn lb() -> GroupSpec {
    GroupSpec::new("lb").unwrap().phase("configure", |ctx: &mut Plan<'_>| {
        let mut text = String::new();
        for n in ctx.nodes_with_role("app") {
            match ctx.settings::<Upstream>(n, "upstream") {
                Ok(u) => text.push_str(&format!("server {};\n", u.address)),
                Err(e) => ctx.fail(e.to_string()),
            }
        }
        ctx.add(remote_file("/srv/upstreams").content(text));
    })
}

fn upstreams(fleet: &Fleet, pool: &FleetPool) -> usize {
    let a = pool.assigned.lock().unwrap();
    let (i, _) = a.iter().find(|(_, n)| n.group == "lb").expect("an lb node");
    let text = std::fs::read_to_string(fleet.hosts[*i].path("/srv/upstreams")).unwrap_or_default();
    text.lines().count()
}

fn ok(r: &Report) {
    assert!(!r.failed(), "{}", r.human());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn relationships_never_go_silently_empty_and_dependents_are_named() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 5]) else { return };
    let state = temp("deps");
    let pool: Arc<FleetPool> = Arc::new(FleetPool::new(&fleet));
    let svc: Arc<dyn ComputeService> = pool.clone();
    let o = || options(&fleet, &state);
    let place = |groups: Vec<GroupSpec>| vec![Placement::new(svc.clone(), groups)];

    // app x4 and lb together: lb lists 4 upstreams.
    let r = converge_across("converge", place(vec![app().count(4), lb().count(1)]), vec![], o()).await.unwrap();
    ok(&r);
    assert_eq!(upstreams(&fleet, &pool), 4);

    // Lifting lb alone: app provides its settings (in check mode), lb keeps 4 upstreams, no change.
    let r = lift_across(place(vec![lb()]), place(vec![app()]), o()).await.unwrap();
    ok(&r);
    assert_eq!(upstreams(&fleet, &pool), 4);
    assert_eq!(r.result("lb-1", "configure").map(|x| x.status), Some(Status::Ok), "{}", r.human());
    assert!(r.stale.is_empty(), "{:?}", r.stale);

    // Converging app to 3 without lb: lb is named stale, with the command that refreshes it.
    let r = converge_across("converge", place(vec![app().count(3)]), place(vec![lb()]), o()).await.unwrap();
    ok(&r);
    assert_eq!(r.destroyed, ["app-4"]);
    assert_eq!(upstreams(&fleet, &pool), 4, "lb did not run");
    assert_eq!(r.stale.len(), 1, "{}", r.human());
    assert_eq!((r.stale[0].group.as_str(), r.stale[0].refresh.as_str()), ("lb", "lift lb"));
    assert!(r.human().contains("STALE: group lb reads app"), "{}", r.human());

    // With dependents, the same converge refreshes lb in the same operation.
    let mut with = o();
    with.with_dependents = true;
    let r = converge_across("converge", place(vec![app().count(3)]), place(vec![lb()]), with).await.unwrap();
    ok(&r);
    assert!(r.stale.is_empty(), "{:?}", r.stale);
    assert_eq!(r.result("lb-1", "configure").map(|x| x.status), Some(Status::Changed), "{}", r.human());
    assert_eq!(upstreams(&fleet, &pool), 3);

    // Nothing changed since: nothing is stale.
    let r = converge_across("converge", place(vec![app().count(3)]), place(vec![lb()]), o()).await.unwrap();
    ok(&r);
    assert!(r.stale.is_empty(), "{:?}", r.stale);
    std::fs::remove_dir_all(state).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reading_settings_of_an_unreachable_node_is_an_error_naming_both() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 2]) else { return };
    let state = temp("unreach");
    let nodes = vec![
        Node::new("app-1", "app", fleet.hosts[0].address.clone()).ssh_port(fleet.port),
        Node::new("app-2", "app", fleet.dead_address()).ssh_port(fleet.port),
        Node::new("lb-1", "lb", fleet.hosts[1].address.clone()).ssh_port(fleet.port),
    ];
    let svc: Arc<dyn ComputeService> = Arc::new(NodeList::new(nodes));
    let mut o = options(&fleet, &state);
    o.consider_groups = vec![app()];
    let r = lift(svc, vec![lb()], o).await.unwrap();
    let lb = r.result("lb-1", "configure").unwrap();
    assert_eq!(lb.status, Status::Failed, "{}", r.human());
    let e = lb.error.clone().unwrap_or_default();
    assert!(
        e.contains("node lb-1 reads `upstream` settings of node app-2, whose settings phase did not run")
            && e.contains("could not be reached"),
        "{e}"
    );
    assert!(!fleet.hosts[1].path("/srv/upstreams").exists(), "nothing written");
    std::fs::remove_dir_all(state).unwrap();
}

#[derive(Serialize, Deserialize)]
struct Shape {
    cpus: u32,
    mem_kib: u64,
    hostname: String,
    addrs: usize,
    shell: String,
    arch: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn facts_values_handlers_variables_and_merged_groups() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 4]) else { return };
    let state = temp("values");
    let inventory = format!(
        "[group_vars.app]\nport = 80\nregion = \"group\"\n\n{}",
        (0..4)
            .map(|i| {
                let vars = if i == 0 { "vars = { port = 8080 }\n" } else { "" };
                format!(
                    "[[node]]\nname = \"app-{}\"\ngroup = \"app\"\naddress = \"{}\"\nport = {}\n{vars}\n",
                    i + 1,
                    fleet.hosts[i].address,
                    fleet.port
                )
            })
            .collect::<String>()
    );
    let svc: Arc<dyn ComputeService> = Arc::new(NodeList::from_toml(&inventory).unwrap());
    let app = GroupSpec::new("app")
        .unwrap()
        .phase(SETTINGS, |ctx: &mut Plan<'_>| {
            // A join token generated once on app-1, kept on it, secret.
            if ctx.node().name == "app-1" {
                ctx.add(
                    capture("join-token", script! { head -c 16 /dev/urandom | od -An -tx1 | tr -d " \n"; })
                        .once()
                        .secret(true),
                );
            }
        })
        .phase("configure", |ctx: &mut Plan<'_>| {
            let f = ctx.facts();
            let shape = Shape {
                cpus: f.cpus.unwrap_or(0),
                mem_kib: f.memory_kib.unwrap_or(0),
                hostname: f.hostname.clone().unwrap_or_default(),
                addrs: f.addresses.values().flatten().count(),
                shell: f.shell.clone().unwrap_or_default(),
                arch: f.arch.clone().unwrap_or_default(),
            };
            ctx.add(remote_file("/srv/facts.json").content(serde_json::to_string(&shape).unwrap()));
            let port: u16 = ctx.var("port").unwrap_or(0);
            let region: String = ctx.var("region").unwrap_or_default();
            let env_only: String = ctx.var("tier").unwrap_or_default();
            ctx.add(remote_file("/srv/vars").content(format!("{port} {region} {env_only}\n")));
            if ctx.node().name != "app-1" {
                let holder = ctx.nodes_in_group("app").into_iter().find(|n| n.name == "app-1").cloned();
                match holder.map(|h| ctx.value::<String>(&h, "join-token")) {
                    Some(Ok(t)) => ctx.add(remote_file("/srv/token").content(t).secret(true)),
                    Some(Err(e)) => ctx.fail(e.to_string()),
                    None => ctx.fail("no app-1"),
                }
            }
        });
    // A second group every node also belongs to (a node filter), merged into the same run.
    let monitored = GroupSpec::new("monitored")
        .unwrap()
        .node_filter(|_| true)
        .phase("configure", |ctx: &mut Plan<'_>| ctx.add(file("/srv/monitored")));
    let mut o = options(&fleet, &state);
    o.environment.insert("region".into(), serde_json::json!("environment"));
    o.environment.insert("tier".into(), serde_json::json!("web"));
    let r = lift(svc.clone(), vec![app.clone(), monitored.clone()], o.clone()).await.unwrap();
    ok(&r);
    // Facts match what the host says.
    let nproc = String::from_utf8(fleet.ssh(0, "getconf _NPROCESSORS_ONLN").stdout).unwrap();
    let shape: Shape =
        serde_json::from_str(&std::fs::read_to_string(fleet.hosts[0].path("/srv/facts.json")).unwrap()).unwrap();
    assert_eq!(shape.cpus.to_string(), nproc.trim());
    assert!(shape.mem_kib > 100_000 && shape.addrs >= 1 && shape.shell.starts_with('/') && !shape.arch.is_empty());
    let hostname = String::from_utf8(fleet.ssh(0, "hostname").stdout).unwrap();
    assert_eq!(shape.hostname, hostname.trim());
    // Variables: host over group over environment.
    let vars = |i: usize| std::fs::read_to_string(fleet.hosts[i].path("/srv/vars")).unwrap();
    assert_eq!(vars(0), "8080 group web\n");
    assert_eq!(vars(1), "80 group web\n");
    // The token reached the three others, byte-identical, and no report shows it.
    let token = std::fs::read_to_string(fleet.hosts[1].path("/srv/token")).unwrap();
    assert_eq!(token.len(), 32, "{token}");
    for i in 2..4 {
        assert_eq!(std::fs::read_to_string(fleet.hosts[i].path("/srv/token")).unwrap(), token);
    }
    assert!(!r.human().contains(&token) && !r.json().contains(&token));
    // Both groups' plans ran on every node.
    for i in 0..4 {
        assert!(fleet.hosts[i].path("/srv/monitored").exists());
    }
    // A second run changes nothing: the token is read back from app-1, not generated again.
    let again = lift(svc, vec![app, monitored], o).await.unwrap();
    ok(&again);
    assert_eq!(again.summary.changed, 0, "{}", again.human());
    assert_eq!(std::fs::read_to_string(fleet.hosts[3].path("/srv/token")).unwrap(), token);
    std::fs::remove_dir_all(state).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_owed_by_a_failed_run_happens_in_the_next_run() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 1]) else { return };
    let state = temp("handlers");
    let node = Node::new("web-1", "web", fleet.hosts[0].address.clone()).ssh_port(fleet.port);
    let svc: Arc<dyn ComputeService> = Arc::new(NodeList::new(vec![node]));
    let group = |version: &'static str, fail: bool| {
        GroupSpec::new("web")
            .unwrap()
            .phase("configure", move |ctx: &mut Plan<'_>| {
                ctx.add(remote_file("/srv/site.conf").content(version).flag_on_changed("site"));
                if fail {
                    ctx.add(exec_checked_script("migrate", script! { false; }));
                }
            })
            .phase("restart", |ctx: &mut Plan<'_>| {
                ctx.add(exec_script(script! {
                    if p_flagged site { echo restarted >> /srv/restarts; p_handled site; }
                }));
            })
    };
    let mut o = options(&fleet, &state);
    o.phases = vec!["configure".into(), "restart".into()];
    let restarts = || std::fs::read_to_string(fleet.hosts[0].path("/srv/restarts")).unwrap_or_default();
    // The change lands, then a failure: the restart phase does not run.
    let r = lift(svc.clone(), vec![group("v2", true)], o.clone()).await.unwrap();
    assert!(r.failed());
    assert_eq!(restarts(), "");
    // Nothing changes now, but the restart is owed: it runs, once.
    let r = lift(svc.clone(), vec![group("v2", false)], o.clone()).await.unwrap();
    ok(&r);
    assert_eq!(restarts(), "restarted\n");
    let r = lift(svc, vec![group("v2", false)], o).await.unwrap();
    ok(&r);
    assert_eq!(restarts(), "restarted\n", "handled once");
    std::fs::remove_dir_all(state).unwrap();
}
