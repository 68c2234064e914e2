/**
 * kube-linter's checks (v0.8.3, docs/generated/checks.md), re-expressed over synthesized objects.
 * kube-linter itself cannot be built here: the Go module proxy refuses golang.stackrox.io/kube-linter
 * (403), so test/infra/linters.test.ts runs the real binary when one is installed and these rules
 * always. Each rule keeps kube-linter's name and is written from its documented behaviour; the
 * annotation `ignore-check.kube-linter.io/<check>` exempts an object, as in kube-linter.
 */
import type { KubeObject } from '../../infra/index.js';
import type { Json } from './support.js';

/** One finding: check name, object and message. */
export interface LintFinding {
  readonly check: string;
  readonly object: string;
  readonly message: string;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);
const SENSITIVE_PATHS = ['/', '/boot', '/dev', '/etc', '/lib', '/proc', '/sys', '/usr', '/var/run/docker.sock'];
const SECRET_NAME = /secret|password|token|apikey|api_key|passwd|credential/i;
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start']);

function podSpec(o: Json): Json | undefined {
  if (!WORKLOADS.has(o.kind)) return undefined;
  if (o.kind === 'Pod') return o.spec;
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template?.spec;
  return o.spec?.template?.spec;
}

function podLabels(o: Json): Record<string, string> {
  return (o.kind === 'Pod' ? o.metadata?.labels : o.spec?.template?.metadata?.labels) ?? {};
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function inNamespace(a: Json, b: Json): boolean {
  return (a.metadata?.namespace ?? 'default') === (b.metadata?.namespace ?? 'default');
}

/** Runs every rule over the whole set (dangling-* rules look across objects, as kube-linter does). */
export function lintObjects(objects: readonly KubeObject[]): LintFinding[] {
  const all = objects as readonly Json[];
  const findings: LintFinding[] = [];
  const workloads = all.filter((o) => podSpec(o));
  for (const o of all) {
    const id = `${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
    const ignored = (check: string) => o.metadata?.annotations?.[`ignore-check.kube-linter.io/${check}`] !== undefined || o.metadata?.annotations?.['kube-linter.io/ignore-all'] !== undefined;
    const report = (check: string, message: string) => {
      if (!ignored(check)) findings.push({ check, object: id, message });
    };
    if (!o.metadata?.namespace && !['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass'].includes(o.kind)) {
      report('use-namespace', 'no namespace');
    }
    const spec = podSpec(o);
    if (spec) lintWorkload(o, spec, all, report);
    if (o.kind === 'Service' && o.spec?.selector) {
      if (!workloads.some((w) => inNamespace(w, o) && matches(o.spec.selector, podLabels(w)))) report('dangling-service', 'selector matches no pod');
      for (const p of o.spec.ports ?? []) {
        if (typeof p.targetPort === 'string' && !/^(?=.{1,15}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(p.targetPort)) report('invalid-target-ports', `targetPort ${p.targetPort}`);
      }
      if (o.spec.type === 'NodePort' || o.spec.type === 'LoadBalancer') report('exposed-services', `type ${o.spec.type}`);
    }
    if (o.kind === 'PodDisruptionBudget') {
      if (o.spec?.maxUnavailable === 0 || o.spec?.maxUnavailable === '0%') report('pdb-max-unavailable', 'maxUnavailable 0 blocks every eviction');
      if (o.spec?.minAvailable === '100%') report('pdb-min-available', 'minAvailable 100%');
      if (o.spec?.unhealthyPodEvictionPolicy === undefined) report('pdb-unhealthy-pod-eviction-policy', 'unhealthyPodEvictionPolicy not set');
    }
    if (o.kind === 'Ingress') {
      for (const rule of o.spec?.rules ?? []) {
        for (const path of rule.http?.paths ?? []) {
          const svc = path.backend?.service;
          const target = all.find((s) => s.kind === 'Service' && inNamespace(s, o) && s.metadata.name === svc?.name);
          const portOk = target?.spec.ports.some((p: Json) => (svc?.port?.name !== undefined ? p.name === svc.port.name : p.port === svc?.port?.number));
          if (!target || !portOk) report('dangling-ingress', `backend ${svc?.name}:${svc?.port?.name ?? svc?.port?.number} not found`);
        }
      }
    }
    if (o.kind === 'HorizontalPodAutoscaler') {
      const ref = o.spec?.scaleTargetRef;
      if (!all.some((w) => w.kind === ref?.kind && inNamespace(w, o) && w.metadata.name === ref?.name)) report('dangling-horizontalpodautoscaler', `target ${ref?.kind}/${ref?.name} not found`);
    }
    if (o.kind === 'NetworkPolicy') {
      const sel = o.spec?.podSelector?.matchLabels;
      if (sel && !workloads.some((w) => inNamespace(w, o) && matches(sel, podLabels(w)))) report('dangling-networkpolicy', 'podSelector matches no pod');
    }
    if (o.kind === 'ServiceMonitor') {
      const sel = o.spec?.selector?.matchLabels;
      const namespaces: string[] | undefined = o.spec?.namespaceSelector?.matchNames;
      if (!all.some((s) => s.kind === 'Service' && matches(sel, s.metadata.labels ?? {}) && (namespaces ? namespaces.includes(s.metadata.namespace) : inNamespace(s, o)))) {
        report('dangling-servicemonitor', 'selector matches no Service');
      }
    }
  }
  return findings;
}

function lintWorkload(o: Json, spec: Json, all: readonly Json[], report: (check: string, message: string) => void): void {
  const labels = podLabels(o);
  const selector = o.spec?.selector?.matchLabels;
  if (o.kind !== 'Pod' && o.kind !== 'CronJob' && o.kind !== 'Job' && !matches(selector, labels)) report('mismatching-selector', 'selector does not match the template labels');
  if (spec.hostNetwork) report('host-network', 'hostNetwork');
  if (spec.hostPID) report('host-pid', 'hostPID');
  if (spec.hostIPC) report('host-ipc', 'hostIPC');
  if (spec.serviceAccount !== undefined) report('deprecated-service-account-field', 'serviceAccount is deprecated');
  const sa = spec.serviceAccountName;
  if (sa === undefined || sa === 'default') report('default-service-account', 'uses the default service account');
  else if (!all.some((s) => s.kind === 'ServiceAccount' && inNamespace(s, o) && s.metadata.name === sa)) report('non-existent-service-account', `ServiceAccount ${sa} is not in the set`);
  for (const sysctl of spec.securityContext?.sysctls ?? []) if (!SAFE_SYSCTLS.has(sysctl.name)) report('unsafe-sysctls', sysctl.name);
  for (const v of spec.volumes ?? []) {
    const path: string | undefined = v.hostPath?.path;
    if (path !== undefined) {
      if (path.includes('docker.sock')) report('docker-sock', path);
      if (SENSITIVE_PATHS.includes(path)) report('sensitive-host-mounts', path);
      report('writable-host-mount', `hostPath ${path}`);
    }
  }
  if (o.kind === 'Deployment' && o.spec?.strategy?.type !== 'RollingUpdate') report('no-rolling-update-strategy', `strategy ${o.spec?.strategy?.type}`);
  if ((o.spec?.replicas ?? 1) >= 2 && o.spec?.replicas !== undefined) {
    const terms = [
      ...(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
      ...(spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p: Json) => p.podAffinityTerm),
    ];
    if (!terms.some((t: Json) => t.topologyKey === 'kubernetes.io/hostname' && matches(t.labelSelector?.matchLabels, labels))) report('no-anti-affinity', 'replicas >= 2 without pod anti-affinity on kubernetes.io/hostname');
  }
  const policies = all.filter((n) => n.kind === 'NetworkPolicy' && inNamespace(n, o) && matches(n.spec?.podSelector?.matchLabels, labels));
  if (policies.length === 0) report('non-isolated-pod', 'no NetworkPolicy selects the pods');
  const containers: Json[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const image: string = c.image ?? '';
    if (!image.includes('@') && (!/:[^/]+$/.test(image) || image.endsWith(':latest'))) report('latest-tag', `image ${image}`);
    if (sc.readOnlyRootFilesystem !== true) report('no-read-only-root-fs', c.name);
    if (sc.allowPrivilegeEscalation !== false) report('privilege-escalation-container', c.name);
    if (sc.privileged === true) report('privileged-container', c.name);
    const nonRoot = sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
    const user = sc.runAsUser ?? spec.securityContext?.runAsUser;
    if (nonRoot !== true && !(typeof user === 'number' && user > 0)) report('run-as-non-root', c.name);
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL') && !drop.includes('NET_RAW')) report('drop-net-raw-capability', c.name);
    if (c.resources?.requests?.cpu === undefined) report('unset-cpu-requirements', `${c.name}: no CPU request`);
    if (c.resources?.limits?.memory === undefined) report('unset-memory-requirements', `${c.name}: no memory limit`);
    const ports: Json[] = c.ports ?? [];
    for (const p of ports) if (p.containerPort === 22) report('ssh-port', c.name);
    const declared = (port: unknown) => ports.some((p) => p.name === port || p.containerPort === port);
    for (const [probe, check] of [['livenessProbe', 'liveness-port'], ['readinessProbe', 'readiness-port'], ['startupProbe', 'startup-port']] as const) {
      const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
      if (port !== undefined && !declared(port)) report(check, `${c.name}: ${probe} port ${String(port)} is not a container port`);
    }
    if (spec.containers?.includes(c)) {
      if (!c.livenessProbe) report('no-liveness-probe', c.name);
      if (!c.readinessProbe) report('no-readiness-probe', c.name);
    }
    const names = new Set<string>();
    for (const e of c.env ?? []) {
      if (names.has(e.name)) report('duplicate-env-var', e.name);
      names.add(e.name);
      if (e.value !== undefined && SECRET_NAME.test(e.name)) report('env-var-secret', e.name);
      if (e.valueFrom?.secretKeyRef) report('read-secret-from-env-var', e.name);
    }
  }
}
