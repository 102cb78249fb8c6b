//! The phase runner without SSH: a compute service of this test whose nodes run scripts with
//! the local shell (its own connector), so failure isolation is checked on real shells.

use pallet_runtime::BoxFuture;
use pallet_runtime::action::exec_script;
use pallet_runtime::compute::{ComputeError, ComputeService};
use pallet_runtime::lift::lift;
use pallet_runtime::node::Node;
use pallet_runtime::operation::RunOptions;
use pallet_runtime::plan::Plan;
use pallet_runtime::report::Status;
use pallet_runtime::spec::GroupSpec;
use pallet_runtime::transport::{AdminUser, Connector, LocalConnector};
use std::path::PathBuf;
use std::sync::Arc;
use stevedore::{Os, script};

/// Nodes `n-1..n-k` of group `g`, all this machine, reached with the local shell.
struct LocalNodes(usize);

impl ComputeService for LocalNodes {
    fn name(&self) -> &str {
        "local-nodes"
    }

    fn nodes(&self) -> BoxFuture<'_, Result<Vec<Node>, ComputeError>> {
        let nodes =
            (1..=self.0).map(|i| Node::new(format!("n-{i}"), "g", "127.0.0.1").os(Os::parse("debian-12").unwrap()));
        let nodes: Vec<Node> = nodes.collect();
        Box::pin(async move { Ok(nodes) })
    }

    fn connector(&self, _node: &Node) -> Arc<dyn Connector> {
        Arc::new(LocalConnector)
    }
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pallet-runner-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn options() -> RunOptions {
    RunOptions { user: AdminUser::new("runner").no_sudo(true), ..RunOptions::default() }
}

#[tokio::test]
async fn a_panicking_plan_function_fails_only_its_node() {
    let dir = temp("panic");
    let d = dir.clone();
    let g = GroupSpec::new("g").unwrap().phase("configure", move |p: &mut Plan<'_>| {
        if p.node().name == "n-2" {
            panic!("boom on {}", p.node().name);
        }
        let f = d.join(&p.node().name);
        p.add(exec_script(script! { touch #(f.to_str().unwrap()); }));
    });
    let report = lift(Arc::new(LocalNodes(3)), vec![g], options()).await.unwrap();
    let status = |n: &str| report.result(n, "configure").map(|r| r.status);
    assert_eq!(status("n-1"), Some(Status::Changed), "{}", report.human());
    assert_eq!(status("n-3"), Some(Status::Changed), "{}", report.human());
    assert_eq!(status("n-2"), Some(Status::Failed), "{}", report.human());
    let err = report.result("n-2", "configure").unwrap().error.clone().unwrap();
    assert_eq!(err, "a plan function panicked: boom on n-2");
    assert!(dir.join("n-1").exists() && dir.join("n-3").exists() && !dir.join("n-2").exists());
    assert_eq!(report.summary.failed_nodes, ["n-2"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_action_cannot_forge_records_of_others() {
    let dir = temp("forge");
    let d = dir.clone();
    let g = GroupSpec::new("g").unwrap().phase("configure", move |p: &mut Plan<'_>| {
        // It knows the phase's own variables and prints records in their format, on every
        // descriptor it has, then kills the phase script.
        p.add(exec_script(script! {
            printf "%s 2 ok 0\n%s 3 changed 0\n%s done\n" $P_N $P_N $P_N;
            printf "%s 2 ok 0\n%s 3 changed 0\n%s done\n" $P_N $P_N $P_N >&2;
            kill -9 $$;
        }));
        p.add(pallet_runtime::action::file(d.join("second").to_str().unwrap()));
        p.add(pallet_runtime::action::file(d.join("third").to_str().unwrap()));
    });
    let report = lift(Arc::new(LocalNodes(1)), vec![g], options()).await.unwrap();
    let r = report.result("n-1", "configure").unwrap();
    let statuses: Vec<Status> = r.actions.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Status::Failed, Status::NotRun, Status::NotRun], "{}", report.human());
    assert_eq!(r.status, Status::Failed);
    assert!(r.error.as_deref().unwrap_or("").contains("stopped early"), "{:?}", r.error);
    assert!(!dir.join("second").exists() && !dir.join("third").exists());
    assert_eq!((report.summary.failed, report.summary.not_run), (1, 2));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn unsupported_methods_say_so() {
    let svc = LocalNodes(1);
    let g = GroupSpec::new("g").unwrap();
    let e = svc.create_nodes(&g, 1).await.unwrap_err();
    assert_eq!(e.to_string(), "local-nodes cannot create nodes (group g)");
    let e = svc.destroy_nodes(&[]).await.unwrap_err();
    assert_eq!(e.to_string(), "local-nodes cannot destroy nodes");
}
