/**
 * bench/'s contract: the results file, what `npm run bench` writes and what `infra/` reads for an
 * app whose fleet config says "from bench". This module holds the format (types), its validation
 * and its reader, and nothing of the bench's runtime, so `infra/` imports it alone (DESIGN.md:
 * contracts are the one exception to "parts talk through index.ts").
 *
 * The format is versioned (`schemaVersion`); a reader refuses any other version, any unknown key
 * and any value out of range, naming the field, the value and what is allowed. A field added
 * later is optional on read (files written before it lack it) and says so in its comment; a
 * field removed or whose meaning changes is a new schema version.
 *
 * Units are in the field names: `Millicores`, `MiB`, `Ms`, `Us` (microseconds), `Rps`
 * (requests per second), `Seconds`, `Percent` (0-100), `Fraction` (0-1).
 */
import { readConfigText } from '../common/config-file.js';
import { ConfigError, NotFoundError, boolean, define, integer, joinPath, list, nullable, number, object, oneOf, optional, quoteValue, record, refuse, string } from '../common/index.js';

/**
 * The schema version this code writes. It also reads version 1, whose only difference is the
 * meaning of `recommendation.rps.targetPerPod` (C_t, before docs/BENCHMARKS.md set 13):
 * recommending again from such a file (`hello-cli bench --from`) writes version 2.
 */
export const BENCH_RESULTS_SCHEMA_VERSION = 2;
/** The versions this code reads. */
export const BENCH_RESULTS_READABLE_VERSIONS: readonly number[] = [1, 2];

/** The latency SLO a recommendation was made for. */
export interface BenchSlo {
  /** SLO percentile in percent, e.g. 99 for p99. In (0, 100). */
  readonly percentile: number;
  /** Latency bound at that percentile, in milliseconds (response time from the intended send time). */
  readonly latencyMs: number;
  /** Largest allowed share of failed requests (errors, timeouts, non-2xx), as a fraction, e.g. 0.001. */
  readonly errorBudgetFraction: number;
}

/** A value measured more than once: the one used, and its spread over repetitions. */
export interface BenchSpread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  /** How many repetitions the spread is over (1 means no spread is known). */
  readonly samples: number;
}

/**
 * A recommended value on the whole interval of the capacity: sized on each side (the protective
 * one is what the recommendation holds), `low` and `high` are the least and the most it comes to,
 * `point` its value on the merged percentiles.
 */
export interface BenchInterval {
  readonly low: number;
  readonly point: number;
  readonly high: number;
}

/** One connection count of the closed-loop saturation sweep (autocannon). */
export interface BenchSaturationStep {
  readonly connections: number;
  /** Mean completed requests per second over the measured window (warm-up excluded). */
  readonly rps: number;
  /** Server CPU in cores (CPU seconds / wall seconds); null when the server's CPU is unknown. */
  readonly serverCpuCores: number | null;
  /** Load generator CPU in cores over the same window. */
  readonly generatorCpuCores: number;
  readonly errors: number;
  readonly timeouts: number;
  /**
   * The share of the measured window the host stole from the server's core, 0..1; null when it
   * cannot be read. Absent in files written before it was recorded.
   */
  readonly stealShare?: number | null;
  /** True when the step passed the run checks; `problems` says why not. */
  readonly valid: boolean;
  readonly problems: readonly string[];
}

/** The saturation sweep's summary. */
export interface BenchSaturation {
  readonly steps: readonly BenchSaturationStep[];
  /** Highest throughput seen (X_max). */
  readonly maxRps: number;
  /** Server CPU seconds per request at X_max, in microseconds; null when the server's CPU is unknown. */
  readonly cpuUsPerRequest: number | null;
  /**
   * What limited X_max: `server` (its CPU was saturated), `generator` (autocannon's own CPU was,
   * so X_max is a lower bound of the server's capacity) or `unknown`.
   */
  readonly limitedBy: 'server' | 'generator' | 'unknown';
}

