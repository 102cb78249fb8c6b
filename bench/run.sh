#!/usr/bin/env bash
# Side-by-side benchmark (root, Debian 12): builds the release binaries, makes a Python venv with
# pyinfra 3.10.0 and ansible-core 2.19.14, then runs bench/src/bin/peer-bench.rs, which starts a
# fleet of isolated sshd hosts for each N, runs every tool (first and no-change runs, REPS times
# with the order rotating), then the large-file benchmark (64 MiB to 10 hosts, pallet vs scp),
# stops the hosts by PID and rewrites bench/RESULTS.md.
#   bench/run.sh                         # N = 1 10 100 500 1000 (Ansible up to 500)
#   REPS=1 LARGE=0 bench/run.sh 1 10     # a quick look, no large-file table
#   REPS_BIG=1 bench/run.sh              # 3 repetitions up to N=100, 1 at N=500 and 1000
#   TOOLS=pallet-probe,reference bench/run.sh 100
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=/tmp/pallet-bench/venv
if [ ! -x "$VENV/bin/ansible-playbook" ] || [ ! -x "$VENV/bin/pyinfra" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'pyinfra==3.10.0' 'ansible-core==2.19.14'
fi
# GNU time measures the controller's CPU time and peak memory.
if [ ! -x /usr/bin/time ]; then
  apt-get install -y -qq --no-install-recommends time >/dev/null
fi
cargo build --release -q -p pallet-bench --bin bench-ops --bin peer-bench
if [ $# -eq 0 ]; then set -- 1 10 100 500 1000; fi
exec target/release/peer-bench "$@"
