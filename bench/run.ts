/**
 * The whole bench: start (or reach) the server, pin, sweep closed-loop with autocannon, sweep
 * open-model with our driver, check, summarise, recommend. Progress goes to a callback; nothing
 * here prints.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { AbortedError, ExternalError, InvalidArgumentError, NoRecommendationError, silentLogger, type Logger } from '../common/index.js';
import { createRandom } from './arrivals.js';
import { busyCoresBetween, cpuInfo, loadAverage, pinProcess, processCpuSeconds, processPeakRssMiB, readCoreTimes, resetPeakRss } from './host.js';
import { runOpenModel } from './open-model.js';
import { recommend, type RecommendInputs } from './recommend.js';
import { BENCH_RESULTS_SCHEMA_VERSION, validateBenchResults, type BenchEnvironment, type BenchOpenStep, type BenchResults, type BenchSlo } from './results.js';
import { runSaturationStep, type SaturationRun } from './saturation.js';
import { startStallMonitor, type StallMonitor } from './stalls.js';
import { DEFAULT_GATES, noiseOf, refineRates, serverFellShort, spoiledByGenerator, summarizeOpenStep, summarizeSaturation, type OpenRunRecord, type RunGates } from './summarize.js';
import { externalTarget, startHelloTarget, type BenchTarget } from './target.js';

/** How long and how wide a bench run is. */
export interface BenchPlan {
  /** autocannon connection counts of the saturation sweep. */
  readonly saturationConnections: readonly number[];
  readonly saturationWarmupSeconds: number;
  readonly saturationSeconds: number;
  /** Offered rates as fractions of X_max. */
  readonly rateFractions: readonly number[];
  readonly repetitions: number;
  readonly openWarmupSeconds: number;
  readonly openSeconds: number;
  /** Pause between steps, seconds. */
  readonly coolDownSeconds: number;
  /**
   * At most this many repetitions spoiled by the generator (see `spoiledByGenerator`) are measured
   * again, after the coarse sweep and after the refinement, replacing the spoiled ones.
   */
  readonly retries: number;
}

/** The quick plan: about a minute. */
export const QUICK_PLAN: BenchPlan = {
  saturationConnections: [4, 16, 64],
  saturationWarmupSeconds: 1,
  saturationSeconds: 3,
  rateFractions: [0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0],
  repetitions: 1,
  openWarmupSeconds: 1,
  openSeconds: 4,
  coolDownSeconds: 0.2,
  retries: 2,
};

/**
 * The full plan: about ten minutes. Shorter than bench-method.md asks (30 s steps, 5
 * repetitions, 12 rates) so it fits in ten minutes with room to re-measure spoiled repetitions;
 * the spread over 3 repetitions says how much that costs.
 */
export const FULL_PLAN: BenchPlan = {
  saturationConnections: [1, 4, 16, 64, 256],
  saturationWarmupSeconds: 2,
  saturationSeconds: 6,
  rateFractions: [0.05, 0.1, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0],
  repetitions: 3,
  openWarmupSeconds: 2,
  openSeconds: 10,
  coolDownSeconds: 0.3,
  retries: 9,
};