/**
 * A run check an open-model repetition can fail (docs/BENCH.md, "Run checks"): `abandoned-lag`
 * (the generator gave up on its plan: the step is invalid) and `generator-late` (its own
 * lateness decided the SLO verdict). Files written before the checks changed also hold
 * `overload-stop`, `event-loop-delay`, `send-lag`, `generator-cpu` and `achieved-short`.
 */
export type BenchOpenRunCheck = 'abandoned-lag' | 'generator-late' | 'overload-stop' | 'event-loop-delay' | 'send-lag' | 'generator-cpu' | 'achieved-short';

/** Every {@link BenchOpenRunCheck}, for readers that check a file. */
export const BENCH_OPEN_RUN_CHECKS: readonly BenchOpenRunCheck[] = ['abandoned-lag', 'generator-late', 'overload-stop', 'event-loop-delay', 'send-lag', 'generator-cpu', 'achieved-short'];

/**
 * The SLO percentile's latency of one step: on the histogram of every repetition merged, with an
 * interval from how much the share of requests above the bound varies between batches (tenths of
 * each repetition's window).
 */
export interface BenchSloLatency {
  readonly percentile: number;
  /** The SLO's latency bound, microseconds. */
  readonly boundUs: number;
  /** The percentile of the merged response-time histogram, microseconds. */
  readonly mergedUs: number;
  /** Share of the requests whose response time exceeded the bound (the SLO holds while <= 1 - percentile/100). */
  readonly overBoundFraction: number;
  /** Its standard error, from the spread over the batches (their count is `batches`). */
  readonly overBoundStandardError: number;
  readonly batches: number;
  /**
   * The interval: the merged histogram's values at the percentile moved down and up by Student's
   * t (90%, batches - 1 degrees of freedom) standard errors. `highUs` is the side that protects
   * the SLO.
   */
  readonly lowUs: number;
  readonly highUs: number;
}

/** A repetition measured again because the generator's own timing spoiled it. */
export interface BenchRemeasured {
  readonly offeredRps: number;
  /** What spoiled it (send lag, event-loop delay, and what was seen: the generator's GC, a machine stall). */
  readonly reason: string;
}

