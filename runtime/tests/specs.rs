//! Specs and plans: extends merging as Pallet did, cluster expansion, the spec macros as sugar
//! over the builders, and plan functions recording actions.

use pallet_runtime::action::*;
use pallet_runtime::node::Node;
use pallet_runtime::plan::{Plan, Target, World, plan_phase};
use pallet_runtime::spec::*;
use pallet_runtime::{cluster_spec, group_spec, node_spec, plan_fn, server_spec};
use std::sync::{Arc, Mutex};
use stevedore::Os;
use stevedore::os::{Family, Packager};

fn target(name: &str, group: &str) -> Target {
    Target::new(Node::new(name, group, "127.0.0.2"), Os::parse("debian-12").unwrap())
}

/// Runs the phase's plan functions and returns the recorded action descriptions.
fn described(spec: &ServerSpec, phase: &str) -> Vec<String> {
    let t = target("n1", "g");
    let world = World::new(vec![t.clone()]);
    let out = plan_phase(spec.effective().phase_fns(phase), &t, phase, &world);
    out.actions.iter().map(|a| a.describe()).collect()
}

fn marker(label: &'static str) -> impl Fn(&mut Plan<'_>) + Send + Sync {
    move |p: &mut Plan<'_>| p.add(file(format!("/tmp/{label}")))
}

#[test]
fn extends_runs_inherited_plan_functions_first_in_order() {
    let a = ServerSpec::new().phase("configure", marker("a")).role("base").default_phases(["configure"]);
    let b = ServerSpec::new().phase("configure", marker("b")).phase("deploy", marker("b-deploy")).role("logging");
    let own = ServerSpec::new()
        .phase("configure", marker("own"))
        .extends(a)
        .extends(b)
        .role("web")
        .default_phases(["deploy"]);
    assert_eq!(described(&own, "configure"), ["file /tmp/a", "file /tmp/b", "file /tmp/own"]);
    assert_eq!(described(&own, "deploy"), ["file /tmp/b-deploy"]);
    assert_eq!(own.effective().roles().iter().cloned().collect::<Vec<_>>(), ["base", "logging", "web"]);
    assert_eq!(own.effective().default_phases(), ["configure", "deploy"]);
}

#[test]
fn bootstrap_has_image_credentials_and_the_bootstrapped_flag() {
    let s = ServerSpec::new();
    let m = s.effective().meta(BOOTSTRAP);
    assert!(m.image_credentials);
    assert_eq!(m.flag, Some(FlagPolicy::ExecuteAndFlag("bootstrapped".into())));
    assert!(s.effective().meta(CONFIGURE).flag.is_none());
    let custom = ServerSpec::new().phase_meta("deploy", PhaseMeta::new().serial(2).concurrency(3));
    let m = custom.effective().meta("deploy");
    assert_eq!((m.concurrency, format!("{:?}", m.partition)), (Some(3), "Some(Serial(2))".to_string()));
}

#[test]
fn cluster_groups_get_prefix_roles_and_phase_order() {
    let web = GroupSpec::new("web").unwrap().count(2).phase("configure", marker("group"));
    let c = ClusterSpec::new("prod")
        .unwrap()
        .group(web)
        .role("monitored")
        .phase("configure", marker("cluster"))
        .extends(ServerSpec::new().phase("configure", marker("cluster-extends")));
    let groups = c.group_specs();
    assert_eq!(groups[0].name(), "prod-web");
    assert_eq!(groups[0].node_count(), Some(2));
    assert!(groups[0].server().effective().roles().contains("monitored"));
    assert_eq!(
        described(groups[0].server(), "configure"),
        ["file /tmp/group", "file /tmp/cluster", "file /tmp/cluster-extends"]
    );
}

#[test]
fn group_names_are_dns_labels() {
    assert!(GroupSpec::new("web-1").is_ok());
    for bad in ["Web_1", "-web", "web-", "", &"a".repeat(64)] {
        let e = GroupSpec::new(bad).unwrap_err();
        assert!(e.to_string().contains("DNS label"), "{e}");
    }
}

#[test]
fn node_spec_macro_equals_the_builder() {
    let from_macro = node_spec! {
        image = { os_family = Debian, os_version_matches = "12", login_user = "admin" },
        hardware = { min_cores = 2, min_ram = 2048, smallest = true },
        location = { location_id = "eu-west-1a" },
        network = { inbound_ports = [22, 80, 443] },
        qos = { spot_price = 0.05_f64, enable_monitoring = true },
    };
    let built = NodeSpec::new()
        .os_family(Family::Debian)
        .os_version_matches("12")
        .login_user("admin")
        .min_cores(2)
        .min_ram_mib(2048)
        .hardware_preference(HardwarePreference::Smallest)
        .location_id("eu-west-1a")
        .inbound_ports([22, 80, 443])
        .spot_price(0.05)
        .enable_monitoring(true);
    assert_eq!(from_macro, built);
}

