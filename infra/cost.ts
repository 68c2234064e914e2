/**
 * The fleet's resource envelope: CPU and memory requests and limits at min and max replicas, per
 * app and in total, plus the prober; beside the envelope of the original setup for the same
 * number of apps. Pure arithmetic on the config (no synthesis needed).
 */
import type { FleetConfig, ResourcesConfig } from './config/index.js';

/** CPU in millicores and memory in bytes; `null` means unbounded (no limit set). */
export interface Envelope {
  readonly cpuMillis: number | null;
  readonly memoryBytes: number | null;
}

/** Requests and limits of a workload at a replica count. */
export interface EnvelopeAt {
  readonly replicas: number;
  readonly requests: Envelope;
  readonly limits: Envelope;
}

/** One line of the cost report. */
export interface CostLine {
  /** App name, `prober`, or an original-setup line. */
  readonly name: string;
  readonly min: EnvelopeAt;
  readonly max: EnvelopeAt;
}

/** The whole report. */
export interface CostReport {
  readonly fleet: string;
  readonly apps: readonly CostLine[];
  /** The local prober (absent when monitoring is off or a shared exporter is used). */
  readonly prober?: CostLine;
  readonly total: CostLine;
  /** The original setup for the same number of apps, see {@link ORIGINAL_SETUP}. */
  readonly original: { readonly apps: CostLine; readonly exporters: CostLine; readonly total: CostLine };
}

/**
 * The original setup, per app: a Deployment of 3 replicas requesting 50m CPU / 64Mi memory with
 * no limits (unbounded), and a blackbox exporter in every namespace. The exporter chart sets no
 * resources; it is counted here at the app's 50m / 64Mi requests, one replica, no limits.
 */
export const ORIGINAL_SETUP = Object.freeze({
  replicas: 3,
  requests: Object.freeze({ cpuMillis: 50, memoryBytes: 64 * 2 ** 20 }),
  exporter: Object.freeze({ replicas: 1, requests: Object.freeze({ cpuMillis: 50, memoryBytes: 64 * 2 ** 20 }) }),
});

function at(resources: ResourcesConfig, replicas: number): EnvelopeAt {
  return {
    replicas,
    requests: { cpuMillis: resources.requests.cpuMillis * replicas, memoryBytes: resources.requests.memoryBytes * replicas },
    limits: {
      cpuMillis: resources.limits.cpuMillis === null ? null : resources.limits.cpuMillis * replicas,
      memoryBytes: resources.limits.memoryBytes * replicas,
    },
  };
}

function add(a: Envelope, b: Envelope): Envelope {
  const plus = (x: number | null, y: number | null) => (x === null || y === null ? null : x + y);
  return { cpuMillis: plus(a.cpuMillis, b.cpuMillis), memoryBytes: plus(a.memoryBytes, b.memoryBytes) };
}

function sum(name: string, lines: readonly CostLine[]): CostLine {
  const zero: EnvelopeAt = { replicas: 0, requests: { cpuMillis: 0, memoryBytes: 0 }, limits: { cpuMillis: 0, memoryBytes: 0 } };
  const fold = (pick: (l: CostLine) => EnvelopeAt) => lines.reduce<EnvelopeAt>((acc, l) => ({
    replicas: acc.replicas + pick(l).replicas,
    requests: add(acc.requests, pick(l).requests),
    limits: add(acc.limits, pick(l).limits),
  }), zero);
  return { name, min: fold((l) => l.min), max: fold((l) => l.max) };
}

/** Computes the fleet's resource envelope and the original setup's for the same number of apps. */
export function computeCost(config: FleetConfig): CostReport {
  const apps = config.apps.map((a) => ({ name: a.name, min: at(a.resources, a.scaling.minReplicas), max: at(a.resources, a.scaling.maxReplicas) }));
  const p = config.monitoring.prober;
  const prober = config.monitoring.enabled && p.mode === 'local'
    ? { name: 'prober', min: at(p.resources, p.replicas), max: at(p.resources, p.replicas) }
    : undefined;
  const n = config.apps.length;
  const unbounded = (replicas: number, requests: { cpuMillis: number; memoryBytes: number }): EnvelopeAt => ({
    replicas,
    requests: { cpuMillis: requests.cpuMillis * replicas, memoryBytes: requests.memoryBytes * replicas },
    limits: { cpuMillis: null, memoryBytes: null },
  });
  const originalApps = { name: `original: ${n} app(s) x ${ORIGINAL_SETUP.replicas} replicas`, min: unbounded(n * ORIGINAL_SETUP.replicas, ORIGINAL_SETUP.requests), max: unbounded(n * ORIGINAL_SETUP.replicas, ORIGINAL_SETUP.requests) };
  const exporter = ORIGINAL_SETUP.exporter;
  const exporters = { name: `original: ${n} blackbox exporter(s)`, min: unbounded(n * exporter.replicas, exporter.requests), max: unbounded(n * exporter.replicas, exporter.requests) };
  return {
    fleet: config.fleet,
    apps,
    ...(prober ? { prober } : {}),
    total: sum('total', prober ? [...apps, prober] : apps),
    original: { apps: originalApps, exporters, total: sum('original total', [originalApps, exporters]) },
  };
}
