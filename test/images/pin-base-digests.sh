#!/usr/bin/env bash
# Pins the default base images of Dockerfile.hello and Dockerfile.prober by digest: for each
# `ARG BUILD_IMAGE=` / `ARG RUNTIME_IMAGE=` default, asks the registry for the manifest the tag
# names now (the multi-arch index, so every platform keeps working) and rewrites the default as
# `NAME:TAG@sha256:DIGEST`. Run it where the registries are reachable (not on the project's
# machines), review the diff, build, and commit. `--check` only reports defaults without a digest
# (exit 1 if any), for a release pipeline.
#
#   test/images/pin-base-digests.sh [--check]     (needs skopeo: apt-get install skopeo)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
check=false
[ "${1:-}" = --check ] && check=true
status=0
for file in "$repo/Dockerfile.hello" "$repo/Dockerfile.prober"; do
  while IFS= read -r line; do
    name="${line%%=*}"; name="${name#ARG }"
    ref="${line#*=}"
    tag_ref="${ref%@sha256:*}"
    if $check; then
      if [ "$ref" = "$tag_ref" ]; then echo "$(basename "$file"): $name=$ref has no digest"; status=1; fi
      continue
    fi
    # The digest of the raw top-level manifest is what `NAME@sha256:` refers to.
    digest="sha256:$(skopeo inspect --raw "docker://$tag_ref" | sha256sum | cut -d' ' -f1)"
    sed -i "s|^ARG $name=.*|ARG $name=$tag_ref@$digest|" "$file"
    echo "$(basename "$file"): $name=$tag_ref@$digest"
  done < <(grep -E '^ARG (BUILD|RUNTIME)_IMAGE=' "$file")
done
exit $status
