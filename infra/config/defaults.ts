/**
 * Every default of the fleet config and of the objects synthesized from it, defined once here:
 * the schema (schema.ts) fills absent fields from these, the constructs take their timings from
 * them, and docs/INFRA.md lists them. Changing a value here changes the manifests.
 */
import { HELLO_DEFAULT_DRAIN_DELAY_MS, HELLO_DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../../hello/contract.js';
import type { ImageRef, ResourcesConfig, ScalingConfig } from './types.js';

const MiB = 2 ** 20;

/** Fleet name (value of the `hello-edge.dev/fleet` label) when the config names none. */
export const DEFAULT_FLEET_NAME = 'hello';

/** Namespace layout: one namespace per app, `hello-<app>`; `hello-apps` in the shared layout. */
export const DEFAULT_NAMESPACES = { layout: 'per-app', prefix: 'hello-', shared: 'hello-apps' } as const;

/** Routing: ingress-nginx with a cert-manager ClusterIssuer, or a Gateway `hello-gateway` in `gateway-system`. */
export const DEFAULT_ROUTING = {
  kind: 'ingress',
  ingressClassName: 'nginx',
  ingressControllerNamespace: 'ingress-nginx',
  gatewayName: 'hello-gateway',
  gatewayNamespace: 'gateway-system',
  gatewayClassName: 'nginx',
  tlsIssuer: 'letsencrypt',
  tlsIssuerKind: 'ClusterIssuer',
  /** HSTS max-age: one year. */
  hstsMaxAgeSeconds: 31_536_000,
} as const;

/** Monitoring: kube-prometheus-stack's selector label, a 30 s probe interval, a local prober. */
export const DEFAULT_MONITORING = {
  labels: { release: 'kube-prometheus-stack' },
  prometheusNamespace: 'monitoring',
  intervalMs: 30_000,
  scrapeTimeoutMs: 10_000,
  proberNamespace: 'hello-edge-system',
  /** Two prober replicas: one can be evicted or rolled while the other keeps probing. */
  proberReplicas: 2,
  probeVia: 'ingress',
  /** `for` of the alerts: long enough that one failed scrape or a restart does not page. */
  targetDownForMs: 5 * 60_000,
  probeMissingForMs: 10 * 60_000,
  proberDownForMs: 5 * 60_000,
  certExpiryDays: 14,
  certExpiryForMs: 10 * 60_000,
  /**
   * The SLO period the latency burn-rate alerts protect: 30 days. Their windows and `for`
   * durations (SRE workbook: 1h/5m, 6h/30m, 1d/2h, 3d/6h for 30 days) scale with it, so a test
   * can run them in minutes with the same burn factors.
   */
  sloPeriodMs: 30 * 24 * 3_600_000,
} as const;

/** The shortest burn-rate window is 5 minutes of a 30-day period; rate() over it needs two scrapes. */
export const SHORTEST_BURN_WINDOW_FRACTION = 300 / 2_592_000;

/** Default image of the hello app when the config names none. */
export const DEFAULT_HELLO_IMAGE: ImageRef = Object.freeze({ repository: 'ghcr.io/hello-edge/hello', tag: '0.1.0' });
/** Default image of the prober. */
export const DEFAULT_PROBER_IMAGE: ImageRef = Object.freeze({ repository: 'ghcr.io/hello-edge/prober', tag: '0.1.0' });

/** The latency SLO the burn-rate alerts watch: 99 % of probes under 300 ms (a prober bucket). */
export const DEFAULT_SLO = { latencyThresholdMs: 300, objectivePercent: 99 } as const;

/**
 * HPA bounds and target. minReplicas 3, as the original setup ran: a node drain (the PDB lets one
 * pod go) or a lost zone still leaves two pods serving, and with requests sized from the
 * footprint three pods cost less than two did (docs/COST.md). maxReplicas is 6, or minReplicas + 1
 * when that is larger, so the HPA can always scale. (The config accepts minReplicas >= 2.)
 */
export const DEFAULT_SCALING = { minReplicas: 3, maxReplicas: 6, targetCpuUtilization: 70 } as const;

/** The fewest replicas an app may have: a PDB and a rollout must never leave zero pods. */
export const MIN_REPLICAS_FLOOR = 2;

/** Shutdown timings of an app: hello's own defaults (hello/contract.ts), and a 5 s preStop sleep. */
export const DEFAULT_SHUTDOWN = {
  drainDelayMs: HELLO_DEFAULT_DRAIN_DELAY_MS,
  shutdownTimeoutMs: HELLO_DEFAULT_SHUTDOWN_TIMEOUT_MS,
  /** Endpoints are removed asynchronously: keep serving while load balancers catch up. */
  preStopSeconds: 5,
} as const;

/*
 * Default sizes, from the footprint of each workload as its pod runs it (the image's entry point
 * and node flags, a memory cgroup of the pod's limit, the kubelet's probes):
 *   npm run build && node dist/bench/scripts/footprint.js        (2026-12-02 13:57, docs/COST.md)
 *   hello:  idle 1.0m / 61.7 MiB; normal (50 req/s) 42.7m, peak RSS 67.5 MiB; capacity (10k req/s)
 *           404m, 75.6 MiB; 1,124 idle connections 88.4 MiB; pipelining floods were unbounded
 *           bursts when these were measured; since they are dropped and node's parse stopped,
 *           1,000 flooding connections peak at 47-68 MiB (docs/SECURITY.md).
 *   prober (node flags: old space at 50% of the limit, 2 MB semi-spaces; 2026-12-02 15:28):
 *           idle 9m / 78.1 MiB; normal (1 probe/s + a scrape) 22m, peak RSS 101.4 MiB; bench
 *           load (20 concurrent) 114.8 MiB; its concurrency limit (100) 123.7 MiB.
 * Headroom rule: memory request = the normal phase's peak RSS x 1.25, rounded up to 8 MiB; memory
 * limit = the highest peak of a phase x 1.25, rounded up to 8 MiB (hello keeps 192 MiB for the
 * flood's bursts); CPU request = the CPU at the trough traffic per pod at the HPA's target
 * (hello: 100 req/s over three pods is 33 req/s, 29m, / 0.7 = 45m; the prober has no HPA: twice
 * its normal CPU, whose runs that day read 22-29m: 60m); CPU limit 500m, a ceiling the capacity
 * phase stays under.
 */

/** Built-in app resources when neither the config nor a bench file gives any. */
export const DEFAULT_RESOURCES: ResourcesConfig = Object.freeze({
  requests: Object.freeze({ cpuMillis: 45, memoryBytes: 88 * MiB, ephemeralStorageBytes: 32 * MiB }),
  limits: Object.freeze({ cpuMillis: 500, memoryBytes: 192 * MiB, ephemeralStorageBytes: 64 * MiB }),
  source: 'default',
});

/** Built-in prober resources. */
export const DEFAULT_PROBER_RESOURCES: ResourcesConfig = Object.freeze({
  requests: Object.freeze({ cpuMillis: 60, memoryBytes: 128 * MiB, ephemeralStorageBytes: 16 * MiB }),
  limits: Object.freeze({ cpuMillis: 500, memoryBytes: 160 * MiB, ephemeralStorageBytes: 32 * MiB }),
  source: 'default',
});

/** Default HPA behaviour: fast up, slow and gentle down. */
export const DEFAULT_BEHAVIOR: ScalingConfig['behavior'] = Object.freeze({
  scaleUp: Object.freeze({
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max' as const,
    policies: Object.freeze([
      Object.freeze({ type: 'Percent' as const, value: 100, periodSeconds: 15 }),
      Object.freeze({ type: 'Pods' as const, value: 4, periodSeconds: 15 }),
    ]),
  }),
  scaleDown: Object.freeze({
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max' as const,
    policies: Object.freeze([Object.freeze({ type: 'Percent' as const, value: 50, periodSeconds: 60 })]),
  }),
});

/** Timings of one kubelet probe (startup, liveness or readiness). */
export interface ProbeTimings {
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

/**
 * Kubelet probes of both workloads (hello and the prober): startup gets 60 s (30 x 2 s) before
 * liveness takes over; liveness restarts after 30 s of failures; readiness takes a pod out of the
 * Service after 10 s.
 */
export const POD_PROBES: { readonly startup: ProbeTimings; readonly liveness: ProbeTimings; readonly readiness: ProbeTimings } = Object.freeze({
  startup: Object.freeze({ periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 30 }),
  liveness: Object.freeze({ periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 }),
  readiness: Object.freeze({ periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 }),
});

/** Rollout settings of the Deployments. */
export const ROLLOUT = {
  /** An app's maxSurge in percent: new pods come up before old ones go (maxUnavailable 0). The quota makes room for it. */
  appMaxSurgePercent: 25,
  /** The prober surges by one pod. */
  proberMaxSurge: 1,
  revisionHistoryLimit: 5,
  /** An app's rollout is marked failed after 2 minutes without progress. */
  progressDeadlineSeconds: 120,
  /** A new app pod must stay ready 5 s before it counts as available. */
  minReadySeconds: 5,
  /** Pods a PDB lets go at once. */
  pdbMaxUnavailable: 1,
} as const;

/** Pod-level constants. */
export const POD = {
  /** Size limit of the writable `/tmp` emptyDir (the root filesystem is read-only). */
  tmpSizeLimit: '16Mi',
  /** Added to preStop + shutdown timeout for an app's terminationGracePeriodSeconds. */
  appGraceMarginSeconds: 5,
  /** The prober's terminationGracePeriodSeconds. */
  proberGraceSeconds: 30,
} as const;
