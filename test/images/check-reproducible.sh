#!/usr/bin/env bash
# Builds the same commit twice, from two separate `git archive` exports (different paths, fresh
# file mtimes), and compares the results: the layer above the base (diff ID), the config and the
# manifest digest must be identical.
#
#   test/images/check-reproducible.sh [COMMIT] [hello|prober ...]   (default: HEAD, hello)
#
# What makes it reproducible: SOURCE_DATE_EPOCH = the commit time is passed to `buildah bud
# --timestamp`, which sets the image's created time and clamps the mtime of every file in the new
# layers; the context is exactly the commit; the bases are given by reference (stand-in or digest);
# npm ci follows the lockfile; tsc output depends only on the sources. Prints one line per image.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=test/images/lib.sh
source "$here/lib.sh"
commit="$(git -C "$repo" rev-parse "${1:-HEAD}")"
shift || true
names=("${@:-hello}")
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH REVISION="$commit"
SOURCE_DATE_EPOCH="$(git -C "$repo" log -1 --format=%ct "$commit")"
status=0
for name in "${names[@]}"; do
  for run in a b; do
    mkdir -p "$tmp/$run"
    git -C "$repo" archive "$commit" | tar -x -C "$tmp/$run"
    sleep 1 # the second export's files get other mtimes
    if ! CONTEXT="$tmp/$run" IMAGE_TAG="repro-$run" bash "$here/build-images.sh" "$name" 2>"$tmp/build.log"; then
      tail -n 30 "$tmp/build.log" >&2; exit 1
    fi
  done
  a="$(bh inspect --type image "localhost/hello-edge/$name:repro-a")"
  b="$(bh inspect --type image "localhost/hello-edge/$name:repro-b")"
  summary() { jq -c '{digest: .FromImageDigest, diff_ids: .OCIv1.rootfs.diff_ids, created: .OCIv1.created}'; }
  if [ "$(summary <<<"$a")" = "$(summary <<<"$b")" ]; then
    echo "$name: reproducible: $(summary <<<"$a")"
  else
    echo "$name: NOT reproducible:"; summary <<<"$a"; summary <<<"$b"; status=1
  fi
  rm -rf "$tmp/a" "$tmp/b"
done
exit $status