/** A progress event, for the terminal. */
export interface BenchProgress {
  readonly phase: 'setup' | 'saturation' | 'open' | 'recommend';
  /** 1-based step number within the phase, and the phase's step count. */
  readonly step: number;
  readonly steps: number;
  readonly message: string;
}

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Server to drive; when absent the bench starts the hello service itself. */
  readonly url?: string;
  /** pid of an external server, for its CPU and memory (ignored when the bench starts hello). */
  readonly pid?: number | null;
  readonly mode: 'quick' | 'full' | 'custom';
  /** The plan; default from `mode` (custom needs one). */
  readonly plan?: BenchPlan;
  readonly slo: BenchSlo;
  /** Traffic and cluster inputs of `recommend` (besides the SLO). */
  readonly inputs: Omit<RecommendInputs, 'slo'>;
  /** CPU list for the server (taskset), or null for no pinning. Default "0" on 2+ cores. */
  readonly serverCpus?: string | null;
  /** CPU list for this process (the generator), or null. Default "1" on 2+ cores. */
  readonly generatorCpus?: string | null;
  /**
   * CPU quota of the started server in millicores, or null for none. Default
   * {@link DEFAULT_SERVER_CPU_QUOTA_MILLICORES} when the bench starts hello itself.
   */
  readonly cpuQuotaMillicores?: number | null;
  /**
   * CFS period of that quota, ms. Default: 100 (the kubelet's) when the recommendation sets a CPU
   * limit, else {@link SHARE_LIKE_QUOTA_PERIOD_MS}.
   */
  readonly cpuQuotaPeriodMs?: number;
  /** Seed of the arrival plans and the step order. Default 1. */
  readonly seed?: number;
  readonly arrivals?: 'poisson' | 'uniform';
  /** Open-model pool connections. Default 64. */
  readonly connections?: number;
  /** Per-request timeout of the open-model driver, ms. Default 2000. */
  readonly timeoutMs?: number;
  readonly gates?: RunGates;
  readonly logger?: Logger;
  readonly onProgress?: (event: BenchProgress) => void;
  readonly signal?: AbortSignal;
}

/** A run's measurements without a recommendation (what is known when none can be made). */
export type BenchMeasuredRun = Omit<BenchResults, 'recommendation'>;

/**
 * The run finished but left nothing to recommend from (every step invalid, or the SLO failing at
 * the lowest rate): a NoRecommendationError whose `measured` holds what was measured and the run
 * checks, for the report.
 */
function noRecommendation(measured: BenchMeasuredRun, cause: Error): NoRecommendationError<BenchMeasuredRun> {
  const checks = measured.validity.problems;
  return new NoRecommendationError(`no recommendation: ${cause.message}${checks.length ? `. Run checks: ${checks.join(' | ')}` : ''}`, measured, { cause });
}

/**
 * The quota the started hello service runs under unless told otherwise: a quarter core, a small
 * pod's slice. Why a quota by default: one hello process on a whole core serves 57-86k req/s here,
 * more than a single-threaded Node load generator can offer on its own core without its own timer
 * lateness spoiling the steps, so an unconstrained run only bounds the capacity from below and that
 * bound moves from run to run (docs/BENCHMARKS.md). Capped at 250m the server is the bottleneck
 * inside the generator's clean range, so the per-pod capacity is measured, not bounded.
 */
export const DEFAULT_SERVER_CPU_QUOTA_MILLICORES = 250;

/**
 * The CFS period of the server's quota when the pod will have no CPU limit. With the kubelet's
 * 100 ms period a 250m quota lets a burst use its 25 ms and then stops the server for up to 75 ms:
 * the p99 of three full runs then broke the SLO anywhere from 31% to 52% of X_max, depending on
 * how bursts met period boundaries. That is what a pod with a 250m *limit* gets, but a pod with a
 * 250m *request* and no limit gets its share smoothly (CFS weights, no quota), so for it the quota
 * only has to make the server a quarter-speed core: a 10 ms period caps stalls at 7.5 ms.
 */
export const SHARE_LIKE_QUOTA_PERIOD_MS = 10;

let fullGc: (() => void) | undefined;
/**
 * A full garbage collection of this process between steps, so the garbage one step leaves (an
 * overload step's queued requests above all) is not collected during the next step's measured
 * window, where the pause would show as send lag. `gc` is exposed at run time (the CLI is not
 * started with --expose-gc); where that fails, steps simply run without it.
 */
