#!/usr/bin/env bash
# The quickstart on a fresh Debian 12 machine (as root): installs podman, runc, mmdebstrap and
# the OpenSSH client, builds the base image if missing, and converges the example cluster
# (web x2, db x1) on local containers. Arguments go to the example: `scripts/quickstart.sh
# converge web=0 db=0` removes everything.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for p in podman runc uidmap mmdebstrap openssh-client containernetworking-plugins iptables; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
scripts/build-base-image.sh
if [ $# -eq 0 ]; then set -- converge web=2 db=1; fi
exec cargo run --quiet --example quickstart -- "$@"