/** One offered rate of the open-model sweep, all repetitions merged. */
export interface BenchOpenStep {
  readonly offeredRps: number;
  /** Completed (any status) requests per second, mean over repetitions. */
  readonly achievedRps: number;
  readonly repetitions: number;
  /** Requests planned in the measured windows, summed over repetitions. */
  readonly requests: number;
  /** Failed requests (transport errors + non-2xx), summed. */
  readonly errors: number;
  /** Requests that hit the per-request timeout, summed (also counted in `errors`). */
  readonly timeouts: number;
  /** Response time (from the intended send time) percentiles of the merged histogram, microseconds. */
  readonly latencyUs: BenchPercentiles;
  /** SLO-percentile latency of each repetition, microseconds (each repetition analysed alone: `recommendation.spread`). */
  readonly sloLatencyUsPerRepetition: readonly number[];
  /**
   * The SLO percentile on the merged histogram with its interval: what the SLO is checked against.
   * Absent in files written before it existed (they checked the worst repetition).
   */
  readonly sloLatency?: BenchSloLatency;
  /** Server CPU in cores, median over repetitions; null when unknown. */
  readonly serverCpuCores: number | null;
  /** Server CPU in cores per repetition (empty when unknown). */
  readonly serverCpuCoresPerRepetition: readonly number[];
  /** Generator checks, worst over repetitions. */
  readonly generator: {
    readonly eventLoopDelayP99Ms: number;
    /** The generator's longest GC pause in a measured window, ms (absent in files from before it was recorded). */
    readonly gcMaxPauseMs?: number;
    readonly sendLagP99Ms: number;
    readonly cpuCores: number;
  };
  /**
   * Other processes' CPU on the machine during the step, in cores (noise), worst over repetitions.
   * Files from before `stealShare` existed count the host's steal in it.
   */
  readonly otherCpuCores: number | null;
  /**
   * The share of the measured window the host stole from the server's core (its hypervisor ran
   * something else), 0..1, worst over repetitions; null when it cannot be read. Absent in files
   * written before it was recorded.
   */
  readonly stealShare?: number | null;
  /** CFS throttled periods of the server's cgroup during the step (null: no quota set). */
  readonly throttledPeriods: number | null;
  /**
   * Whole-machine stalls (the VM paused: every timer on every core late by >= 20 ms) in the worst
   * repetition's window, ms; null when not monitored. Absent in files written before it existed.
   */
  readonly machineStallMs?: number | null;
  /**
   * The server's peak RSS during the step (worst repetition), MiB; null when it could not be
   * isolated per step. Absent in files written before it existed.
   */
  readonly serverPeakRssMiB?: number | null;
  /**
   * The server's garbage collection in the measured window (worst repetition): its longest pause
   * and its pauses summed, ms; null when they could not be seen (a URL the bench did not start).
   * Absent in files written before they were recorded.
   */
  readonly serverGcMaxPauseMs?: number | null;
  readonly serverGcTotalMs?: number | null;
  /**
   * True when every repetition measured the server (none abandoned by the generator). A
   * repetition the generator's lateness spoiled and that stayed so after the re-measurements is
   * kept (it can only make the step look worse) and named in `problems`.
   */
  readonly valid: boolean;
  readonly problems: readonly string[];
  /**
   * The checks that failed in any repetition, by code (what `problems` says in words). Absent in
   * files written before it existed.
   */
  readonly failedChecks?: readonly BenchOpenRunCheck[];
  /** The merged response-time histogram, HdrHistogram compressed base64 (microseconds), for later merging. */
  readonly histogram: string;
}

/** Latency percentiles in microseconds. */
export interface BenchPercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** Where and how the measurements were taken. */
export interface BenchEnvironment {
  readonly node: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly cpus: number;
  /** 1-minute load average before the run. */
  readonly loadAverageBefore: number;
  /** CPU the server ran on (`taskset`), or null when not pinned. */
  readonly serverCpus: string | null;
  /** CPU the load generator ran on, or null when not pinned. */
  readonly generatorCpus: string | null;
  /**
   * The largest new space (the young generation's two semi-spaces) of the open-model driver's
   * worker thread at the end of a step, MiB. Absent in files from before the driver had a thread
   * of its own: it ran on the bench's main thread, whose default young generation grew to 16 MiB
   * and more and whose scavenges delayed 1-2% of the requests (docs/BENCHMARKS.md set 14).
   */
  readonly generatorNewSpaceMiB?: number;
  /** The server's CPU quota in millicores, or null for none. */
  readonly serverCpuQuotaMillicores: number | null;
  /** The quota's CFS period, ms (absent in files from before it was recorded: 100). */
  readonly serverCpuQuotaPeriodMs?: number | null;
  /** Versions of the tools used, e.g. `{ autocannon: "9.0.0" }`. */
  readonly tools: Readonly<Record<string, string>>;
  readonly gitSha: string | null;
}

/** One autoscaling/v2 HPA scaling policy. */
export interface BenchHpaPolicy {
  readonly type: 'Pods' | 'Percent';
  readonly value: number;
  readonly periodSeconds: number;
}

/** One direction of autoscaling/v2 `behavior`. */
export interface BenchHpaScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: 'Max' | 'Min';
  readonly policies: readonly BenchHpaPolicy[];
}