function collectGarbage(): void {
  if (fullGc === undefined) {
    fullGc = () => {};
    try {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as unknown;
      if (typeof gc === 'function') fullGc = gc as () => void;
    } catch {
      // keep the no-op
    }
  }
  fullGc();
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the bench and returns the validated results (not yet written anywhere).
 * @throws ExternalError when the server cannot be started or reached, or when no valid step is
 *   left to recommend from (the message lists the run checks that failed).
 */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const plan = options.plan ?? (options.mode === 'full' ? FULL_PLAN : options.mode === 'quick' ? QUICK_PLAN : undefined);
  if (!plan) throw new InvalidArgumentError('runBench: mode "custom" needs a plan');
  const logger = options.logger ?? silentLogger;
  const gates = options.gates ?? DEFAULT_GATES;
  const progress = options.onProgress ?? (() => {});
  const seed = options.seed ?? 1;
  const arrivals = options.arrivals ?? 'poisson';
  const { model, count } = cpuInfo();
  const twoCores = count >= 2;
  const serverCpus = options.serverCpus !== undefined ? options.serverCpus : twoCores ? '0' : null;
  let generatorCpus = options.generatorCpus !== undefined ? options.generatorCpus : twoCores ? '1' : null;
  const problems: string[] = [];
  const quotaPeriodMs = options.cpuQuotaPeriodMs ?? ((options.inputs.cpuLimit ?? 'none') === 'none' ? SHARE_LIKE_QUOTA_PERIOD_MS : 100);
  if (!(quotaPeriodMs >= 1 && quotaPeriodMs <= 1000)) {
    throw new InvalidArgumentError(`--cpu-quota-period ${quotaPeriodMs}ms is not allowed; use 1ms to 1s (the CFS period's range)`);
  }
  const loadBefore = loadAverage();
  if (loadBefore > gates.maxLoadPerCore * count) {
    problems.push(`noise: load average ${loadBefore.toFixed(2)} before the run (> ${gates.maxLoadPerCore} x ${count} cores): other work shares the machine`);
  }
  if (!twoCores) problems.push('only one CPU: server and generator share it, so the generator takes CPU from the server');

  progress({ phase: 'setup', step: 1, steps: 1, message: options.url ? `target ${options.url}` : 'starting the hello service' });
  if (generatorCpus !== null) {
    const why = pinProcess(process.pid, generatorCpus);
    if (why) {
      problems.push(why);
      generatorCpus = null;
    }
  }
  const target: BenchTarget = options.url
    ? externalTarget(options.url, options.pid ?? null)
    : await startHelloTarget({
        cpus: serverCpus,
        quotaMillicores: options.cpuQuotaMillicores === undefined ? DEFAULT_SERVER_CPU_QUOTA_MILLICORES : options.cpuQuotaMillicores,
        quotaPeriodUs: 1000 * quotaPeriodMs,
        logger,
      });
  problems.push(...target.notes);
  if (options.url && options.cpuQuotaMillicores) problems.push('--cpu-quota applies only to the hello service the bench starts; the external target ran without it');
  if (target.pid === null) problems.push('server pid unknown (external URL without --pid): no CPU or memory measurements, so no CPU-based recommendation');
  // After pinning, so the monitor's thread shares the generator's core.
  const stallMonitor = startStallMonitor();

  try {
    await checkReachable(target.url, options.signal);
    // 1. Saturation sweep (closed loop).
    const satRuns: SaturationRun[] = [];
    for (const [i, connections] of plan.saturationConnections.entries()) {
      if (options.signal?.aborted) throw new AbortedError('bench aborted');
      progress({ phase: 'saturation', step: i + 1, steps: plan.saturationConnections.length, message: `autocannon, ${connections} connection(s), ${plan.saturationSeconds}s` });
      const run = await runSaturationStep({ url: target.url, connections, warmupSeconds: plan.saturationWarmupSeconds, durationSeconds: plan.saturationSeconds, pid: target.pid });
      satRuns.push(run);
      progress({
        phase: 'saturation',
        step: i + 1,
        steps: plan.saturationConnections.length,
        message: `  ${Math.round(run.rps)} req/s, server ${run.serverCpuCores?.toFixed(2) ?? '?'} cores, autocannon ${run.generatorCpuCores.toFixed(2)} cores`,
      });
      await sleep(plan.coolDownSeconds * 1000);
    }
    const saturationPeakRss = target.pid === null ? null : processPeakRssMiB(target.pid);
    const capacityCores = target.quota ? target.quota.millicores / 1000 : 1;
    const saturation = summarizeSaturation(satRuns, capacityCores, gates);
    if (saturation.maxRps <= 0) throw new ExternalError(`the saturation sweep completed no request against ${target.url}`);
    if (saturation.limitedBy === 'unknown') {
      const best = satRuns.reduce((a, b) => (b.rps > a.rps ? b : a));
      problems.push(
        `saturation: at X_max = ${Math.round(saturation.maxRps)} req/s neither the server (${best.serverCpuCores?.toFixed(2) ?? '?'} cores) nor autocannon (${best.generatorCpuCores.toFixed(2)} cores) was CPU-bound${best.otherCpuCores !== null ? `; other processes used ${best.otherCpuCores.toFixed(2)} cores` : ''}: X_max is not the server's capacity`,
      );
    }
    if (saturation.limitedBy === 'generator') {
      problems.push(`generator bottleneck: autocannon was CPU-bound at X_max = ${Math.round(saturation.maxRps)} req/s while the server had room; X_max is a lower bound (use --cpu-quota to make the server the limit)`);
    }

    // 2. Open-model sweep, steps in a seeded random order; then a refinement pass with two more
    // rates where the SLO (or validity) boundary fell between two coarse steps.
    const records = new Map<number, OpenRunRecord[]>();
    const connections = options.connections ?? 64;
    const timeoutMs = options.timeoutMs ?? 2000;
    let done = 0;
    /** One repetition: a GC first (so the last one's garbage stays out), the run, its progress line, the cool-down. */
    const measureRepetition = async (rate: number, runSeed: number, step: number, steps: number): Promise<OpenRunRecord> => {
      collectGarbage();
      const record = await measureOpenStep(target, stallMonitor, { rate, seed: runSeed, plan, arrivals, connections, timeoutMs, signal: options.signal });
      const p = record.run;
      progress({
        phase: 'open',
        step,
        steps,
        message: `  achieved ${Math.round(p.achievedRps)} req/s, p${options.slo.percentile} ${(p.response.getValueAtPercentile(options.slo.percentile) / 1000).toFixed(2)} ms, errors ${p.errors}, send lag p99 ${(p.sendLag.getValueAtPercentile(99) / 1000).toFixed(2)} ms, GC max ${p.gcMaxPauseMs.toFixed(1)} ms, stalls ${Math.round(record.machineStallMs ?? 0)} ms`,
      });
      await sleep(plan.coolDownSeconds * 1000);
      return record;
    };
    const sweep = async (rates: readonly number[], label: string, total: number): Promise<void> => {
      const order: { rate: number; rep: number }[] = rates.flatMap((rate) => Array.from({ length: plan.repetitions }, (_, rep) => ({ rate, rep })));
      shuffle(order, createRandom((seed + done) ^ 0x9e3779b9));
      for (const { rate, rep } of order) {
        if (options.signal?.aborted) throw new AbortedError('bench aborted');
        done += 1;
        progress({ phase: 'open', step: done, steps: total, message: `${label} ${rate} req/s (rep ${rep + 1}/${plan.repetitions}), ${plan.openWarmupSeconds}s warm-up + ${plan.openSeconds}s` });
        const record = await measureRepetition(rate, seed + rep * 1000 + done, done, total);
        records.set(rate, [...(records.get(rate) ?? []), record]);
      }
    };
    const coarse = [...new Set(plan.rateFractions.map((f) => Math.max(1, Math.round(saturation.maxRps * f))))];
    const refineCount = 2;
    await sweep(coarse, 'open model', (coarse.length + refineCount) * plan.repetitions);
    const summarize = (): BenchOpenStep[] => [...records.keys()].sort((a, b) => a - b).map((rate) => summarizeOpenStep(records.get(rate)!, options.slo.percentile, gates));
    // Spoiled repetitions are measured again before refining, so the refinement brackets the
    // server's boundary rather than a generator hiccup; what the refinement itself spoils gets
    // the rest of the budget.
    const remeasure = async (rate: number, note: string, index: number, count: number): Promise<OpenRunRecord> => {
      if (options.signal?.aborted) throw new AbortedError('bench aborted');
      done += 1;
      progress({ phase: 'open', step: index, steps: count, message: `re-measure ${rate} req/s (${note}), ${plan.openWarmupSeconds}s warm-up + ${plan.openSeconds}s` });
      return measureRepetition(rate, seed + 7919 * done, index, count);
    };
    const remeasured = await remeasureSpoiled(records, plan.retries, gates, remeasure);
    const refine = refineRates(summarize(), options.slo, gates.minAchievedRatio, refineCount);
    if (refine.length > 0) await sweep(refine, 'refine', done + refine.length * plan.repetitions);
    remeasured.push(...(await remeasureSpoiled(records, plan.retries - remeasured.length, gates, remeasure)));
    const steps = summarize();
    const noisy = [...records.values()].flat().map((r) => noiseOf(r, gates)).filter((n): n is string => n !== null);
    const stalledMs = [...records.values()].flat().map((r) => r.machineStallMs ?? 0);
    const measuredSeconds = stalledMs.length * plan.openSeconds;
    const stallTotal = stalledMs.reduce((a, b) => a + b, 0);
    // At p99 a step's latency is decided by its slowest 1%: 100 ms of a 10 s window. Stalls
    // approaching that share make the percentile the machine's rather than the server's.
    if (stallTotal > 0.002 * measuredSeconds * 1000) {
      problems.push(
        `noise: the whole machine stalled (every timer late by >= 20 ms; the VM paused by its host) for ${Math.round(stallTotal)} ms over ${Math.round(measuredSeconds)} s of measurement (${((100 * stallTotal) / (measuredSeconds * 1000)).toFixed(2)}%, worst window ${Math.round(Math.max(...stalledMs))} ms): high percentiles include those pauses`,
      );
    }
    if (noisy.length > 0) problems.push(`noise: ${noisy.length} open-model run(s) shared the machine with other work (worst: ${noisy.sort().at(-1)})`);
    const invalid = steps.filter((s) => !s.valid);
    if (invalid.length > 0) problems.push(`${invalid.length} of ${steps.length} open-model step(s) failed the run checks: ${invalid.map((s) => `${s.offeredRps} req/s (${s.problems[0]})`).join('; ')}`);
    // Per-step peaks reset the high-water mark, so the run's peak is the largest of them and of
    // the saturation sweep's.
    const stepPeaks = [...records.values()].flat().map((r) => r.serverPeakRssMiB).filter((x): x is number => x !== null);
    const lastPeak = target.pid === null ? null : processPeakRssMiB(target.pid);
    const peakRss = lastPeak === null ? null : Math.max(lastPeak, saturationPeakRss ?? 0, ...stepPeaks);

    const environment: BenchEnvironment = {
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpuModel: model,
      cpus: count,
      loadAverageBefore: loadBefore,
      serverCpus: target.startedByBench ? target.cpus : null,
      generatorCpus,
      serverCpuQuotaMillicores: target.quota?.millicores ?? null,
      serverCpuQuotaPeriodMs: target.quota ? target.quota.periodUs / 1000 : null,
      tools: toolVersions(),
      gitSha: gitSha(),
    };
    const inputs = Object.fromEntries(
      Object.entries({
        ...options.inputs,
        sloPercentile: options.slo.percentile,
        sloLatencyMs: options.slo.latencyMs,
        sloErrorBudgetFraction: options.slo.errorBudgetFraction,
        timeoutMs: options.timeoutMs ?? 2000,
        connections: options.connections ?? 64,
        repetitions: plan.repetitions,
      }).filter(([, v]) => v !== undefined),
    ) as Record<string, number | string | boolean>;
    const measured: BenchMeasuredRun = {
      schemaVersion: BENCH_RESULTS_SCHEMA_VERSION,
      createdAt: new Date().toISOString(),
      mode: options.mode,
      target: { url: target.url, startedByBench: target.startedByBench },
      environment,
      inputs,
      measurements: {
        saturation,
        openModel: { arrivals, seed, warmupSeconds: plan.openWarmupSeconds, durationSeconds: plan.openSeconds, steps },
        serverPeakRssMiB: peakRss,
      },
      validity: { valid: problems.length === 0, problems },
    };

    // 3. Recommend.
    progress({ phase: 'recommend', step: 1, steps: 1, message: 'recommending' });
    let recommendation;
    try {
      recommendation = recommend({ saturation, openSteps: steps, serverPeakRssMiB: peakRss }, { minAchievedRatio: gates.minAchievedRatio, ...options.inputs, slo: options.slo });
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw noRecommendation(measured, error);
      throw error;
    }
    const extra: string[] = [];
    const limit = recommendation.resources.cpuLimitMillicores;
    if (limit !== null && target.quota === null) extra.push(`The recommendation sets a CPU limit of ${limit}m but the bench ran without a quota: re-run with --cpu-quota ${limit}m to see its throttling.`);
    if (remeasured.length > 0) {
      const still = [...records.values()]
        .filter((list) => !list.some((r) => serverFellShort(r, gates)))
        .flat()
        .filter((r) => spoiledByGenerator(r, gates) !== null).length;
      extra.push(
        `Noise detected: ${remeasured.length} repetition(s) failed the generator's own checks (its timers late: its own GC, another process, or the machine stalling; each names what was seen) and were measured again: ${remeasured.join('; ')}.` +
          (still > 0 ? ` ${still} repetition(s) still failed them after ${plan.retries} re-measurement(s) (their steps are left out).` : ' The re-measured ones passed.'),
      );
    }
    if (limit !== null && target.quota !== null && target.quota.millicores !== limit) {
      extra.push(`The bench ran under a ${target.quota.millicores}m quota but recommends a ${limit}m limit: re-run with --cpu-quota ${limit}m to measure under the recommended limit.`);
    }
    if (problems.length > 0 || extra.length > 0) recommendation = { ...recommendation, warnings: [...problems.map((p) => `run check: ${p}`), ...extra, ...recommendation.warnings] };
    const results: BenchResults = { ...measured, recommendation };
    // What we write must be what readers accept.
    return validateBenchResults(JSON.parse(JSON.stringify(results)));
  } finally {
    await target.close();
    await stallMonitor.close();
  }
}

