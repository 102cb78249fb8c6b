#!/usr/bin/env bash
# Build-time cost of the macros: a crate with 200 `script!` and 50 `plan_fn!` invocations against
# the same crate with the macro output replaced by string constants and builder calls. The
# dependencies are built once (shared target dir); each crate is then rebuilt alone 5 times and
# the median reported. Prints a markdown table (and appends it to bench/RESULTS.md with --append).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d /tmp/pallet-buildtime.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR=$repo/target/buildtime
# Whole-crate rebuilds: incremental compilation would reuse the unchanged crate.
export CARGO_INCREMENTAL=0
python3 - "$work" "$repo" <<'PY'
import sys, os
work, repo = sys.argv[1], sys.argv[2]
for name in ["macro_heavy", "constants"]:
    os.makedirs(f"{work}/{name}/src", exist_ok=True)
    open(f"{work}/{name}/Cargo.toml", "w").write(
        f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2024"\n\n[dependencies]\npallet = {{ path = "{repo}" }}\n')
open(f"{work}/Cargo.toml", "w").write('[workspace]\nmembers = ["macro_heavy", "constants"]\nresolver = "2"\n')
m = ["use pallet::prelude::*;\n"]
c = ["use pallet::prelude::*;\nuse pallet::plan::Plan;\n"]
for i in range(200):
    m.append(f'pub fn s{i}() -> Script {{ script! {{ if [ -f /etc/app{i}.conf ] {{ echo found "app {i}"; grep -v "^#" /etc/app{i}.conf > /tmp/out{i}; }} else {{ mkdir -p /srv/d{i} && chmod 755 /srv/d{i}; }} }} }}\n')
    text = (f"if [ -f /etc/app{i}.conf ]; then\\n  echo found 'app {i}'\\n  grep -v '^#' /etc/app{i}.conf >/tmp/out{i}\\n"
            f"else\\n  mkdir -p /srv/d{i} && chmod 755 /srv/d{i}\\nfi\\n")
    c.append(f'pub fn s{i}() -> Script {{ Script::raw("{text}") }}\n')
for i in range(50):
    m.append(f'plan_fn! {{ pub fn p{i}(ctx) {{ package("pkg{i}"); remote_file("/etc/f{i}", content = "x{i}\\n", mode = 0o644, owner = "root"); service("svc{i}").start(); }} }}\n')
    c.append(f'pub fn p{i}(ctx: &mut Plan<\'_>) {{ ctx.add(package("pkg{i}")); ctx.add(remote_file("/etc/f{i}").content("x{i}\\n").mode(0o644).owner("root")); ctx.add(service("svc{i}").start()); }}\n')
open(f"{work}/macro_heavy/src/lib.rs", "w").write("".join(m))
open(f"{work}/constants/src/lib.rs", "w").write("".join(c))
PY
cd "$work"
cargo build -q
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A t
for crate in macro_heavy constants; do
  t[$crate]=$(for i in 1 2 3 4 5; do
    touch "$crate/src/lib.rs"
    s=$(date +%s.%N); cargo build -q -p "$crate"; e=$(date +%s.%N)
    echo "$e - $s" | bc
  done | median)
done
ratio=$(echo "scale=2; ${t[macro_heavy]} / ${t[constants]}" | bc)
table=$(printf '## Build time of the macros (%s)\n\n| crate | rebuild (s, median of 5) |\n|---|---:|\n| 200 `script!` + 50 `plan_fn!` | %.2f |\n| same output as constants and builder calls | %.2f |\n| ratio | %s |\n' \
  "$(date -u +%Y-%m-%d)" "${t[macro_heavy]}" "${t[constants]}" "$ratio")
echo "$table"
if [ "${1:-}" = --append ]; then printf '\n%s\n' "$table" >> "$repo/bench/RESULTS.md"; fi
