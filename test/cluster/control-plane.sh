#!/usr/bin/env bash
# A real, local Kubernetes control plane for tests, on loopback only.
#
# Usage: bash test/cluster/control-plane.sh start [--minimal] | stop | env | status
#
#   start   generates certificates, starts etcd + kube-apiserver, then (when built, unless --minimal)
#           kube-controller-manager + kube-scheduler + kwok, writes $DIR/kubeconfig, waits for
#           /readyz, installs the CRDs, and with kwok creates 6 fake Ready nodes in zone-a|b|c.
#           Idempotent: a plane already running in $DIR is left as it is.
#   stop    stops every process this script started in $DIR (pids in $DIR/pids) and removes $DIR.
#   env     prints `export KUBECONFIG=$DIR/kubeconfig`.
#   status  prints the components running and the ports, exits non-zero when the API is not ready.
#
# Environment:
#   HELLO_EDGE_CLUSTER_DIR   state directory (default /tmp/hello-edge-cluster)
#   HELLO_EDGE_CACHE         where build.sh put the binaries ($CACHE/bin; default ~/.cache/hello-edge)
#   HELLO_EDGE_APISERVER_PORT, HELLO_EDGE_ETCD_PORT, HELLO_EDGE_ETCD_PEER_PORT
#                            fixed ports; unset = a free loopback port each
#   HELLO_EDGE_CRDS_DIR      CRD folders, ":"-separated (default: infra/crds in the repo, else
#                            ../shared/crds); a file name found in two folders is taken from the
#                            first (e.g. infra/crds:$CACHE/share/prometheus-operator-v0.93.0/crds
#                            adds the operator's full CRD set, which build.sh copies there)
#   KUBECTL                  kubectl to use (default: kubectl on PATH)
#
# Fake pods (kwok): every scheduled pod becomes Running and Ready at once, except pods with a
# container image containing "never-ready": those run but never become Ready, which is how a
# test expresses a rollout that can never finish.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(git -C "$SCRIPT_DIR" rev-parse --show-toplevel 2>/dev/null || (cd "$SCRIPT_DIR/../.." && pwd))"
DIR="${HELLO_EDGE_CLUSTER_DIR:-/tmp/hello-edge-cluster}"
CACHE="${HELLO_EDGE_CACHE:-$HOME/.cache/hello-edge}"
KUBECTL="${KUBECTL:-kubectl}"
MARKER="$DIR/.hello-edge-cluster"
ZONES=(zone-a zone-b zone-c)
NODE_COUNT=6
SERVICE_CIDR=10.96.0.0/16

log() { printf '[control-plane %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# find_bin NAME: $CACHE/bin/NAME, else NAME on PATH, else empty.
find_bin() {
  if [[ -x "$CACHE/bin/$1" ]]; then echo "$CACHE/bin/$1"; else command -v "$1" || true; fi
}

# free_port: a loopback TCP port nobody listens on now (random in 20000-32767).
free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 12768))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      # Not taken by another component of this start either.
      if [[ " ${TAKEN_PORTS:-} " != *" $p "* ]]; then
        TAKEN_PORTS="${TAKEN_PORTS:-} $p"
        echo "$p"
        return 0
      fi
    fi
  done
  die "no free port found"
}

# running PID: the process exists and is not a zombie waiting for whoever adopted it to reap it.
running() {
  kill -0 "$1" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

pid_alive() {
  local f="$DIR/pids/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ -n "$pid" ]] && running "$pid" && [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == *"$DIR"* ]]
}

# launch NAME BINARY ARGS...: starts a component in its own session, logs to $DIR/logs/NAME.log.
launch() {
  local name="$1"
  shift
  setsid "$@" >"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/pids/$name.pid"
  echo "$name" >>"$DIR/components"
}

kc() { "$KUBECTL" --kubeconfig "$DIR/kubeconfig" "$@"; }

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds; false on timeout.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 0.2
  done
}

check_alive() {
  local name="$1"
  pid_alive "$name" || {
    tail -n 30 "$DIR/logs/$name.log" >&2 || true
    die "$name exited; log: $DIR/logs/$name.log"
  }
}

api_ready() {
  curl -fsS --max-time 2 --cacert "$DIR/pki/ca.crt" --cert "$DIR/pki/admin.crt" --key "$DIR/pki/admin.key" \
    "https://127.0.0.1:$API_PORT/readyz" >/dev/null
}

# --- certificates --------------------------------------------------------------------------------

