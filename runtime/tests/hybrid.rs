//! Hybrid operations and per-group image credentials, with real podman containers (the locally
//! built Debian base image) and the loopback SSH fleet.

use pallet_runtime::action::*;
use pallet_runtime::compute::{ComputeService, Containers, NodeList};
use pallet_runtime::converge::converge_across;
use pallet_runtime::library::bootstrap;
use pallet_runtime::node::Node;
use pallet_runtime::operation::RunOptions;
use pallet_runtime::operation::members::Placement;
use pallet_runtime::plan::Plan;
use pallet_runtime::report::Report;
use pallet_runtime::spec::{BOOTSTRAP, GroupSpec, NodeSpec, SETTINGS};
use pallet_runtime::transport::AdminUser;
use pallet_runtime::transport::ssh::{HostKeyPolicy, SshOptions};
use pallet_testkit::{Fleet, Quirk, USER};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use stevedore::script;

const IMAGE: &str = "localhost/pallet-debian:12";
/// The base image plus a login user `debian` with passwordless sudo, as cloud images have.
const LOGIN_IMAGE: &str = "localhost/pallet-debian-login:12";

fn sh(c: &str) -> bool {
    Command::new("sh").arg("-c").arg(c).status().map(|s| s.success()).unwrap_or(false)
}

