#!/usr/bin/env bash
# Builds, once, the pinned Go programs the real-tool test tiers use, into a cache outside the work
# tree: the local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok)
# the manifest tools (kube-score, helm, kube-linter), and the monitoring chain's real consumers (the
# Prometheus Operator, with its release's CRDs, and an upstream Prometheus with Kubernetes service
# discovery, which Debian's prometheus package lacks).
#
# Usage: bash test/cluster/build.sh [all|cluster|tools|monitoring]   (default: all)
#
# No release binaries can be downloaded here, so everything is compiled from the Go module proxy.
# k8s.io/kubernetes and etcd's server module carry `replace` directives, so `go install pkg@ver`
# refuses them: they are built inside small wrapper modules kept in $CACHE/src.
# A binary is skipped when it exists and its stamp file ($CACHE/bin/.NAME.stamp) records the same
# version and Go version, so a second run takes a second.
#
# Environment:
#   HELLO_EDGE_CACHE  cache root (default: $HOME/.cache/hello-edge); binaries in $CACHE/bin
#   GOMODCACHE, GOCACHE  Go's own caches (Go's defaults); keep them between CI runs when possible
#   HELLO_EDGE_TOOLS_SRC  folder of the source tarballs of tools the proxy refuses (default:
#                     <repo>/../shared/tools-src, the shared folder beside the project's clone)
#
# kube-linter: the proxy here refuses golang.stackrox.io/kube-linter (403), so when `go install`
# cannot fetch it, it is built from $HELLO_EDGE_TOOLS_SRC/kube-linter-$KUBE_LINTER_VERSION.tar.gz
# (a `git archive` of the tag, checked against its sha256 below); its dependencies come from the proxy.
#
# Exit status: non-zero when any component failed to build; the others are still attempted. A tool
# that can be built neither way (kube-linter with no proxy and no tarball) is reported as
# unavailable and does not fail the run; its tests skip, or fail under CI=true.
set -euo pipefail

# Pinned versions. k8s.io/kubernetes v1.35.4 needs its staging modules at v0.35.4.
K8S_VERSION=v1.35.4
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
KUBE_SCORE_VERSION=v1.20.0
HELM_VERSION=v4.3.1
KUBE_LINTER_VERSION=v0.8.3
# sha256 of `git archive --prefix=kube-linter-v0.8.3/` of tag v0.8.3 (commit 10ae003038c8).
KUBE_LINTER_TARBALL_SHA256=420e51904179358caaeb2c86b0a790938ba9de2f4b4b48c083a57cdfe19abc59
# The operator at the version of the CRDs in infra/crds; Prometheus 3.x is served as v0.3XX.Y
# (v0.316.0 = Prometheus 3.16.0).
PROMETHEUS_OPERATOR_VERSION=v0.93.0
PROMETHEUS_VERSION=v0.316.0

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_SRC="${HELLO_EDGE_TOOLS_SRC:-$REPO/../shared/tools-src}"
CACHE="${HELLO_EDGE_CACHE:-$HOME/.cache/hello-edge}"
BIN="$CACHE/bin"
SRC="$CACHE/src"
mkdir -p "$BIN" "$SRC"

# Never switch to another Go toolchain behind our back; the machine's Go (1.26) builds all of these.
export GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
GO_VERSION="$(go env GOVERSION)"

FAILED=()
UNAVAILABLE=()
BUILT=()
SKIPPED=()

log() { printf '[build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# stamp_ok NAME VERSION: true when $BIN/NAME exists and was built at VERSION with this Go.
stamp_ok() {
  [[ -x "$BIN/$1" && -f "$BIN/.$1.stamp" && "$(cat "$BIN/.$1.stamp")" == "$2 $GO_VERSION" ]]
}
write_stamp() { printf '%s %s\n' "$2" "$GO_VERSION" >"$BIN/.$1.stamp"; }

# run_step LABEL FUNCTION NAMES... : runs FUNCTION unless every NAME is already stamped; times it.
run_step() {
  local label="$1" fn="$2" version="$3"
  shift 3
  local name missing=0
  for name in "$@"; do stamp_ok "$name" "$version" || missing=1; done
  if [[ $missing == 0 ]]; then
    SKIPPED+=("$label")
    log "$label $version: present, skipped"
    return 0
  fi
  log "$label $version: building"
  local start=$SECONDS
  # Not `if ( ... )`: errexit is ignored inside a condition, and a failed step must stop at once.
  local rc
  set +e
  ( set -euo pipefail; "$fn" )
  rc=$?
  set -e
  if [[ $rc == 0 ]]; then
    for name in "$@"; do write_stamp "$name" "$version"; done
    BUILT+=("$label")
    log "$label $version: built in $((SECONDS - start))s"
  elif [[ $rc == 3 ]]; then
    UNAVAILABLE+=("$label")
    log "$label $version: UNAVAILABLE (no source to build from), not built"
  else
    FAILED+=("$label")
    log "$label $version: FAILED after $((SECONDS - start))s"
  fi
}

# --- control plane -------------------------------------------------------------------------------

build_kubernetes() {
  local dir="$SRC/kubernetes-$K8S_VERSION" minor="${K8S_VERSION#v1.}"
  local staging="v0.$minor"
  mkdir -p "$dir"
  cd "$dir"
  if [[ ! -f go.mod ]]; then
    go mod init hello-edge.local/kubernetes >/dev/null 2>&1
  fi
  # k/k requires every staging module at v0.0.0 and replaces it with ./staging/src/...; point each
  # at its published v0.X.Y instead, taking the list from k/k's own go.mod.
  local gomod
  gomod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | jq -r .GoMod)"
  local m
  for m in $(go mod edit -json "$gomod" | jq -r '.Replace[]? | select(.New.Path | startswith("./staging/")) | .Old.Path'); do
    go mod edit -replace="$m=$m@$staging"
  done
  go mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
  cat >tools.go <<'EOF'
//go:build tools

// Package tools pins the Kubernetes commands this wrapper module builds.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
EOF
  go mod tidy
  local v="k8s.io/component-base/version"
  local ldflags="-s -w -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=${minor%%.*} -X $v.gitTreeState=clean"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=${minor%%.*}"
  # One go build for the three commands: their shared packages compile once.
  go build -trimpath -ldflags "$ldflags" -o "$BIN/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler
}

