//! Benchmark (not a test): lifts a loopback fleet of N isolated sshd hosts and prints the wall
//! time of a first run and of a no-change run. Needs root.
//!
//! ```sh
//! cargo run --release -p pallet-runtime --example lift_bench -- 1 10 50
//! ```
//!
//! The workload is pyinfra-performance's: a user, a log file with mode 0777, a copied file, an
//! echo (the same workload as `bench/workload/`).

use pallet_runtime::action::*;
use pallet_runtime::compute::NodeList;
use pallet_runtime::lift::lift;
use pallet_runtime::node::Node;
use pallet_runtime::operation::RunOptions;
use pallet_runtime::plan::Plan;
use pallet_runtime::spec::GroupSpec;
use pallet_runtime::transport::AdminUser;
use pallet_runtime::transport::ssh::{HostKeyPolicy, SshOptions};
use pallet_testkit::{Fleet, Quirk, USER};
use std::sync::Arc;
use std::time::Instant;
use stevedore::script;

const TEST_FILE: &str = "This is a test file\nwith a few lines\nof text\n";

fn workload(ctx: &mut Plan<'_>) {
    ctx.add(user("pyinfra").home("/home/pyinfra").create_home(true).shell("/bin/bash"));
    ctx.add(file("/var/log/pyinfra.log").owner("pyinfra").mode(0o777));
    ctx.add(remote_file("/home/pyinfra/test_file.txt").content(TEST_FILE).owner("pyinfra"));
    ctx.add(exec_script(script! { echo "hi!"; }).unchanged());
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1, 10, 50] } else { sizes };
    println!("| N | first run (s) | no-change run (s) | changed first | changed second |");
    println!("|---:|---:|---:|---:|---:|");
    for n in sizes {
        let fleet = Fleet::start(&vec![Quirk::None; n]).expect("the benchmark needs root and sshd");
        let nodes: Vec<Node> = fleet
            .hosts
            .iter()
            .enumerate()
            .map(|(i, h)| Node::new(format!("bench-{}", i + 1), "bench", h.address.clone()).ssh_port(fleet.port))
            .collect();
        let svc = Arc::new(NodeList::new(nodes));
        let group = GroupSpec::new("bench").unwrap().phase("configure", workload);
        let options = || RunOptions {
            user: AdminUser::new(USER).private_key(&fleet.key),
            ssh: SshOptions {
                host_keys: HostKeyPolicy::AcceptNew(fleet.dir.join("known_hosts")),
                ..SshOptions::default()
            },
            ..RunOptions::default()
        };
        let t = Instant::now();
        let first = lift(svc.clone(), vec![group.clone()], options()).await.expect("lift");
        let first_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let second = lift(svc, vec![group], options()).await.expect("lift");
        let second_s = t.elapsed().as_secs_f64();
        assert!(!first.failed() && !second.failed(), "{}", second.human());
        println!("| {n} | {first_s:.2} | {second_s:.2} | {} | {} |", first.summary.changed, second.summary.changed);
    }
}