plan_fn! {
    /// A plan function using named options, control flow and the plan's view of the world.
    fn web(ctx, greeting: &str) {
        let dbs: Vec<String> = ctx.nodes_in_group("db").iter().map(|n| n.private_address().to_string()).collect();
        package("nginx");
        remote_file("/var/www/index.html", content = format!("{greeting} db={}\n", dbs.join(",")), owner = "www-data", mode = 0o644);
        for d in ["/srv/a", "/srv/b"] {
            directory(d, mode = 0o755);
        }
        if ctx.os().packager == Some(Packager::Apt) {
            package("apt-transport-https");
        }
        helper(ctx);
        let _ = dbs.len();
        service("nginx", enable = true).start();
    }
}

plan_fn! {
    fn helper(ctx) {
        file("/tmp/helper");
    }
}

#[test]
fn plan_fn_records_actions_with_named_options() {
    let web_t = target("web-1", "web");
    let mut db_t = target("db-1", "db");
    db_t.node = db_t.node.private_ip("10.0.0.5");
    let world = World::new(vec![web_t.clone(), db_t]);
    let mut plan = Plan::new(&web_t, "configure", &world);
    web(&mut plan, "hello");
    let got: Vec<String> = plan.descriptions();
    assert_eq!(
        got,
        [
            "package nginx install",
            "remote_file /var/www/index.html (content, 18 bytes) owner www-data mode 0644",
            "directory /srv/a mode 0755",
            "directory /srv/b mode 0755",
            "package apt-transport-https install",
            "file /tmp/helper",
            "service nginx start enable",
        ]
    );
}

#[test]
fn spec_macros_build_the_same_specs_as_builders() {
    let g = group_spec! {
        name = "web",
        count = 3,
        roles = [frontend, "public"],
        packager = Apt,
        default_phases = [configure, deploy],
        phases_meta = { deploy = { serial = 1, execute_on_unflagged = "deployed" } },
        phases = { configure = |ctx: &mut Plan<'_>| { ctx.add(file("/tmp/x")); } },
        extends = [server_spec! { phases = { configure = marker("base") } }],
        node_spec = node_spec! { network = { inbound_ports = [80] } },
    };
    assert_eq!(g.name(), "web");
    assert_eq!(g.node_count(), Some(3));
    assert_eq!(g.server().effective().packager(), Some(Packager::Apt));
    assert_eq!(g.server().effective().roles().iter().cloned().collect::<Vec<_>>(), ["frontend", "public"]);
    assert_eq!(g.server().effective().meta("deploy").flag, Some(FlagPolicy::ExecuteOnUnflagged("deployed".into())));
    assert_eq!(described(g.server(), "configure"), ["file /tmp/base", "file /tmp/x"]);
    assert_eq!(g.server().effective().node_spec().network.inbound_ports, [80]);
    let c = cluster_spec! { name = "prod", groups = [g.clone()], roles = [monitored] };
    assert_eq!(c.group_specs()[0].name(), "prod-web");
}

#[test]
fn settings_published_in_one_phase_are_read_in_the_next() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Redis {
        port: u16,
    }
    let db = target("db-1", "db");
    let mut world = World::new(vec![db.clone(), target("web-1", "web")]);
    let seen = Arc::new(Mutex::new(None));
    let publish = |p: &mut Plan<'_>| p.publish("redis", &Redis { port: 6380 });
    let out = plan_phase(&[Arc::new(publish)], &db, SETTINGS, &world);
    for (facility, value) in out.published {
        world.publish(&db.node.id, &facility, value);
    }
    let seen2 = seen.clone();
    let read = move |p: &mut Plan<'_>| {
        let db = p.nodes_in_group("db")[0].clone();
        *seen2.lock().unwrap() = Some(p.settings::<Redis>(&db, "redis").unwrap());
        assert!(p.settings::<Redis>(&db, "missing").is_err());
    };
    let web = world.targets[1].clone();
    plan_phase(&[Arc::new(read)], &web, CONFIGURE, &world);
    assert_eq!(*seen.lock().unwrap(), Some(Redis { port: 6380 }));
}
