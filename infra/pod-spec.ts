/**
 * Pieces of pod specs shared by the hello app and the prober: a securityContext that passes Pod
 * Security "restricted" (and kube-score's UID/GID >= 10000), resources, spreading, and the
 * NetworkPolicy rules for DNS. Plain functions returning L1 `k8s` shapes.
 */
import { k8s } from 'cdk8s-plus-33';
import type { ResourcesConfig } from './config/index.js';
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
