/**
 * What the fleet costs beside the original setup it replaces: CPU and memory requests and limits
 * at min and max replicas, per app and in total, plus the prober; the idle envelope of both at
 * equal availability (the original's three replicas per app), CPU as written and memory against
 * what the original really holds; and the work done per requested core. Arithmetic on the config
 * and on measurements recorded in docs/COST.md (no synthesis needed).
 */
import { readBenchResultsFile } from './config/bench.js';
import { ConfigError, describeError, quoteValue } from '../common/index.js';
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

/** Requests/s a pod serves within the latency SLO, per core it requests. */
export interface CapacityPerCore {
  /** Requests per second one pod serves with the SLO held (the bench's `sloCapacityPerPod`). */
  readonly sloRpsPerPod: number;
  /** The CPU request sized for that rate, millicores. */
  readonly cpuRequestMillis: number;
  /** sloRpsPerPod / requested cores. */
  readonly rpsPerRequestedCore: number;
  /** Where the figures come from: a bench results file, or the measurement in docs/COST.md. */
  readonly source: string;
}

/** The idle envelope (requests at the minimum replicas) of both setups at equal availability. */
export interface EqualAvailability {
  /** Replicas per app: the original's minimum; an app configured with more keeps its own. */
  readonly replicasPerApp: number;
  /** Our apps and prober at those replicas: requests. */
  readonly ours: { readonly cpuMillis: number; readonly memoryBytes: number };
  /** The original's requests as written (LimitRange defaults). */
  readonly originalWritten: { readonly cpuMillis: number; readonly memoryBytes: number };
  /** The memory the original's pods really hold, measured (its written request is below it). */
  readonly originalMeasuredMemoryBytes: number;
  /** Ours within the original's CPU as written, and within its measured memory. */
  readonly cpuWithinOriginal: boolean;
  readonly memoryWithinOriginalFootprint: boolean;
}

/** The whole report. */
export interface CostReport {
  readonly fleet: string;
  readonly apps: readonly CostLine[];
  /** The local prober (absent when monitoring is off or a shared exporter is used). */
  readonly prober?: CostLine;
  readonly total: CostLine;
  /** The original setup for the same number of apps, see {@link ORIGINAL_SETUP}. */
  readonly original: { readonly apps: CostLine; readonly exporter: CostLine; readonly total: CostLine };
  readonly equalAvailability: EqualAvailability;
  /** Work per requested core: ours, the original's, and ours / the original's. */
  readonly perCore: { readonly ours: CapacityPerCore; readonly original: CapacityPerCore; readonly ratio: number };
}

const Mi = 2 ** 20;
const MB = 10 ** 6;

/**
 * The original setup as it ran: per app a Deployment with an HPA of 3 to 10 replicas; no
 * resources in the pod spec, so every container got its namespace LimitRange's defaults (50m /
 * 64Mi requests, 250m / 256Mi limits); one blackbox exporter shared by all apps (the layout the
 * original preferred), under the same defaults.
 */
export const ORIGINAL_SETUP = Object.freeze({
  minReplicas: 3,
  maxReplicas: 10,
  requests: Object.freeze({ cpuMillis: 50, memoryBytes: 64 * Mi }),
  limits: Object.freeze({ cpuMillis: 250, memoryBytes: 256 * Mi }),
  exporters: 1,
});

/**
 * What the original's parts hold, measured here (docs/COST.md has the runs): the Flask app under
 * gunicorn (`-w 2 -k gthread --threads 4`, master and workers) holds 99.1-99.7 MB RSS after load
 * (`npm run bench:hello`, 2026-11-26 runs); the blackbox exporter 22-27 MB at its peak under load
 * (`npm run bench:prober`). Its written 64Mi request is below what the app holds.
 */
export const ORIGINAL_MEASURED = Object.freeze({ appRssBytes: 100 * MB, exporterRssBytes: 27 * MB });

/**
 * Requests/s within the SLO per requested core, measured with the bench's method (open model,
 * p99 <= 25 ms, 250m CFS quota) when no bench results file is given. docs/COST.md holds the
 * runs and their commands.
 */
export const DOCUMENTED_CAPACITY = Object.freeze({
  hello: Object.freeze({ sloRpsPerPod: 4234, cpuRequestMillis: 200, source: 'docs/COST.md: node dist/bench/scripts/capacity-per-core.js, 2026-12-02 13:43 (250m quota, p99 <= 25 ms)' }),
  original: Object.freeze({ sloRpsPerPod: 100, cpuRequestMillis: 100, source: 'docs/COST.md: node dist/bench/scripts/capacity-per-core.js, 2026-12-02 13:43, Flask+gunicorn by the same method' }),
});

