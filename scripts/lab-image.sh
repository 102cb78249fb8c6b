#!/usr/bin/env bash
# Builds one image of the OS lab (runtime/tests/oslab) when it is missing, and prints its
# reference: `scripts/lab-image.sh pkg` -> `localhost/pallet-lab-pkg:<hash>`.
#
# Each image has a recipe, scripts/lab/NAME.recipe (bash, sourced): SUITE and INCLUDE for
# mmdebstrap (a minbase root from the Debian mirror), and an optional `customize ROOT` function
# run on the root before it is packed; or a `build TARBALL` function that makes the root tarball
# itself. The tag is a hash of this script and the recipe, so an image is rebuilt only when its
# recipe changed; older tags of the same image are removed. Needs root, podman and mmdebstrap.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: lab-image.sh NAME}
recipe=$here/lab/$name.recipe
[ -f "$recipe" ] || { echo "lab-image: no recipe $recipe" >&2; exit 2; }
ENGINE=${PALLET_ENGINE:-podman}
hash=$(cat "$here/lab-image.sh" "$recipe" | sha256sum | cut -c1-12)
repo=localhost/pallet-lab-$name
ref=$repo:$hash

# One build at a time per image, across test processes.
exec 9>"/run/pallet-lab-$name.lock"
flock 9
if "$ENGINE" image exists "$ref" 2>/dev/null; then
  echo "$ref"
  exit 0
fi

tmp=$(mktemp -d /var/tmp/pallet-lab-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
SUITE=bookworm
INCLUDE=
MIRROR=http://deb.debian.org/debian
customize() { :; }
# shellcheck source=/dev/null
. "$recipe"
start=$(date +%s)
if declare -F build >/dev/null; then
  build "$tmp/root.tar" >&2
else
  # shellcheck disable=SC2016 # "$1" is the hook's argument, expanded when the hook runs.
  printf 'customize() { :; }\nMIRROR=%q\n. %q\ncustomize "$1"\n' "$MIRROR" "$recipe" >"$tmp/hook.sh"
  mmdebstrap --quiet --variant=minbase ${INCLUDE:+--include="$INCLUDE"} \
    --aptopt='Acquire::Retries "3"' \
    --customize-hook="bash $tmp/hook.sh \"\$1\"" \
    "$SUITE" "$tmp/root.tar" "$MIRROR" >&2
fi
"$ENGINE" import --quiet --change "LABEL=pallet.lab.recipe=$hash" "$tmp/root.tar" "$ref" >/dev/null
# Older builds of this image.
"$ENGINE" images --format '{{.Repository}}:{{.Tag}}' "$repo" 2>/dev/null | grep -vxF "$ref" |
  xargs -r "$ENGINE" rmi -f >/dev/null 2>&1 || true
echo "lab-image: built $ref in $(($(date +%s) - start)) s" >&2
echo "$ref"
