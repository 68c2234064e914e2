/**
 * Pieces of pod specs shared by the hello app and the prober: a securityContext that passes Pod
 * Security "restricted" (and kube-score's UID/GID >= 10000), resources, probes, the writable
 * `/tmp`, spreading, the rollout strategy and PDB, and the NetworkPolicy peers. Plain functions
 * returning L1 `k8s` shapes, so both workloads stay hardened the same way.
 */
import { k8s } from 'cdk8s-plus-33';
import { type FleetConfig, POD, POD_PROBES, ROLLOUT, type ResourcesConfig } from './config/index.js';
import { formatBytes, formatCpu } from './quantity.js';

/** Pod-level securityContext: non-root numeric user and group, seccomp RuntimeDefault. */
export function podSecurityContext(uid: number, gid: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level securityContext: everything "restricted" asks for, explicitly. */
export function containerSecurityContext(uid: number, gid: number): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** What sets one workload's pod spec apart from the other's, for {@link basePodSpec}. */
export interface BasePodSpecOptions {
  /** The workload's own ServiceAccount. */
  readonly serviceAccountName: string;
  /** The user and group the containers run as. */
  readonly uid: number;
  readonly gid: number;
  readonly terminationGracePeriodSeconds: number;
  /** The workload's pod selector, for spreading. */
  readonly selector: Record<string, string>;
  /** The fleet's `priorityClassName`; none when unset or empty. */
  readonly priorityClassName?: string;
}

/**
 * The pod spec both workloads start from, all but containers and volumes: no API token and no
 * Service environment variables (neither talks to the API server or needs service discovery by
 * env), non-root, spread over zones and nodes.
 */
export function basePodSpec(o: BasePodSpecOptions): Omit<k8s.PodSpec, 'containers'> {
  return {
    serviceAccountName: o.serviceAccountName,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    ...(o.priorityClassName ? { priorityClassName: o.priorityClassName } : {}),
    terminationGracePeriodSeconds: o.terminationGracePeriodSeconds,
    securityContext: podSecurityContext(o.uid, o.gid),
    topologySpreadConstraints: topologySpread(o.selector),
    affinity: hostAntiAffinity(o.selector),
  };
}

/**
 * Startup, liveness and readiness HTTP probes with the house timings ({@link POD_PROBES}); startup
 * checks the liveness path: it holds liveness off until the process first answers.
 */
export function httpProbes(livenessPath: string, readinessPath: string, port: k8s.IntOrString): Pick<k8s.Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  return {
    startupProbe: { httpGet: { path: livenessPath, port }, ...POD_PROBES.startup },
    livenessProbe: { httpGet: { path: livenessPath, port }, ...POD_PROBES.liveness },
    readinessProbe: { httpGet: { path: readinessPath, port }, ...POD_PROBES.readiness },
  };
}

/** Name of the writable `/tmp` volume: the root filesystem is read-only. */
const TMP_VOLUME = 'tmp';

/** The size-limited emptyDir behind `/tmp`. */
export function tmpVolume(): k8s.Volume {
  return { name: TMP_VOLUME, emptyDir: { sizeLimit: k8s.Quantity.fromString(POD.tmpSizeLimit) } };
}

/** The mount of {@link tmpVolume} at `/tmp`. */
export function tmpVolumeMount(): k8s.VolumeMount {
  return { name: TMP_VOLUME, mountPath: '/tmp' };
}

/**
 * A rolling update that never goes below capacity: new pods come up (up to `maxSurge`) before
 * old ones go.
 */
export function surgeOnlyRollout(maxSurge: k8s.IntOrString): k8s.DeploymentStrategy {
  return { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge } };
}

/** A PDB letting {@link ROLLOUT}.pdbMaxUnavailable pods go at once. */
export function disruptionBudgetSpec(selector: Record<string, string>): k8s.PodDisruptionBudgetSpec {
  return {
    selector: { matchLabels: selector },
    maxUnavailable: k8s.IntOrString.fromNumber(ROLLOUT.pdbMaxUnavailable),
    // A crash-looping pod must not block node drains.
    unhealthyPodEvictionPolicy: 'AlwaysAllow',
  };
}

/** CPU, memory and ephemeral-storage requests and limits. */
export function resourceRequirements(r: ResourcesConfig): k8s.ResourceRequirements {
  const q = (v: string) => k8s.Quantity.fromString(v);
  return {
    requests: {
      cpu: q(formatCpu(r.requests.cpuMillis)),
      memory: q(formatBytes(r.requests.memoryBytes)),
      'ephemeral-storage': q(formatBytes(r.requests.ephemeralStorageBytes)),
    },
    limits: {
      ...(r.limits.cpuMillis === null ? {} : { cpu: q(formatCpu(r.limits.cpuMillis)) }),
      memory: q(formatBytes(r.limits.memoryBytes)),
      'ephemeral-storage': q(formatBytes(r.limits.ephemeralStorageBytes)),
    },
  };
}

/**
 * Spread over zones and nodes (ScheduleAnyway: a small cluster must still schedule); the
 * pod-template-hash key keeps a rollout's new pods from being skewed by the old ones.
 */
export function topologySpread(selector: Record<string, string>): k8s.TopologySpreadConstraint[] {
  return ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: selector },
    matchLabelKeys: ['pod-template-hash'],
  }));
}

/** Preferred anti-affinity on the node (kube-score and kube-linter want podAntiAffinity, not only TSC). */
export function hostAntiAffinity(selector: Record<string, string>): k8s.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{
        weight: 100,
        podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } },
      }],
    },
  };
}

/** A peer selecting every pod of a namespace, by the immutable `kubernetes.io/metadata.name` label. */
export function namespacePeer(namespace: string, podLabels?: Record<string, string>): k8s.NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
    ...(podLabels ? { podSelector: { matchLabels: podLabels } } : {}),
  };
}

/** The pods that bring users' traffic into the cluster: the ingress controller's or the gateway data plane's namespace. */
export function routingPeer(fleet: FleetConfig): k8s.NetworkPolicyPeer {
  return namespacePeer(fleet.routing.kind === 'ingress' ? fleet.routing.ingress.controllerNamespace : fleet.routing.gateway.dataplaneNamespace);
}

/** Egress to cluster DNS (kube-dns / CoreDNS in kube-system), UDP and TCP 53. */
export function dnsEgress(): k8s.NetworkPolicyEgressRule {
  return {
    to: [namespacePeer('kube-system', { 'k8s-app': 'kube-dns' })],
    ports: [
      { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
      { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
    ],
  };
}
