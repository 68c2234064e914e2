#!/usr/bin/env bash
# Builds the hello and prober images with `buildah bud --isolation chroot`, the way CI does here.
#
#   test/images/build-images.sh [hello] [prober]      (default: both; prober once prober/main.ts exists)
#
# Environment:
#   IMAGE_TAG          tag of the built images (default: test)
#   BUILD_IMAGE        base of the build stage   (default: the local stand-in; build-standin-base.sh)
#   RUNTIME_IMAGE      base of the runtime stage (default: the local stand-in)
#                      For the real bases, pass the Dockerfiles' defaults, e.g.
#                      BUILD_IMAGE=docker.io/library/node:24-bookworm-slim RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot
#   CONTEXT            build context (default: the work tree). The reproducibility check passes a
#                      `git archive` export of one commit.
#   SOURCE_DATE_EPOCH  created time and every file's mtime in the new layers (default: the commit time)
#   NODE_EXTRA_CA_CERTS  passed to the build stage's npm step only (the proxy CA here); never to runtime.
#                      Defaults to the CA bundle when the build base is the stand-in.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=test/images/lib.sh
source "$here/lib.sh"

context="${CONTEXT:-$repo}"
tag="${IMAGE_TAG:-test}"
build_image="${BUILD_IMAGE:-$STANDIN_BUILD_IMAGE}"
runtime_image="${RUNTIME_IMAGE:-$STANDIN_RUNTIME_IMAGE}"
revision="${REVISION:-$(git -C "$context" rev-parse HEAD 2>/dev/null || git -C "$repo" rev-parse HEAD)}"
epoch="${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct "$revision")}"
version="${VERSION:-$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' "$context/package.json" | head -n1)}"
# The stand-in build base carries this machine's CA bundle (with the proxy's CA); npm in the build
# stage needs Node to trust it. Real bases get the variable only when the caller sets it.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [[ "$build_image" == *localhost/hello-edge/node24-standin* ]]; then
  NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
source_url="${IMAGE_SOURCE:-$(git -C "$repo" remote get-url origin 2>/dev/null || echo unknown)}"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(hello)
  [ -f "$context/prober/main.ts" ] && targets+=(prober)
fi

# The stand-ins are made on demand (seconds) when they are the bases and missing or out of date.
if [[ "$build_image $runtime_image" == *localhost/hello-edge/node24-standin* ]]; then
  bash "$here/build-standin-base.sh" --if-stale >&2
fi

for name in "${targets[@]}"; do
  image="localhost/hello-edge/$name:$tag"
  started=$(date +%s)
  bh bud --isolation chroot --layers=false --timestamp "$epoch" \
    --build-arg BUILD_IMAGE="$build_image" --build-arg RUNTIME_IMAGE="$runtime_image" \
    --build-arg NODE_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS:-}" \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg SOURCE="$source_url" \
    -f "$context/Dockerfile.$name" -t "$image" "$context" >&2
  bh rmi --prune >/dev/null 2>&1 || true # the previous build under this tag (vfs keeps full copies)
  echo "$image built in $(( $(date +%s) - started ))s, digest $(bh inspect --type image --format '{{.FromImageDigest}}' "$image")"
done