gen_pki() {
  local pki="$DIR/pki" days=30
  mkdir -p "$pki"
  (
    cd "$pki"
    umask 077
    # EC P-256 keys: generated in milliseconds, accepted by every component.
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -days "$days" -subj "/CN=hello-edge-test-ca" -out ca.crt \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null

    sign() { # sign NAME SUBJECT EXTFILE-CONTENT
      openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null
      openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
      printf '%s\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1"
    # The admin identity: group system:masters, used by the tests and by the other components.
    sign admin "/O=system:masters/CN=hello-edge-admin" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
    # Service-account token signing keypair.
    openssl ecparam -name prime256v1 -genkey -noout -out sa.key 2>/dev/null
    openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
  )
}

write_kubeconfig() {
  local b64="base64 -w0"
  cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: hello-edge-test
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $($b64 <"$DIR/pki/ca.crt")
users:
- name: hello-edge-admin
  user:
    client-certificate-data: $($b64 <"$DIR/pki/admin.crt")
    client-key-data: $($b64 <"$DIR/pki/admin.key")
contexts:
- name: hello-edge-test
  context:
    cluster: hello-edge-test
    user: hello-edge-admin
current-context: hello-edge-test
EOF
  chmod 600 "$DIR/kubeconfig"
}

# --- kwok ----------------------------------------------------------------------------------------

# The upstream "fast" stages (copied from the kwok module by build.sh), with pod-ready narrowed to
# pods without a "never-ready" image, plus a stage that runs those pods without ever readying them.
write_kwok_config() {
  local stages="$1"
  {
    sed '/^  name: pod-ready$/,/^  next:$/ s#^    matchExpressions:$#    matchExpressions:\
    - key: '"'"'.spec.containers.[].image | contains("never-ready")'"'"'\
      operator: '"'"'NotIn'"'"'\
      values:\
      - '"'"'true'"'"'#' "$stages"
    cat <<'EOF'
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-running-never-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.spec.containers.[].image | contains("never-ready")'
      operator: 'In'
      values:
      - 'true'
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Pending'
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        reason: ContainersNotReady
        type: Ready
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        reason: ContainersNotReady
        type: ContainersReady
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 0
        started: true
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      {{ $podIPs := PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      {{ with $podIPs }}
      podIP: {{ index . 0 | Quote }}
      podIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      phase: Running
      startTime: {{ $now | Quote }}
EOF
  } >"$DIR/kwok.yaml"
}

create_nodes() {
  local i name zone
  {
    for ((i = 0; i < NODE_COUNT; i++)); do
      zone="${ZONES[i % ${#ZONES[@]}]}"
      name="kwok-node-$i"
      cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: $name
    topology.kubernetes.io/zone: $zone
    type: kwok
spec: {}
status:
  allocatable: {cpu: "16", memory: 64Gi, ephemeral-storage: 100Gi, pods: "110"}
  capacity: {cpu: "16", memory: 64Gi, ephemeral-storage: 100Gi, pods: "110"}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: fake
    kubeProxyVersion: fake
EOF
    done
  } >"$DIR/nodes.yaml"
  kc apply -f "$DIR/nodes.yaml" >/dev/null
}

# --- commands ------------------------------------------------------------------------------------

crds_dir() {
  if [[ -n "${HELLO_EDGE_CRDS_DIR:-}" ]]; then echo "$HELLO_EDGE_CRDS_DIR"
  elif [[ -d "$REPO_DIR/infra/crds" ]]; then echo "$REPO_DIR/infra/crds"
  elif [[ -d "$REPO_DIR/../shared/crds" ]]; then echo "$REPO_DIR/../shared/crds"
  fi
}

install_crds() {
  local dirs files=() dir
  dirs="$(crds_dir)"
  if [[ -z "$dirs" ]]; then
    log "no CRD folder (infra/crds or ../shared/crds); none installed"
    return 0
  fi
  local -A seen=()
  local f
  IFS=: read -ra dir_list <<<"$dirs"
  for dir in "${dir_list[@]}"; do
    [[ -d "$dir" ]] || die "CRD folder $dir does not exist"
    while IFS= read -r f; do
      [[ -n "${seen[$(basename "$f")]:-}" ]] && continue
      seen[$(basename "$f")]=1
      files+=("$f")
    done < <(find "$dir" -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)
  done
  if ((${#files[@]} == 0)); then
    log "no CRD files in $dirs"
    return 0
  fi
  local args=()
  for f in "${files[@]}"; do
    # Only CustomResourceDefinitions: a folder may also hold kustomizations or other YAML.
    grep -q '^kind: CustomResourceDefinition' "$f" && args+=(-f "$f")
  done
  ((${#args[@]})) || return 0
  # Server-side: the Prometheus Operator CRDs exceed the client-side last-applied annotation limit.
  kc apply --server-side --force-conflicts --field-manager=hello-edge-test-cluster "${args[@]}" >/dev/null
  kc wait --for=condition=Established --timeout=60s crd --all >/dev/null
  log "installed CRDs from $dirs: $(kc get crd -o name | wc -l) CRDs"
}

cmd_start() {
  local minimal=0
  [[ "${1:-}" == "--minimal" ]] && minimal=1
  local start=$SECONDS

  if [[ -f "$MARKER" ]] && pid_alive kube-apiserver; then
    # shellcheck disable=SC1091
    source "$DIR/ports.env"
    if api_ready; then
      log "already running in $DIR"
      cmd_env
      return 0
    fi
  fi
  if [[ -f "$MARKER" ]]; then
    cmd_stop # a stale plane (crashed or half started)
  elif [[ -d "$DIR" && -n "$(ls -A "$DIR")" ]]; then
    die "$DIR exists, is not empty and was not made by this script"
  fi

  local etcd apiserver kcm scheduler kwok
  etcd="$(find_bin etcd)"
  apiserver="$(find_bin kube-apiserver)"
  [[ -n "$etcd" && -n "$apiserver" ]] || die "etcd or kube-apiserver not built: run bash test/cluster/build.sh"
  command -v "$KUBECTL" >/dev/null || die "kubectl not found"
  command -v openssl >/dev/null || die "openssl not found (apt-get install -y openssl)"
  command -v curl >/dev/null || die "curl not found (apt-get install -y curl)"
  kcm="" scheduler="" kwok=""
  if ((minimal == 0)); then
    kcm="$(find_bin kube-controller-manager)"
    scheduler="$(find_bin kube-scheduler)"
    kwok="$(find_bin kwok)"
  fi

  mkdir -p "$DIR/logs" "$DIR/pids" "$DIR/etcd"
  touch "$MARKER"
  : >"$DIR/components"
  TAKEN_PORTS=""
  API_PORT="${HELLO_EDGE_APISERVER_PORT:-$(free_port)}"
  ETCD_PORT="${HELLO_EDGE_ETCD_PORT:-$(free_port)}"
  ETCD_PEER_PORT="${HELLO_EDGE_ETCD_PEER_PORT:-$(free_port)}"
  printf 'API_PORT=%s\nETCD_PORT=%s\nETCD_PEER_PORT=%s\n' "$API_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT" >"$DIR/ports.env"

  gen_pki
  write_kubeconfig

  local etcd_url="http://127.0.0.1:$ETCD_PORT" peer_url="http://127.0.0.1:$ETCD_PEER_PORT"
  launch etcd "$etcd" --name=hello-edge --data-dir="$DIR/etcd" \
    --listen-client-urls="$etcd_url" --advertise-client-urls="$etcd_url" \
    --listen-peer-urls="$peer_url" --initial-advertise-peer-urls="$peer_url" \
    --initial-cluster="hello-edge=$peer_url" \
    --unsafe-no-fsync=true --log-level=warn

  local admission=()
  # Without a controller-manager nothing creates the "default" ServiceAccounts (envtest's choice).
  [[ -z "$kcm" ]] && admission=(--disable-admission-plugins=ServiceAccount)
  launch kube-apiserver "$apiserver" \
    --etcd-servers="$etcd_url" --etcd-prefix=/registry \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
    --cert-dir="$DIR/pki" --tls-cert-file="$DIR/pki/apiserver.crt" --tls-private-key-file="$DIR/pki/apiserver.key" \
    --client-ca-file="$DIR/pki/ca.crt" \
    --service-account-issuer="https://127.0.0.1:$API_PORT" \
    --service-account-key-file="$DIR/pki/sa.pub" --service-account-signing-key-file="$DIR/pki/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC --allow-privileged=true \
    --endpoint-reconciler-type=none --profiling=false \
    --enable-priority-and-fairness=false --max-requests-inflight=0 --max-mutating-requests-inflight=0 \
    "${admission[@]}"

  wait_for 60 curl -fsS --max-time 1 "$etcd_url/health" || { check_alive etcd; die "etcd not healthy in 60s"; }
  if ! wait_for 90 api_ready; then
    check_alive kube-apiserver
    tail -n 30 "$DIR/logs/kube-apiserver.log" >&2
    die "kube-apiserver not ready in 90s"
  fi
  log "kube-apiserver ready on https://127.0.0.1:$API_PORT after $((SECONDS - start))s"

  local k8s_flags=(--kubeconfig="$DIR/kubeconfig" --leader-elect=false --bind-address=127.0.0.1 --secure-port=0)
  if [[ -n "$kcm" ]]; then
    launch kube-controller-manager "$kcm" "${k8s_flags[@]}" \
      --root-ca-file="$DIR/pki/ca.crt" --service-account-private-key-file="$DIR/pki/sa.key" \
      --cluster-signing-cert-file="$DIR/pki/ca.crt" --cluster-signing-key-file="$DIR/pki/ca.key" \
      --service-cluster-ip-range="$SERVICE_CIDR" --use-service-account-credentials=false \
      --kube-api-qps=100 --kube-api-burst=200 --concurrent-deployment-syncs=5 \
      --cluster-name=hello-edge-test
  else
    log "kube-controller-manager not started ($( ((minimal)) && echo --minimal || echo "not built"))"
  fi
  if [[ -n "$scheduler" ]]; then
    launch kube-scheduler "$scheduler" "${k8s_flags[@]}" --kube-api-qps=100 --kube-api-burst=200
  fi
  if [[ -n "$kwok" ]]; then
    local stages="$CACHE/share/kwok/stages.yaml"
    [[ -f "$stages" ]] || die "$stages missing: run bash test/cluster/build.sh"
    write_kwok_config "$stages"
    # No --server-address/--node-port: kwok then serves nothing. Fake node and pod IPs are status
    # values only; nothing ever connects to them.
    launch kwok "$kwok" --config="$DIR/kwok.yaml" --kubeconfig="$DIR/kubeconfig" \
      --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
      --cidr=10.244.0.0/16 --node-ip=10.240.0.1 --node-lease-duration-seconds=40
  fi

  # Nodes first: kwok readies them while the CRDs are being installed.
  [[ -n "$kwok" ]] && create_nodes
  install_crds

  if [[ -n "$kwok" ]]; then
    check_alive kwok
    kc wait --for=condition=Ready --timeout=60s node --all >/dev/null || die "fake nodes not Ready in 60s (see $DIR/logs/kwok.log)"
    log "$NODE_COUNT fake nodes Ready in ${ZONES[*]}"
  fi
  if [[ -n "$kcm" ]]; then
    # Pods need the "default" ServiceAccount, which the controller-manager creates.
    wait_for 60 kc -n default get serviceaccount default ||
      { check_alive kube-controller-manager; die "no default ServiceAccount after 60s"; }
  fi
  local c
  while read -r c; do check_alive "$c"; done <"$DIR/components"
  log "started $(tr '\n' ' ' <"$DIR/components")in $((SECONDS - start))s; state in $DIR"
  cmd_env
}

cmd_stop() {
  if [[ ! -e "$DIR" ]]; then
    return 0
  fi
  if [[ ! -f "$MARKER" ]]; then
    rmdir "$DIR" 2>/dev/null || die "$DIR exists but was not made by this script; not touching it"
    return 0
  fi
  local name pid i
  # Reverse start order: clients first, etcd last.
  for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    pid_alive "$name" || continue
    pid="$(cat "$DIR/pids/$name.pid")"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
      running "$pid" || break
      sleep 0.1
    done
    if running "$pid"; then
      log "$name ($pid) ignored SIGTERM for 10s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$DIR"
  log "stopped; removed $DIR"
}

cmd_env() {
  echo "export KUBECONFIG=$DIR/kubeconfig"
}

cmd_status() {
  [[ -f "$MARKER" && -f "$DIR/ports.env" ]] || { echo "not running ($DIR)"; return 1; }
  # shellcheck disable=SC1091
  source "$DIR/ports.env"
  local c
  while read -r c; do
    if pid_alive "$c"; then echo "$c running (pid $(cat "$DIR/pids/$c.pid"))"; else echo "$c NOT running"; fi
  done <"$DIR/components"
  echo "apiserver https://127.0.0.1:$API_PORT, etcd http://127.0.0.1:$ETCD_PORT"
  api_ready && echo "readyz ok"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) echo "usage: $0 start [--minimal] | stop | env | status" >&2; exit 2 ;;
esac