/** What the bench recommends. `infra/` uses `resources` and `hpa` as they are. */
export interface BenchRecommendation {
  /** The SLO this recommendation was made for. */
  readonly slo: BenchSlo;
  readonly resources: {
    readonly cpuRequestMillicores: number;
    /** null: no CPU limit (the default; see docs/BENCH.md for why). */
    readonly cpuLimitMillicores: number | null;
    readonly memoryRequestMiB: number;
    readonly memoryLimitMiB: number;
  };
  readonly hpa: {
    readonly minReplicas: number;
    readonly maxReplicas: number;
    /** autoscaling/v2 Resource metric `cpu`, target `averageUtilization`. */
    readonly targetCPUUtilizationPercentage: number;
    readonly behavior: {
      readonly scaleUp: BenchHpaScalingRules;
      readonly scaleDown: BenchHpaScalingRules;
    };
  };
  /** For RPS/concurrency autoscalers (KEDA, Knative KPA): per-pod request rates. */
  readonly rps: {
    /**
     * Per-pod rate to scale on: C_slo x min(1, u_t / u_max), the CPU target's headroom in requests;
     * equal to C_t (where a CPU HPA holds a pod) when the server's CPU is proportional to its rate.
     * In schemaVersion 1 files it is C_t.
     */
    readonly targetPerPod: number;
    /** Per-pod rate at which the SLO still holds (C_slo = lambda_cap); never run a pod past it. */
    readonly sloCapacityPerPod: number;
    /** 100 * targetPerPod / sloCapacityPerPod, for Knative's target-utilization-percentage. */
    readonly targetUtilizationPercent: number;
  };
  /** Every intermediate value by name (lambda_slo, cpu_cap, u_max, t_lag, g, ...), with units in the name. */
  readonly intermediates: Readonly<Record<string, number | null>>;
  /** Spread of the key values over repetitions (each repetition's sweep analysed alone). */
  readonly spread: Readonly<Record<string, BenchSpread>>;
  /**
   * Each recommended value's interval (cpuRequestMillicores, memoryRequestMiB,
   * targetCPUUtilizationPercentage, minReplicas, maxReplicas, rpsTargetPerPod, sloCapacityPerPod).
   * Absent in files written before it existed.
   */
  readonly intervals?: Readonly<Record<string, BenchInterval>>;
  /** The reasoning, one sentence per step, in order. */
  readonly reasoning: readonly string[];
  /** Things a reader must know before using the numbers (lower bounds, clamps, noise). */
  readonly warnings: readonly string[];
}

/** The open sweep of the recommended pod (`measurements.requestPod`). */
export interface BenchRequestPod {
  /** The quota it ran under: the CPU request the main sweep's measurements gave. */
  readonly cpuQuotaMillicores: number;
  /** Its SLO capacity as the main sweep's CPU line predicted it, req/s; the offered rates are fractions of it. */
  readonly predictedSloCapacityRps: number;
  readonly steps: readonly BenchOpenStep[];
  readonly remeasured: readonly BenchRemeasured[];
  readonly stillSpoiled: number;
  readonly freshServers: number;
  readonly unsettledWarmups: number;
}

