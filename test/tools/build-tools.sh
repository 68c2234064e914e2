#!/usr/bin/env bash
# Builds the manifest tools (kube-score, helm, kube-linter) into
# ${HELLO_EDGE_CACHE:-$HOME/.cache/hello-edge}/bin. The versions and the build live in one place,
# test/cluster/build.sh; this is its "tools" half.
set -euo pipefail
exec bash "$(cd "$(dirname "${BASH_SOURCE[0]}")/../cluster" && pwd)/build.sh" tools
