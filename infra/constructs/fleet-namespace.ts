import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { ROLLOUT, type ResourceAmounts, type ResourceLimits, type ResourcesConfig } from '../config/index.js';
import { NAMESPACE_OWNER_ANNOTATION, sharedLabels } from '../labels.js';
import { formatBytes, formatCpu } from '../quantity.js';

/** One workload a namespace must have room for. */
export interface NamespaceWorkload {
  readonly resources: ResourcesConfig;
  /** Most pods it can run at once: max replicas plus the rollout surge. */
  readonly maxPods: number;
}

/** Props of {@link FleetNamespace}. */
export interface FleetNamespaceProps {
  readonly name: string;
  /** The fleet that creates and owns the namespace: only it may delete it. */
  readonly fleet: string;
  /** What runs in it; the ResourceQuota is the sum of these at their maximum, never a fixed guess. */
  readonly workloads: readonly NamespaceWorkload[];
}

/** Pods an app Deployment with `maxReplicas` can have during a rollout (its maxSurge in percent, rounded up). */
export function maxPodsDuringRollout(maxReplicas: number): number {
  return maxReplicas + Math.ceil((maxReplicas * ROLLOUT.appMaxSurgePercent) / 100);
}

/**
 * A namespace the fleet creates and owns (annotated so, for destroy and prune), enforcing Pod
 * Security "restricted" (enforce, audit and warn), with a LimitRange
 * giving containers that name no resources the same defaults as the apps, and a ResourceQuota
 * sized from the workloads it holds.
 */
export class FleetNamespace extends Construct {
  constructor(scope: Construct, id: string, props: FleetNamespaceProps) {
    super(scope, id);
    const { name, workloads } = props;
    const labels = sharedLabels();
    new k8s.KubeNamespace(this, 'namespace', {
      metadata: {
        name,
        annotations: { [NAMESPACE_OWNER_ANNOTATION]: props.fleet },
        labels: {
          ...labels,
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/audit-version': 'latest',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/warn-version': 'latest',
        },
      },
    });
    const first = workloads[0]?.resources;
    if (!first) return;
    // A workload without a CPU limit (bench's choice) rules out a CPU limit default, maximum and quota.
    const cpuLimited = workloads.every((w) => w.resources.limits.cpuMillis !== null);
    const max = (key: keyof ResourceAmounts) => Math.max(...workloads.map((w) => w.resources.limits[key] ?? 0));
    new k8s.KubeLimitRange(this, 'limit-range', {
      metadata: { name: 'defaults', namespace: name, labels },
      spec: {
        limits: [{
          type: 'Container',
          defaultRequest: amounts(first.requests),
          default: amounts(first.limits),
          max: amounts({ cpuMillis: cpuLimited ? max('cpuMillis') : null, memoryBytes: max('memoryBytes'), ephemeralStorageBytes: max('ephemeralStorageBytes') }),
        }],
      },
    });
    const sum = (side: 'requests' | 'limits', key: keyof ResourceAmounts) =>
      workloads.reduce((acc, w) => acc + (w.resources[side][key] ?? 0) * w.maxPods, 0);
    const q = (v: string) => k8s.Quantity.fromString(v);
    new k8s.KubeResourceQuota(this, 'quota', {
      metadata: { name: 'workloads', namespace: name, labels },
      spec: {
        hard: {
          pods: q(String(workloads.reduce((acc, w) => acc + w.maxPods, 0))),
          'requests.cpu': q(formatCpu(sum('requests', 'cpuMillis'))),
          ...(cpuLimited ? { 'limits.cpu': q(formatCpu(sum('limits', 'cpuMillis'))) } : {}),
          'requests.memory': q(formatBytes(sum('requests', 'memoryBytes'))),
          'limits.memory': q(formatBytes(sum('limits', 'memoryBytes'))),
          'requests.ephemeral-storage': q(formatBytes(sum('requests', 'ephemeralStorageBytes'))),
          'limits.ephemeral-storage': q(formatBytes(sum('limits', 'ephemeralStorageBytes'))),
        },
      },
    });
  }
}

function amounts(a: ResourceLimits): Record<string, k8s.Quantity> {
  return {
    ...(a.cpuMillis === null ? {} : { cpu: k8s.Quantity.fromString(formatCpu(a.cpuMillis)) }),
    memory: k8s.Quantity.fromString(formatBytes(a.memoryBytes)),
    'ephemeral-storage': k8s.Quantity.fromString(formatBytes(a.ephemeralStorageBytes)),
  };
}