build_etcd() {
  local dir="$SRC/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  cd "$dir"
  [[ -f go.mod ]] || go mod init hello-edge.local/etcd >/dev/null 2>&1
  # server/main.go is package main: the module root is the etcd command itself.
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
}

KWOK_STAGES="$CACHE/share/kwok/stages.yaml"

build_kwok() {
  GOBIN="$BIN" go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  # Standalone kwok needs its stages as config (kwokctl embeds these same files): node-initialize,
  # heartbeat with leases, and the "fast" pod stages. control-plane.sh passes them to --config.
  local dir f first=1
  dir="$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | jq -r .Dir)"
  mkdir -p "$(dirname "$KWOK_STAGES")"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    ((first)) || echo '---'
    first=0
    cat "$dir/kustomize/stage/$f"
  done >"$KWOK_STAGES.tmp"
  mv "$KWOK_STAGES.tmp" "$KWOK_STAGES"
}

# --- manifest tools ------------------------------------------------------------------------------

build_kube_score() {
  GOBIN="$BIN" go install -trimpath \
    -ldflags "-s -w -X main.version=${KUBE_SCORE_VERSION#v}" \
    "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION"
}

build_helm() {
  local major="${HELM_VERSION%%.*}"
  GOBIN="$BIN" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/$major/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/$major/cmd/helm@$HELM_VERSION"
}

build_kube_linter() {
  local ldflags="-s -w -X golang.stackrox.io/kube-linter/internal/version.version=${KUBE_LINTER_VERSION#v}"
  if go mod download -json "golang.stackrox.io/kube-linter@$KUBE_LINTER_VERSION" >/dev/null 2>&1; then
    GOBIN="$BIN" go install -trimpath -ldflags "$ldflags" "golang.stackrox.io/kube-linter/cmd/kube-linter@$KUBE_LINTER_VERSION"
    return
  fi
  local tarball="$TOOLS_SRC/kube-linter-$KUBE_LINTER_VERSION.tar.gz"
  log "kube-linter: the Go module proxy does not serve golang.stackrox.io/kube-linter; building from $tarball"
  if [[ ! -f "$tarball" ]]; then
    log "kube-linter: no $tarball (set HELLO_EDGE_TOOLS_SRC to the folder holding it)"
    return 3
  fi
  echo "$KUBE_LINTER_TARBALL_SHA256  $tarball" | sha256sum --check --quiet
  # A fresh copy each time: the tarball is the source of truth, never a half-extracted leftover.
  local dir="$SRC/kube-linter-$KUBE_LINTER_VERSION"
  rm -rf "$dir"
  tar xzf "$tarball" -C "$SRC"
  cd "$dir"
  go build -trimpath -ldflags "$ldflags" -o "$BIN/kube-linter" ./cmd/kube-linter
}

# --- monitoring chain ----------------------------------------------------------------------------

OPERATOR_CRDS="$CACHE/share/prometheus-operator-$PROMETHEUS_OPERATOR_VERSION/crds"

