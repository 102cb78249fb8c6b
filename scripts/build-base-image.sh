#!/usr/bin/env bash
# Builds the Debian 12 base image the quickstart and the container tests use, when it is
# missing: a minbase root with openssh-server (mmdebstrap, from the Debian mirror), imported
# into podman as localhost/pallet-debian:12. About 20 s.
set -euo pipefail
IMAGE=${PALLET_BASE_IMAGE:-localhost/pallet-debian:12}
ENGINE=${PALLET_ENGINE:-podman}
if $ENGINE image exists "$IMAGE" 2>/dev/null; then
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mmdebstrap --quiet --variant=minbase --include=openssh-server,iproute2,procps,ca-certificates \
  bookworm "$tmp/rootfs.tar" http://deb.debian.org/debian
$ENGINE import --quiet "$tmp/rootfs.tar" "$IMAGE" >/dev/null
echo "built $IMAGE"