/** The whole results file. */
export interface BenchResults {
  /** 2, or 1 for a file whose `rps.targetPerPod` is C_t (see BENCH_RESULTS_SCHEMA_VERSION). */
  readonly schemaVersion: 1 | 2;
  /** ISO 8601 time the run finished. */
  readonly createdAt: string;
  readonly mode: 'quick' | 'full' | 'custom';
  readonly target: {
    readonly url: string;
    /** True when the bench started the hello service itself. */
    readonly startedByBench: boolean;
    /** The node flags it started hello with; absent in files from before they were recorded, null for a server the user runs. */
    readonly nodeFlags?: readonly string[] | null;
  };
  readonly environment: BenchEnvironment;
  /** Inputs of `recommend` besides the measurements (peak rate, growth, cluster facts...). */
  readonly inputs: Readonly<Record<string, number | boolean | string>>;
  readonly measurements: {
    readonly saturation: BenchSaturation;
    readonly openModel: {
      /** `poisson` (seeded) or `uniform` arrivals. */
      readonly arrivals: 'poisson' | 'uniform';
      readonly seed: number;
      readonly warmupSeconds: number;
      readonly durationSeconds: number;
      readonly steps: readonly BenchOpenStep[];
      /** Repetitions measured again (the new run replaced the spoiled one). Absent in files written before it existed. */
      readonly remeasured?: readonly BenchRemeasured[];
      /**
       * Repetitions that still failed the generator's timing checks when the re-measure budget was
       * spent (their steps are left out). Absent in files written before it existed.
       */
      readonly stillSpoiled?: number;
      /**
       * How many times the server was replaced by a fresh process (the bench started it): after each
       * repetition that overloaded it, and, in files from commit de9d891 on (`environment.gitSha`),
       * before each repetition at a lower rate than the process had been offered. Absent in files
       * written before it existed.
       */
      readonly freshServers?: number;
      /**
       * Fresh servers whose warm-up (until V8's background threads are quiet, from set 13) ended
       * with them still busy. Absent in files written before it existed.
       */
      readonly unsettledWarmups?: number;
    };
    /**
     * The recommended pod measured directly: an open sweep under a quota equal to the CPU request,
     * when the request came out smaller than the quota the capacity was measured under. Absent
     * when it did not (or the bench did not start the server), and in files written before it
     * existed.
     */
    readonly requestPod?: BenchRequestPod;
    /** Peak resident memory of the server over the run, MiB; null when unknown. */
    readonly serverPeakRssMiB: number | null;
  };
  /**
   * Whole-run verdict. `valid` false means the run checks found the measurements untrustworthy
   * (generator bottleneck, achieved below offered, noise); `problems` says which. The
   * recommendation is then computed from the valid steps only and is marked in its warnings.
   */
  readonly validity: {
    readonly valid: boolean;
    readonly problems: readonly string[];
  };
  readonly recommendation: BenchRecommendation;
}

// ---------------------------------------------------------------------------------------------
// Validation: the format as a common/validate schema, each field described once with what it allows.

const MAX = Number.MAX_VALUE;
const nonNeg = number(0, MAX, { allowed: 'a number >= 0' });
const positive = number(0, MAX, { exclusiveMin: true, allowed: 'a number > 0' });
const anyNumber = number(-MAX, MAX, { allowed: 'a number' });
const count = integer(0, Number.MAX_SAFE_INTEGER, 'a whole number >= 0');
const atLeastOne = integer(1, Number.MAX_SAFE_INTEGER, 'a whole number >= 1');
const text = string({ minLength: 1, allowed: 'a non-empty string' });
const strings = list(text);
const percentile = number(0, 99.9999, { exclusiveMin: true, allowed: 'a percentile above 0 up to 99.9999' });
const scalar = define<number | boolean | string>({
  allowed: 'a number, true or false, or a string',
  parse: (value, path) => (['number', 'boolean', 'string'].includes(typeof value) ? (value as number | boolean | string) : refuse(path, value, 'a number, true or false, or a string')),
  jsonSchema: () => ({ type: ['number', 'boolean', 'string'] }),
});

const sloSchema = object({ percentile, latencyMs: positive, errorBudgetFraction: number(0, 1) });

const policy = object({ type: oneOf(['Pods', 'Percent']), value: atLeastOne, periodSeconds: integer(1, 1800) });

const rules = object({ stabilizationWindowSeconds: integer(0, 3600), selectPolicy: oneOf(['Max', 'Min']), policies: list(policy, { minItems: 1 }) });

const environmentSchema = object({
  node: text,
  platform: text,
  cpuModel: text,
  cpus: atLeastOne,
  loadAverageBefore: nonNeg,
  serverCpus: nullable(text),
  generatorCpus: nullable(text),
  generatorNewSpaceMiB: optional(positive),
  serverCpuQuotaMillicores: nullable(atLeastOne),
  serverCpuQuotaPeriodMs: optional(nullable(number(1, 1000))),
  tools: record(text),
  gitSha: nullable(text),
});

