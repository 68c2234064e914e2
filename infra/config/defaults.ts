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
 * HPA bounds and target. minReplicas >= 2 so a PDB and a rollout never leave zero pods; maxReplicas
 * is 6, or minReplicas + 1 when that is larger, so the HPA can always scale.
 */
export const DEFAULT_SCALING = { minReplicas: 2, maxReplicas: 6, targetCpuUtilization: 70 } as const;

/** Shutdown timings of an app: hello's own defaults (hello/contract.ts), and a 5 s preStop sleep. */
export const DEFAULT_SHUTDOWN = {
  drainDelayMs: HELLO_DEFAULT_DRAIN_DELAY_MS,
  shutdownTimeoutMs: HELLO_DEFAULT_SHUTDOWN_TIMEOUT_MS,
  /** Endpoints are removed asynchronously: keep serving while load balancers catch up. */
  preStopSeconds: 5,
} as const;

/** Built-in app resources when neither the config nor a bench file gives any. */
export const DEFAULT_RESOURCES: ResourcesConfig = Object.freeze({
  requests: Object.freeze({ cpuMillis: 100, memoryBytes: 96 * MiB, ephemeralStorageBytes: 32 * MiB }),
  limits: Object.freeze({ cpuMillis: 500, memoryBytes: 192 * MiB, ephemeralStorageBytes: 64 * MiB }),
  source: 'default',
});

/** Built-in prober resources. */
export const DEFAULT_PROBER_RESOURCES: ResourcesConfig = Object.freeze({
  requests: Object.freeze({ cpuMillis: 50, memoryBytes: 64 * MiB, ephemeralStorageBytes: 16 * MiB }),
  limits: Object.freeze({ cpuMillis: 500, memoryBytes: 128 * MiB, ephemeralStorageBytes: 32 * MiB }),
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
