#!/usr/bin/env bash
# Regenerates infra/imports/ (typed constructs for the CRDs infra/ emits) from the CRD YAML in
# infra/crds/ with `cdk8s import`, offline. `cdk8s import` reads only the first spec per call, so
# the CRDs of one API group are concatenated into one temporary file first. The output is never
# edited by hand: run `npm run import:crds` again instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
join() { for f in "$@"; do printf -- '---\n'; grep -v '^---$' "infra/crds/$f"; done; }
join monitoring.coreos.com_probes.yaml monitoring.coreos.com_servicemonitors.yaml monitoring.coreos.com_prometheusrules.yaml \
  > "$tmp/monitoring.coreos.com.yaml"
join gateway.networking.k8s.io_httproutes.yaml gateway.networking.k8s.io_gateways.yaml \
  > "$tmp/gateway.networking.k8s.io.yaml"
rm -rf infra/imports
for group in monitoring.coreos.com gateway.networking.k8s.io; do
  node_modules/.bin/cdk8s import --check-upgrade=false --save=false -l typescript -o infra/imports "$tmp/$group.yaml"
done