function capacity(figures: { sloRpsPerPod: number; cpuRequestMillis: number; source: string }): CapacityPerCore {
  return { ...figures, rpsPerRequestedCore: figures.sloRpsPerPod / (figures.cpuRequestMillis / 1000) };
}

/**
 * Reads the SLO capacity per pod and the CPU request sized for it from a bench results file.
 * @throws ConfigError naming `--bench` and the file.
 */
export function readBenchCapacity(file: string): CapacityPerCore {
  try {
    const { recommendation } = readBenchResultsFile(file);
    return capacity({ sloRpsPerPod: recommendation.rps.sloCapacityPerPod, cpuRequestMillis: recommendation.resources.cpuRequestMillicores, source: `bench results ${file}` });
  } catch (error) {
    throw new ConfigError('--bench', `${quoteValue(file)} is not a usable bench results file: ${describeError(error)}`, { cause: error });
  }
}

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

/** The original setup for `n` apps: n HPAs of 3..10 replicas and one shared exporter, at the LimitRange defaults. */
function originalLines(n: number): CostReport['original'] {
  const { requests, limits } = ORIGINAL_SETUP;
  const atDefaults = (replicas: number): EnvelopeAt => ({
    replicas,
    requests: { cpuMillis: requests.cpuMillis * replicas, memoryBytes: requests.memoryBytes * replicas },
    limits: { cpuMillis: limits.cpuMillis * replicas, memoryBytes: limits.memoryBytes * replicas },
  });
  const apps = { name: `original: ${n} app(s), HPA ${ORIGINAL_SETUP.minReplicas}-${ORIGINAL_SETUP.maxReplicas}`, min: atDefaults(n * ORIGINAL_SETUP.minReplicas), max: atDefaults(n * ORIGINAL_SETUP.maxReplicas) };
  const exporter = { name: `original: ${ORIGINAL_SETUP.exporters} shared blackbox exporter`, min: atDefaults(ORIGINAL_SETUP.exporters), max: atDefaults(ORIGINAL_SETUP.exporters) };
  return { apps, exporter, total: sum('original total', [apps, exporter]) };
}

function equalAvailability(config: FleetConfig, prober: CostLine | undefined, original: CostReport['original']): EqualAvailability {
  const replicasPerApp = ORIGINAL_SETUP.minReplicas;
  const apps = config.apps.map((a) => at(a.resources, Math.max(a.scaling.minReplicas, replicasPerApp)).requests);
  const requests = [...apps, ...(prober ? [prober.min.requests] : [])].reduce(add, { cpuMillis: 0, memoryBytes: 0 });
  const ours = { cpuMillis: requests.cpuMillis ?? 0, memoryBytes: requests.memoryBytes ?? 0 };
  const originalWritten = { cpuMillis: original.total.min.requests.cpuMillis ?? 0, memoryBytes: original.total.min.requests.memoryBytes ?? 0 };
  const originalMeasuredMemoryBytes = original.apps.min.replicas * ORIGINAL_MEASURED.appRssBytes + ORIGINAL_SETUP.exporters * ORIGINAL_MEASURED.exporterRssBytes;
  return {
    replicasPerApp,
    ours,
    originalWritten,
    originalMeasuredMemoryBytes,
    cpuWithinOriginal: ours.cpuMillis <= originalWritten.cpuMillis,
    memoryWithinOriginalFootprint: ours.memoryBytes <= originalMeasuredMemoryBytes,
  };
}

/** Options of {@link computeCost}. */
export interface CostOptions {
  /** Our capacity per core from a bench results file ({@link readBenchCapacity}); default {@link DOCUMENTED_CAPACITY}. */
  readonly capacity?: CapacityPerCore;
}

/** Computes the fleet's resource envelope and the original setup's for the same number of apps. */
export function computeCost(config: FleetConfig, options: CostOptions = {}): CostReport {
  const apps = config.apps.map((a) => ({ name: a.name, min: at(a.resources, a.scaling.minReplicas), max: at(a.resources, a.scaling.maxReplicas) }));
  const p = config.monitoring.prober;
  const prober = config.monitoring.enabled && p.mode === 'local'
    ? { name: 'prober', min: at(p.resources, p.replicas), max: at(p.resources, p.replicas) }
    : undefined;
  const original = originalLines(config.apps.length);
  const ours = options.capacity ?? capacity(DOCUMENTED_CAPACITY.hello);
  const theirs = capacity(DOCUMENTED_CAPACITY.original);
  return {
    fleet: config.fleet,
    apps,
    ...(prober ? { prober } : {}),
    total: sum('total', prober ? [...apps, prober] : apps),
    original,
    equalAvailability: equalAvailability(config, prober, original),
    perCore: { ours, original: theirs, ratio: ours.rpsPerRequestedCore / theirs.rpsPerRequestedCore },
  };
}