const saturationSchema = object({
  steps: list(
    object({
      connections: atLeastOne,
      rps: nonNeg,
      serverCpuCores: nullable(nonNeg),
      generatorCpuCores: nonNeg,
      errors: count,
      timeouts: count,
      stealShare: optional(nullable(number(0, 1))),
      valid: boolean(),
      problems: strings,
    }),
  ),
  maxRps: nonNeg,
  cpuUsPerRequest: nullable(nonNeg),
  limitedBy: oneOf(['server', 'generator', 'unknown']),
});

const openStepSchema = object({
  offeredRps: positive,
  achievedRps: nonNeg,
  repetitions: atLeastOne,
  requests: count,
  errors: count,
  timeouts: count,
  latencyUs: object({ p50: nonNeg, p90: nonNeg, p99: nonNeg, p999: nonNeg, max: nonNeg }),
  sloLatencyUsPerRepetition: list(nonNeg),
  sloLatency: optional(
    object({ percentile, boundUs: nonNeg, mergedUs: nonNeg, overBoundFraction: number(0, 1), overBoundStandardError: nonNeg, batches: atLeastOne, lowUs: nonNeg, highUs: nonNeg }),
  ),
  serverCpuCores: nullable(nonNeg),
  serverCpuCoresPerRepetition: list(nonNeg),
  generator: object({ eventLoopDelayP99Ms: nonNeg, sendLagP99Ms: nonNeg, cpuCores: nonNeg, gcMaxPauseMs: optional(nonNeg) }),
  otherCpuCores: nullable(nonNeg),
  stealShare: optional(nullable(number(0, 1))),
  throttledPeriods: nullable(count),
  machineStallMs: optional(nullable(nonNeg)),
  serverPeakRssMiB: optional(nullable(nonNeg)),
  serverGcMaxPauseMs: optional(nullable(nonNeg)),
  serverGcTotalMs: optional(nullable(nonNeg)),
  valid: boolean(),
  problems: strings,
  failedChecks: optional(list(oneOf(BENCH_OPEN_RUN_CHECKS))),
  histogram: text,
});

const remeasuredSchema = object({ offeredRps: positive, reason: text });

const measurementsSchema = object({
  saturation: saturationSchema,
  openModel: object({
    arrivals: oneOf(['poisson', 'uniform']),
    seed: count,
    warmupSeconds: nonNeg,
    durationSeconds: positive,
    steps: list(openStepSchema),
    remeasured: optional(list(remeasuredSchema)),
    stillSpoiled: optional(count),
    freshServers: optional(count),
    unsettledWarmups: optional(count),
  }),
  requestPod: optional(
    object({
      cpuQuotaMillicores: atLeastOne,
      predictedSloCapacityRps: positive,
      steps: list(openStepSchema),
      remeasured: list(remeasuredSchema),
      stillSpoiled: count,
      freshServers: count,
      unsettledWarmups: count,
    }),
  ),
  serverPeakRssMiB: nullable(nonNeg),
});

const recommendationSchema = object(
  {
    slo: sloSchema,
    resources: object({ cpuRequestMillicores: atLeastOne, cpuLimitMillicores: nullable(atLeastOne), memoryRequestMiB: atLeastOne, memoryLimitMiB: atLeastOne }),
    hpa: object({ minReplicas: atLeastOne, maxReplicas: atLeastOne, targetCPUUtilizationPercentage: integer(1, 100), behavior: object({ scaleUp: rules, scaleDown: rules }) }),
    rps: object({ targetPerPod: positive, sloCapacityPerPod: positive, targetUtilizationPercent: integer(1, 100) }),
    intermediates: record(nullable(anyNumber)),
    spread: record(object({ min: anyNumber, median: anyNumber, max: anyNumber, samples: atLeastOne })),
    intervals: optional(record(object({ low: anyNumber, point: anyNumber, high: anyNumber }))),
    reasoning: strings,
    warnings: strings,
  },
  { check: checkRecommendation },
);