/**
 * Measures again, lowest rate first, the repetitions that only the generator spoiled, replacing
 * them in `records`, until none is left or `budget` re-measurements are spent (a repetition that
 * fails again may be tried again). Rates at which the server already fell short in some
 * repetition are skipped: that step is out of the SLO range whatever the retry shows. Returns what
 * was re-measured and why, for the report.
 */
async function remeasureSpoiled(
  records: Map<number, OpenRunRecord[]>,
  budget: number,
  gates: RunGates,
  measure: (rate: number, note: string, index: number, count: number) => Promise<OpenRunRecord>,
): Promise<string[]> {
  const notes: string[] = [];
  while (notes.length < budget) {
    const spoiled = [...records.entries()]
      .sort(([a], [b]) => a - b)
      .filter(([, list]) => !list.some((record) => serverFellShort(record, gates)))
      .flatMap(([rate, list]) => list.map((record, index) => ({ rate, index, why: spoiledByGenerator(record, gates) })))
      .filter((x): x is { rate: number; index: number; why: string } => x.why !== null)
      .slice(0, budget - notes.length);
    if (spoiled.length === 0) break;
    for (const [k, { rate, index, why }] of spoiled.entries()) {
      const fresh = await measure(rate, why, k + 1, spoiled.length);
      records.get(rate)![index] = fresh;
      notes.push(`${rate} req/s (${why})`);
    }
  }
  return notes;
}