build_prometheus_operator() {
  local dir="$SRC/prometheus-operator-$PROMETHEUS_OPERATOR_VERSION" mod=github.com/prometheus-operator/prometheus-operator
  mkdir -p "$dir"
  cd "$dir"
  # The operator's go.mod replaces its own pkg/apis/monitoring and pkg/client sub-modules with local
  # folders, so `go install` refuses it. A wrapper module takes its requirements without the
  # replaces (the proxy serves both sub-modules at the same version) and requires the operator.
  # (`go mod tidy` fails here: a test dependency imports cloud.google.com/go/compute/metadata
  # ambiguously; -mod=mod resolves only what the build needs.)
  local info gomod moddir
  info="$(go mod download -json "$mod@$PROMETHEUS_OPERATOR_VERSION")"
  gomod="$(jq -r .GoMod <<<"$info")"
  moddir="$(jq -r .Dir <<<"$info")"
  cp "$gomod" go.mod
  chmod u+w go.mod
  go mod edit -module=hello-edge.local/prometheus-operator -dropreplace="$mod/pkg/apis/monitoring" \
    -dropreplace="$mod/pkg/client" -require="$mod@$PROMETHEUS_OPERATOR_VERSION"
  local v=github.com/prometheus/common/version
  go build -trimpath -ldflags "-s -w -X $v.Version=${PROMETHEUS_OPERATOR_VERSION#v} -X $v.Branch=release" \
    -o "$BIN/prometheus-operator" "$mod/cmd/operator"
  # The release's full CRD set: the operator starts no controller until the Prometheus CRD and its
  # siblings exist. control-plane.sh installs them from here when asked to.
  mkdir -p "$OPERATOR_CRDS.tmp"
  cp "$moddir"/example/prometheus-operator-crd/monitoring.coreos.com_*.yaml "$OPERATOR_CRDS.tmp/"
  chmod -R u+w "$OPERATOR_CRDS.tmp"
  rm -rf "$OPERATOR_CRDS"
  mv "$OPERATOR_CRDS.tmp" "$OPERATOR_CRDS"
}

# Prometheus's own build tags: every service discovery but Kubernetes (and the static and file ones,
# always built in) left out, so the cloud SDKs they pull in are not compiled.
PROMETHEUS_TAGS=remove_all_sd,enable_kubernetes_sd

build_prometheus() {
  # Installed as prometheus3, beside (not instead of) Debian's prometheus 2.42, which the
  # static-config tests use (and whose promtool the rule tests use).
  local dir="$SRC/prometheus-$PROMETHEUS_VERSION" mod=github.com/prometheus/prometheus
  mkdir -p "$dir"
  cd "$dir"
  [[ -f go.mod ]] || go mod init hello-edge.local/prometheus >/dev/null 2>&1
  go get "$mod@$PROMETHEUS_VERSION"
  local minor="${PROMETHEUS_VERSION#v0.}" release v=github.com/prometheus/common/version
  release="3.$((10#${minor:1:2})).${minor#*.}"
  go build -trimpath -tags "$PROMETHEUS_TAGS" -ldflags "-s -w -X $v.Version=$release -X $v.Branch=release" -o "$BIN/prometheus3" \
    "$mod/cmd/prometheus"
}

# --- main ----------------------------------------------------------------------------------------

for tool in go jq; do
  command -v "$tool" >/dev/null || { log "missing $tool (Debian: apt-get install -y ${tool/go/golang})"; exit 2; }
done

what="${1:-all}"
case "$what" in all | cluster | tools | monitoring) ;; *) echo "usage: $0 [all|cluster|tools|monitoring]" >&2; exit 2 ;; esac

total_start=$SECONDS
log "cache $CACHE, $GO_VERSION, GOMODCACHE $(go env GOMODCACHE), GOCACHE $(go env GOCACHE)"
if [[ $what == all || $what == cluster ]]; then
  # Minimum first: etcd and the API server; then what makes scheduling real.
  run_step etcd build_etcd "$ETCD_VERSION" etcd
  run_step kubernetes build_kubernetes "$K8S_VERSION" kube-apiserver kube-controller-manager kube-scheduler
  [[ -f "$KWOK_STAGES" ]] || rm -f "$BIN/.kwok.stamp"
  run_step kwok build_kwok "$KWOK_VERSION" kwok
fi
if [[ $what == all || $what == tools ]]; then
  run_step kube-score build_kube_score "$KUBE_SCORE_VERSION" kube-score
  run_step helm build_helm "$HELM_VERSION" helm
  run_step kube-linter build_kube_linter "$KUBE_LINTER_VERSION" kube-linter
fi
if [[ $what == all || $what == monitoring ]]; then
  [[ -d "$OPERATOR_CRDS" ]] || rm -f "$BIN/.prometheus-operator.stamp"
  run_step prometheus-operator build_prometheus_operator "$PROMETHEUS_OPERATOR_VERSION" prometheus-operator
  run_step prometheus build_prometheus "$PROMETHEUS_VERSION+$PROMETHEUS_TAGS" prometheus3
fi

log "done in $((SECONDS - total_start))s; built: ${BUILT[*]:-none}; present: ${SKIPPED[*]:-none}; unavailable: ${UNAVAILABLE[*]:-none}; failed: ${FAILED[*]:-none}"
ls -la "$BIN" >&2
[[ ${#FAILED[@]} == 0 ]]