/** The cross-field rules: maxReplicas >= minReplicas, memory limit >= request, CPU limit >= request. */
function checkRecommendation(rec: { hpa: { minReplicas: number; maxReplicas: number }; resources: { cpuRequestMillicores: number; cpuLimitMillicores: number | null; memoryRequestMiB: number; memoryLimitMiB: number } }, path: string): void {
  const { hpa, resources } = rec;
  if (hpa.maxReplicas < hpa.minReplicas) refuse(joinPath(path, 'hpa.maxReplicas'), hpa.maxReplicas, `>= ${joinPath(path, 'hpa.minReplicas')} (${hpa.minReplicas})`);
  if (resources.memoryLimitMiB < resources.memoryRequestMiB) refuse(joinPath(path, 'resources.memoryLimitMiB'), resources.memoryLimitMiB, `>= memoryRequestMiB (${resources.memoryRequestMiB})`);
  if (resources.cpuLimitMillicores !== null && resources.cpuLimitMillicores < resources.cpuRequestMillicores) {
    refuse(joinPath(path, 'resources.cpuLimitMillicores'), resources.cpuLimitMillicores, `null or >= cpuRequestMillicores (${resources.cpuRequestMillicores})`);
  }
}

const resultsSchema = object({
  schemaVersion: integer(1, BENCH_RESULTS_SCHEMA_VERSION, `schemaVersion ${BENCH_RESULTS_READABLE_VERSIONS.join(' or ')}`),
  createdAt: string({ pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, allowed: 'an ISO 8601 UTC time such as "2026-11-26T07:00:00.000Z"' }),
  mode: oneOf(['quick', 'full', 'custom']),
  target: object({ url: string({ pattern: /^https?:\/\//, allowed: 'an http(s) URL' }), startedByBench: boolean(), nodeFlags: optional(nullable(strings)) }),
  environment: environmentSchema,
  inputs: record(scalar),
  measurements: measurementsSchema,
  validity: object({ valid: boolean(), problems: strings }),
  recommendation: recommendationSchema,
});

/**
 * Checks that `value` is a bench results document of this schema version, including the
 * cross-field rules (maxReplicas >= minReplicas, memory limit >= request, CPU limit >= request).
 * @throws ConfigError naming the field, the value and what is allowed.
 */
export function validateBenchResults(value: unknown): BenchResults {
  if (typeof value === 'object' && value !== null && 'schemaVersion' in value) {
    const version = (value as { schemaVersion: unknown }).schemaVersion;
    if (!BENCH_RESULTS_READABLE_VERSIONS.includes(version as number)) {
      throw new ConfigError('schemaVersion', `${quoteValue(version)} is not supported; this hello-edge reads schemaVersion ${BENCH_RESULTS_READABLE_VERSIONS.join(' or ')} (re-run \`npm run bench\` to produce it)`);
    }
  }
  return resultsSchema.parse(value, '') as BenchResults;
}

/**
 * Reads and validates a bench results file (JSON).
 * @throws NotFoundError (`HELLO_ERR_NOT_FOUND`) when the file cannot be read; ConfigError (field
 *   `path`, or the dotted field inside the file prefixed with the path) when it is not valid.
 */
export async function readBenchResults(path: string): Promise<BenchResults> {
  let text: string;
  try {
    text = readConfigText(path, 'bench results');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'HELLO_ERR_NOT_FOUND') throw error; // not UTF-8
    throw new NotFoundError(`bench results ${path}: cannot read (${(error as { cause?: NodeJS.ErrnoException }).cause?.code ?? 'unreadable'}); run \`npm run bench\` to produce it`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, `is not JSON (${(error as Error).message})`);
  }
  try {
    return validateBenchResults(parsed);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'HELLO_ERR_CONFIG') throw error;
    const { field, message } = error as ConfigError;
    throw new ConfigError(`${path}: ${field}`, message.slice(field.length + 2), { cause: error });
  }
}
