//! The benchmark's ops binary: the pyinfra-performance workload as a pallet group `bench`, and a
//! group `big` that pushes the file `$BENCH_BIG_FILE` (the large-file benchmark).
//! `bench-ops --config pallet.toml lift` (see `peer-bench`).

use pallet::prelude::*;

const TEST_FILE: &str = include_str!("../../workload/test_file.txt");

plan_fn! {
    fn workload(ctx) {
        user("pyinfra", home = "/home/pyinfra", create_home = true, shell = "/bin/bash");
        file("/var/log/pyinfra.log", owner = "pyinfra", mode = 0o777);
        remote_file("/home/pyinfra/test_file.txt", content = TEST_FILE, owner = "pyinfra");
        exec_script(script! { echo "hi!"; }).unchanged();
    }
}

plan_fn! {
    fn big_file(ctx) {
        let path = std::env::var("BENCH_BIG_FILE").unwrap_or_default();
        remote_file("/srv/big.bin").local_file(path).backup(false);
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pallet::cli::run([
        group_spec! { name = "bench", phases = { configure = workload } },
        group_spec! { name = "big", phases = { configure = big_file } },
    ])
    .await
}