interface OpenStepParams {
  readonly rate: number;
  readonly seed: number;
  readonly plan: BenchPlan;
  readonly arrivals: 'poisson' | 'uniform';
  readonly connections: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

/** One open-model run with the server's CPU, other tenants' CPU and throttling over its window. */
async function measureOpenStep(target: BenchTarget, stalls: StallMonitor, p: OpenStepParams): Promise<OpenRunRecord> {
  let stallsBefore = 0;
  let machineStallMs: number | null = null;
  // The step's own memory peak (warm-up included): the high-water mark is reset first.
  const rssIsolated = target.pid !== null && resetPeakRss(target.pid);
  let serverBefore: number | null = null;
  let coresBefore: ReturnType<typeof readCoreTimes> = null;
  let throttledBefore: number | null = null;
  let startedAt = 0;
  let serverCpuCores: number | null = null;
  let otherCpuCores: number | null = null;
  let throttledPeriods: number | null = null;
  let genBefore: NodeJS.CpuUsage | undefined;
  const run = await runOpenModel({
    url: target.url,
    rateRps: p.rate,
    warmupSeconds: p.plan.openWarmupSeconds,
    durationSeconds: p.plan.openSeconds,
    arrivals: p.arrivals,
    seed: p.seed,
    connections: p.connections,
    timeoutMs: p.timeoutMs,
    signal: p.signal,
    hooks: {
      windowStart: () => {
        startedAt = performance.now();
        serverBefore = target.pid === null ? null : processCpuSeconds(target.pid);
        coresBefore = readCoreTimes();
        throttledBefore = target.quota?.throttledPeriods() ?? null;
        genBefore = process.cpuUsage();
        stallsBefore = stalls.read().totalMs;
      },
      windowEnd: () => {
        const seconds = (performance.now() - startedAt) / 1000;
        const serverAfter = target.pid === null ? null : processCpuSeconds(target.pid);
        const coresAfter = readCoreTimes();
        const gen = process.cpuUsage(genBefore);
        if (serverBefore !== null && serverAfter !== null) serverCpuCores = (serverAfter - serverBefore) / seconds;
        if (coresBefore !== null && coresAfter !== null) {
          const busy = busyCoresBetween(coresBefore, coresAfter, seconds);
          otherCpuCores = Math.max(0, busy - (serverCpuCores ?? 0) - (gen.user + gen.system) / 1e6 / seconds);
        }
        machineStallMs = stalls.read().totalMs - stallsBefore;
        const throttledAfter = target.quota?.throttledPeriods() ?? null;
        if (throttledBefore !== null && throttledAfter !== null) throttledPeriods = throttledAfter - throttledBefore;
      },
    },
  });
  const serverPeakRssMiB = rssIsolated && target.pid !== null ? processPeakRssMiB(target.pid) : null;
  return { run, serverCpuCores, otherCpuCores, throttledPeriods, machineStallMs, serverPeakRssMiB };
}

async function checkReachable(url: string, signal: AbortSignal | undefined): Promise<void> {
  try {
    const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(5000)]) : AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    if (res.status < 200 || res.status >= 300) throw new ExternalError(`${url} answered ${res.status}; the bench needs a 2xx URL`);
  } catch (error) {
    if (error instanceof ExternalError) throw error;
    throw new ExternalError(`cannot reach ${url}: ${(error as Error).message}`, { cause: error });
  }
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

function toolVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['autocannon', 'undici', 'hdr-histogram-js']) {
    try {
      const file = fileURLToPath(new URL(`../../node_modules/${name}/package.json`, import.meta.url));
      out[name] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      out[name] = 'unknown';
    }
  }
  return out;
}

function gitSha(): string | null {
  try {
    const cwd = fileURLToPath(new URL('../..', import.meta.url));
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    return null;
  }
}