/// Builds the base image (and the login-user image) when missing; `None` (skip) outside CI
/// without podman.
fn images(login_image: bool) -> Option<()> {
    if !sh("command -v podman >/dev/null && command -v mmdebstrap >/dev/null && [ \"$(id -u)\" = 0 ]") {
        assert!(!pallet_testkit::required(), "CI must run the container tests (podman, mmdebstrap, root)");
        eprintln!("skipping: needs root, podman and mmdebstrap");
        return None;
    }
    assert!(sh(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/build-base-image.sh")), "base image");
    if login_image && !sh(&format!("podman image exists {LOGIN_IMAGE}")) {
        let name = format!("pallet-login-build-{}", std::process::id());
        let setup = "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sudo >/dev/null \
                     && useradd -m -s /bin/sh debian && echo 'debian ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/debian";
        let built = sh(&format!(
            "podman --runtime runc run --name {name} --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 {IMAGE} sh -c \"{setup}\" \
             && podman commit -q {name} {LOGIN_IMAGE} >/dev/null"
        ));
        sh(&format!("podman rm -f {name} >/dev/null 2>&1"));
        assert!(built, "building {LOGIN_IMAGE} failed");
    }
    Some(())
}

/// Removes containers of `groups` left by an earlier, interrupted run of these tests (they would
/// be adopted, with another key).
fn clean(groups: &[&str]) {
    for g in groups {
        sh(&format!(
            "podman --runtime runc ps -a -q --filter label=pallet.group={g} | xargs -r podman --runtime runc rm -f -t 0 >/dev/null"
        ));
    }
}

fn containers(key: &Path, state: &Path) -> Arc<dyn ComputeService> {
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    Arc::new(
        Containers::new("podman", IMAGE)
            .engine_args(["--runtime", "runc"])
            .run_args(["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"])
            .authorized_key(public)
            .state_dir(state.join("containers")),
    )
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pallet-hybrid-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn options(user: &str, key: &Path, state: &Path) -> RunOptions {
    RunOptions {
        user: AdminUser::new(user).private_key(key),
        image_user: Some(AdminUser::new("root").private_key(key)),
        ssh: SshOptions { host_keys: HostKeyPolicy::AcceptNew(state.join("known_hosts")), ..SshOptions::default() },
        controller_state: Some(state.join("controller")),
        ..RunOptions::default()
    }
}

fn exec_in(container: &str, cmd: &str) -> String {
    let out = Command::new("podman").args(["--runtime", "runc", "exec", container, "sh", "-c", cmd]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ok(r: &Report) {
    assert!(!r.failed(), "{}", r.human());
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Db {
    host: String,
}

/// Containers and a node list of fleet hosts in one converge, with a settings relationship
/// from the fleet group to the container group.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_converge_across_containers_and_a_node_list() {
    let Some(()) = images(false) else { return };
    let Some(fleet) = Fleet::start(&[Quirk::None]) else { return };
    clean(&["hweb"]);
    let state = temp("hybrid");
    let containers = containers(&fleet.key, &state);
    let fleet_nodes: Arc<dyn ComputeService> =
        Arc::new(NodeList::new(vec![Node::new("hdb-1", "hdb", fleet.hosts[0].address.clone()).ssh_port(fleet.port)]));
    let db = GroupSpec::new("hdb").unwrap().count(1).phase(SETTINGS, |ctx: &mut Plan<'_>| {
        ctx.publish("db", &Db { host: ctx.node().primary_ip.clone() });
    });
    let web = GroupSpec::new("hweb")
        .unwrap()
        .count(1)
        .node_spec(NodeSpec::new().login_user("root"))
        .phase(BOOTSTRAP, bootstrap)
        .phase("configure", |ctx: &mut Plan<'_>| {
            let mut text = String::new();
            for n in ctx.nodes_in_group("hdb") {
                match ctx.settings::<Db>(n, "db") {
                    Ok(d) => text.push_str(&format!("{} {}\n", n.name, d.host)),
                    Err(e) => ctx.fail(e.to_string()),
                }
            }
            ctx.add(remote_file("/etc/dbs").content(text));
        });
    let placements = vec![Placement::new(containers.clone(), vec![web.clone()]), Placement::new(fleet_nodes, vec![db])];
    let r = converge_across("converge", placements.clone(), vec![], options(USER, &fleet.key, &state)).await.unwrap();
    ok(&r);
    assert_eq!(r.created, ["hweb-1"]);
    assert_eq!(exec_in("hweb-1", "cat /etc/dbs"), format!("hdb-1 {}\n", fleet.hosts[0].address));
    // Again: nothing changes on either service.
    let again = converge_across("converge", placements, vec![], options(USER, &fleet.key, &state)).await.unwrap();
    ok(&again);
    assert_eq!(again.summary.changed, 0, "{}", again.human());
    let gone = converge_across(
        "converge",
        vec![Placement::new(containers, vec![web.count(0)])],
        vec![],
        options(USER, &fleet.key, &state),
    )
    .await
    .unwrap();
    ok(&gone);
    assert_eq!(gone.destroyed, ["hweb-1"]);
    std::fs::remove_dir_all(state).unwrap();
}

/// Two groups on images whose login users differ (root, debian) bootstrap in one converge, each
/// as its image's user, then both are configured as the admin user.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn groups_on_images_with_different_login_users_bootstrap_together() {
    let Some(()) = images(true) else { return };
    clean(&["lroot", "ldebian"]);
    let state = temp("logins");
    let key = state.join("id_ed25519");
    assert!(sh(&format!("ssh-keygen -q -t ed25519 -N '' -f {}", key.display())));
    let svc = containers(&key, &state);
    let group = |name: &str, spec: NodeSpec| {
        GroupSpec::new(name)
            .unwrap()
            .count(1)
            .node_spec(spec)
            .phase(BOOTSTRAP, |ctx: &mut Plan<'_>| {
                ctx.add(exec_script(script! { who=$(id -un); echo ${SUDO_USER:-$who} > /root/bootstrapped-by; }));
                bootstrap(ctx);
            })
            .phase("configure", |ctx: &mut Plan<'_>| {
                ctx.add(exec_script(script! { who=$(id -un); echo ${SUDO_USER:-$who} > /root/configured-by; }));
            })
    };
    let groups = vec![
        group("lroot", NodeSpec::new().login_user("root")),
        group("ldebian", NodeSpec::new().image_id(LOGIN_IMAGE).login_user("debian")),
    ];
    let r = converge_across(
        "converge",
        vec![Placement::new(svc.clone(), groups.clone())],
        vec![],
        options("admin", &key, &state),
    )
    .await
    .unwrap();
    ok(&r);
    assert_eq!(exec_in("lroot-1", "cat /root/bootstrapped-by"), "root\n");
    assert_eq!(exec_in("ldebian-1", "cat /root/bootstrapped-by"), "debian\n");
    for c in ["lroot-1", "ldebian-1"] {
        assert_eq!(exec_in(c, "cat /root/configured-by"), "admin\n", "{c}");
    }
    let gone: Vec<GroupSpec> = groups.into_iter().map(|g| g.count(0)).collect();
    let r = converge_across("converge", vec![Placement::new(svc, gone)], vec![], options("admin", &key, &state))
        .await
        .unwrap();
    ok(&r);
    std::fs::remove_dir_all(state).unwrap();
}
