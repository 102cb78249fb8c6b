#!/usr/bin/env bash
# Side-by-side benchmark (root, Debian 12): builds the release binaries, makes a Python venv with
# pyinfra 3.10.0 and ansible-core 2.19.14, then runs bench/src/bin/peer-bench.rs, which starts a
# fleet of isolated sshd hosts for each N, runs every tool (first and no-change runs, REPS times
# with the order rotating), stops the hosts by PID and rewrites bench/RESULTS.md.
#   bench/run.sh              # N = 1 10 50 100
#   REPS=1 bench/run.sh 1 10  # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=/tmp/pallet-bench/venv
if [ ! -x "$VENV/bin/ansible-playbook" ] || [ ! -x "$VENV/bin/pyinfra" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'pyinfra==3.10.0' 'ansible-core==2.19.14'
fi
cargo build --release -q -p pallet-bench --bin bench-ops --bin peer-bench
exec target/release/peer-bench "$@"
