/**
 * The whole bench, as a pipeline: set up (pin, start or reach the server), the saturation sweep
 * (saturation.ts), the open sweep (open-sweep.ts), the run checks (assess.ts), recommend
 * (recommend.ts), and the results assembled and validated. Progress goes to a callback; nothing
 * here prints.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExternalError, InvalidArgumentError, NoRecommendationError, silentLogger, type Logger } from '../common/index.js';
import { assessRun, describeRemeasured, describeRunProblem, DEFAULT_GATES, type RunGates } from './assess.js';
import { BENCH_RESULTS_SCHEMA_VERSION, validateBenchResults, type BenchEnvironment, type BenchResults, type BenchSlo } from './contract.js';
import { cpuInfo, cpuListCores, loadAverage, otherBusyCores, pinProcess, processPeakRssMiB } from './host.js';
import { GeneratorThread } from './open-model-worker.js';
import { runOpenSweep } from './open-sweep.js';
import type { RecommendInputs } from './recommend/inputs.js';
import { recommend } from './recommend/recommend.js';
import { runRequestPodSweep, type RequestPodSweep } from './request-pod-sweep.js';
import { runSaturationSweep } from './saturation.js';
import { startStallMonitor, type StallMonitor } from './stalls.js';
import { summarizeSaturation } from './summarize.js';
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
  /**
   * Offered rates of the recommended pod's sweep (request-pod-sweep.ts), as fractions of the SLO
   * capacity the main sweep's CPU line predicts for it; empty: no such sweep.
   */
  readonly requestPodRateFractions: readonly number[];
  readonly requestPodRepetitions: number;
}

/**
 * The recommended pod's sweep: from half to 1.6 times the predicted capacity, denser near it, and
 * the measured pod's capacity on top (request-pod-sweep.ts). The prediction's own error is what
 * the sweep is for (three full runs' CPU-line slopes moved it 51%, docs/BENCHMARKS.md set 15); a
 * capacity below the lowest rate is found by halving it (open-sweep.ts).
 */
const REQUEST_POD_RATE_FRACTIONS = [0.5, 0.7, 0.85, 1.0, 1.15, 1.3, 1.6];

/** The quick plan: about a minute and a half, and as much again for the recommended pod's sweep (docs/BENCHMARKS.md set 16). */
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
  requestPodRateFractions: REQUEST_POD_RATE_FRACTIONS,
  requestPodRepetitions: 1,
};

/**
 * The full plan: about ten minutes, and 3-5 more for the recommended pod's sweep. Shorter than bench-method.md asks (30 s steps, 5
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
  requestPodRateFractions: REQUEST_POD_RATE_FRACTIONS,
  requestPodRepetitions: 2,
};

/** A progress event, for the terminal. */
export interface BenchProgress {
  readonly phase: 'setup' | 'saturation' | 'open' | 'request-pod' | 'recommend';
  /** 1-based step number within the phase (0 for the generator thread's warm-up), and the phase's step count. */
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

/** Everything `runBench` decided from its options before it starts. */
interface RunSettings {
  readonly plan: BenchPlan;
  readonly gates: RunGates;
  readonly seed: number;
  readonly arrivals: 'poisson' | 'uniform';
  readonly connections: number;
  readonly timeoutMs: number;
  readonly quotaPeriodMs: number;
  readonly cpuModel: string;
  readonly cpus: number;
  readonly serverCpus: string | null;
  readonly generatorCpus: string | null;
  readonly progress: (event: BenchProgress) => void;
}

/** What is running while the bench measures. */
interface RunSetup {
  readonly target: BenchTarget;
  readonly stalls: StallMonitor;
  /** The thread the open-model steps run on. */
  readonly generator: GeneratorThread;
  readonly loadAverageBefore: number;
  /** Cores other processes kept busy in the second before the run, or null. */
  readonly otherCoresBefore: number | null;
  /** CPU the generator is pinned to, or null (not asked, or pinning failed). */
  readonly generatorCpus: string | null;
  /** Why pinning or the quota could not be applied. */
  readonly notes: readonly string[];
}

/**
 * Runs the bench and returns the validated results (not yet written anywhere).
 * @throws ExternalError when the server cannot be started or reached, or when no valid step is
 *   left to recommend from (the message lists the run checks that failed).
 */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const settings = resolveSettings(options);
  const setup = await setUp(options, settings);
  try {
    await checkReachable(setup.target.url, options.signal);
    const measured = await measure(options, settings, setup);
    const inputs: RecommendInputs = { minAchievedRatio: settings.gates.minAchievedRatio, ...options.inputs, slo: options.slo };
    const own = await measureRequestPod(options, settings, setup, recommendMeasured(measured, inputs));
    settings.progress({ phase: 'recommend', step: 1, steps: 1, message: 'recommending' });
    return recommendMeasured(own ? withRequestPod(measured, own) : measured, inputs);
  } finally {
    await tearDown(setup);
  }
}

/**
 * When the first recommendation's CPU request is smaller than the quota the bench measured under,
 * measures a pod of that size (request-pod-sweep.ts); null when it is not smaller, the bench did
 * not start the server (its size is the user's), or the plan has no such sweep.
 */
async function measureRequestPod(options: BenchOptions, s: RunSettings, setup: RunSetup, first: BenchResults): Promise<RequestPodSweep | null> {
  const requestMillicores = first.recommendation.resources.cpuRequestMillicores;
  const { target } = setup;
  const { podSloCapacityPredictedRps: predicted, podSloCapacityCeilingRps: ceiling } = first.recommendation.intermediates;
  if (!target.startedByBench || target.quota === null || requestMillicores >= target.quota.millicores) return null;
  if (s.plan.requestPodRateFractions.length === 0 || typeof predicted !== 'number' || !(predicted > 0) || typeof ceiling !== 'number') return null;
  try {
    return await runRequestPodSweep({
      ...s,
      requestMillicores,
      predictedSloCapacityRps: predicted,
      ceilingRps: ceiling,
      serverCpus: target.cpus,
      stalls: setup.stalls,
      generator: setup.generator,
      slo: options.slo,
      logger: options.logger ?? silentLogger,
      signal: options.signal,
    });
  } catch (error) {
    // The main sweep stands without it (a Ctrl-C still stops the run).
    if (options.signal?.aborted || (error as { code?: unknown }).code === 'HELLO_ERR_ABORTED') throw error;
    return { requestPod: null, problems: [`the recommended pod's sweep: not measured: ${(error as Error).message.split('\n')[0]}`] };
  }
}

/** The run with the recommended pod's sweep added: its measurements, and its checks among the run's. */
function withRequestPod(measured: BenchMeasuredRun, own: RequestPodSweep): BenchMeasuredRun {
  const problems = [...measured.validity.problems, ...own.problems];
  const measurements = own.requestPod ? { ...measured.measurements, requestPod: own.requestPod } : measured.measurements;
  return { ...measured, measurements, validity: { valid: problems.length === 0, problems } };
}

/**
 * Closes the server, the stall monitor and the generator thread, all three whichever fails (a
 * thread left running would keep the CLI alive), then rejects with the first failure.
 */
async function tearDown(setup: RunSetup): Promise<void> {
  const closed = await Promise.allSettled([setup.target.close(), setup.stalls.close(), setup.generator.close()]);
  const failed = closed.find((c): c is PromiseRejectedResult => c.status === 'rejected');
  if (failed) throw failed.reason;
}

function resolveSettings(options: BenchOptions): RunSettings {
  const plan = options.plan ?? (options.mode === 'full' ? FULL_PLAN : options.mode === 'quick' ? QUICK_PLAN : undefined);
  if (!plan) throw new InvalidArgumentError('runBench: mode "custom" needs a plan');
  const quotaPeriodMs = options.cpuQuotaPeriodMs ?? ((options.inputs.cpuLimit ?? 'none') === 'none' ? SHARE_LIKE_QUOTA_PERIOD_MS : 100);
  if (!(quotaPeriodMs >= 1 && quotaPeriodMs <= 1000)) {
    throw new InvalidArgumentError(`--cpu-quota-period ${quotaPeriodMs}ms is not allowed; use 1ms to 1s (the CFS period's range)`);
  }
  const { model, count } = cpuInfo();
  const twoCores = count >= 2;
  return {
    plan,
    gates: options.gates ?? DEFAULT_GATES,
    seed: options.seed ?? 1,
    arrivals: options.arrivals ?? 'poisson',
    connections: options.connections ?? 64,
    timeoutMs: options.timeoutMs ?? 2000,
    quotaPeriodMs,
    cpuModel: model,
    cpus: count,
    serverCpus: options.serverCpus !== undefined ? options.serverCpus : twoCores ? '0' : null,
    generatorCpus: options.generatorCpus !== undefined ? options.generatorCpus : twoCores ? '1' : null,
    progress: options.onProgress ?? (() => {}),
  };
}

/** Reads the load, pins this process, starts (or takes) the target and the stall monitor. */
async function setUp(options: BenchOptions, s: RunSettings): Promise<RunSetup> {
  const loadAverageBefore = loadAverage();
  const otherCoresBefore = await otherBusyCores(1);
  const notes: string[] = [];
  s.progress({ phase: 'setup', step: 1, steps: 1, message: options.url ? `target ${options.url}` : 'starting the hello service' });
  const pinFailure = s.generatorCpus === null ? null : pinProcess(process.pid, s.generatorCpus);
  if (pinFailure) notes.push(pinFailure);
  const target: BenchTarget = options.url
    ? externalTarget(options.url, options.pid ?? null)
    : await startHelloTarget({
        cpus: s.serverCpus,
        quotaMillicores: options.cpuQuotaMillicores === undefined ? DEFAULT_SERVER_CPU_QUOTA_MILLICORES : options.cpuQuotaMillicores,
        quotaPeriodUs: 1000 * s.quotaPeriodMs,
        logger: options.logger ?? silentLogger,
      });
  notes.push(...target.notes);
  // After pinning, so the monitor's thread shares the generator's core.
  const stalls = startStallMonitor();
  return { target, stalls, generator: new GeneratorThread(), loadAverageBefore, otherCoresBefore, generatorCpus: pinFailure ? null : s.generatorCpus, notes };
}

/** Both sweeps, the run checks, and the measurements as the results file holds them. */
async function measure(options: BenchOptions, s: RunSettings, setup: RunSetup): Promise<BenchMeasuredRun> {
  const { plan, gates } = s;
  const { target } = setup;
  const saturationRuns = await runSaturationSweep({
    url: target.url,
    pid: target.pid,
    serverCores: cpuListCores(target.cpus),
    connections: plan.saturationConnections,
    warmupSeconds: plan.saturationWarmupSeconds,
    seconds: plan.saturationSeconds,
    coolDownSeconds: plan.coolDownSeconds,
    signal: options.signal,
    progress: s.progress,
  });
  const saturationPeakRss = target.pid === null ? null : processPeakRssMiB(target.pid);
  const saturation = summarizeSaturation(saturationRuns, target.quota ? target.quota.millicores / 1000 : 1, gates);
  if (saturation.maxRps <= 0) throw new ExternalError(`the saturation sweep completed no request against ${target.url}`);
  const open = await runOpenSweep({ ...s, target, stalls: setup.stalls, generator: setup.generator, xMaxRps: saturation.maxRps, slo: options.slo, signal: options.signal });
  const records = [...open.records.values()].flat();
  // Per-step peaks reset the high-water mark, so the run's peak is the largest of them and of
  // the saturation sweep's.
  const lastPeak = target.pid === null ? null : processPeakRssMiB(target.pid);
  const stepPeaks = records.map((r) => r.serverPeakRssMiB).filter((x): x is number => x !== null);
  const problems = assessRun(
    {
      otherCoresBefore: setup.otherCoresBefore,
      cpus: s.cpus,
      setupNotes: setup.notes,
      quotaAskedForUrl: Boolean(options.url && options.cpuQuotaMillicores),
      serverPidKnown: target.pid !== null,
      saturation,
      saturationRuns,
      records,
      steps: open.steps,
      openSeconds: plan.openSeconds,
      stillSpoiled: open.stillSpoiled,
      unsettledWarmups: open.unsettledWarmups,
      slo: options.slo,
    },
    gates,
  );
  return {
    schemaVersion: BENCH_RESULTS_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    mode: options.mode,
    target: { url: target.url, startedByBench: target.startedByBench, nodeFlags: target.nodeFlags },
    environment: describeEnvironment(s, setup),
    inputs: recordedInputs(options, s),
    measurements: {
      saturation,
      openModel: { arrivals: s.arrivals, seed: s.seed, warmupSeconds: plan.openWarmupSeconds, durationSeconds: plan.openSeconds, steps: open.steps, remeasured: open.remeasured, stillSpoiled: open.stillSpoiled, freshServers: open.freshServers, unsettledWarmups: open.unsettledWarmups },
      serverPeakRssMiB: lastPeak === null ? null : Math.max(lastPeak, saturationPeakRss ?? 0, ...stepPeaks),
    },
    validity: { valid: problems.length === 0, problems: problems.map(describeRunProblem) },
  };
}

function describeEnvironment(s: RunSettings, setup: RunSetup): BenchEnvironment {
  const { target } = setup;
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: s.cpuModel,
    cpus: s.cpus,
    loadAverageBefore: setup.loadAverageBefore,
    serverCpus: target.startedByBench ? target.cpus : null,
    generatorCpus: setup.generatorCpus,
    generatorNewSpaceMiB: setup.generator.largestNewSpaceMiB ?? undefined,
    serverCpuQuotaMillicores: target.quota?.millicores ?? null,
    serverCpuQuotaPeriodMs: target.quota ? target.quota.periodUs / 1000 : null,
    tools: toolVersions(),
    gitSha: gitSha(),
  };
}

/** Everything given to `recommend` besides the measurements, as the results file records it. */
function recordedInputs(options: BenchOptions, s: RunSettings): Record<string, number | string | boolean> {
  const all = {
    ...options.inputs,
    sloPercentile: options.slo.percentile,
    sloLatencyMs: options.slo.latencyMs,
    sloErrorBudgetFraction: options.slo.errorBudgetFraction,
    timeoutMs: s.timeoutMs,
    connections: s.connections,
    repetitions: s.plan.repetitions,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<string, number | string | boolean>;
}

/**
 * Recommends from what was measured, adds what the run knows and `recommend` cannot (the run
 * checks, re-measured noise, a quota that differs from the recommended limit), and validates the
 * whole as readers will.
 * @throws NoRecommendationError when nothing valid is left to recommend from.
 */
function recommendMeasured(measured: BenchMeasuredRun, inputs: RecommendInputs): BenchResults {
  const m = measured.measurements;
  const quota = measured.environment.serverCpuQuotaMillicores;
  let recommendation;
  try {
    recommendation = recommend({ saturation: m.saturation, openSteps: m.openModel.steps, serverPeakRssMiB: m.serverPeakRssMiB, serverCpuQuotaMillicores: quota, requestPod: m.requestPod }, inputs);
  } catch (error) {
    // Nothing to recommend from: keep what was measured for the report (bad inputs stay as they are).
    if ((error as { code?: unknown }).code === 'HELLO_ERR_NO_RECOMMENDATION') throw noRecommendation(measured, error as Error);
    throw error;
  }
  const extra: string[] = [];
  const limit = recommendation.resources.cpuLimitMillicores;
  if (limit !== null && quota === null) extra.push(`The recommendation sets a CPU limit of ${limit}m but the bench ran without a quota: re-run with --cpu-quota ${limit}m to see its throttling.`);
  const { remeasured = [], stillSpoiled = 0 } = m.openModel;
  if (remeasured.length > 0) extra.push(describeRemeasured(remeasured, stillSpoiled));
  if (m.requestPod && m.requestPod.remeasured.length > 0) extra.push(`The recommended pod's sweep: ${describeRemeasured(m.requestPod.remeasured, m.requestPod.stillSpoiled)}`);
  // The recommended pod's own sweep ran under a quota of the request; with limit = request, that is the limit.
  const limitMeasured = m.requestPod?.cpuQuotaMillicores === limit && recommendation.intermediates.podSloCapacityMeasuredRps !== null;
  if (limit !== null && quota !== null && quota !== limit && !limitMeasured) {
    extra.push(`The bench ran under a ${quota}m quota but recommends a ${limit}m limit: re-run with --cpu-quota ${limit}m to measure under the recommended limit.`);
  }
  const checks = measured.validity.problems.map((p) => `run check: ${p}`);
  if (checks.length > 0 || extra.length > 0) recommendation = { ...recommendation, warnings: [...checks, ...extra, ...recommendation.warnings] };
  // Recommended now, so with this version's rules whatever version the measurements came in.
  const results: BenchResults = { ...measured, schemaVersion: BENCH_RESULTS_SCHEMA_VERSION, recommendation };
  // What we write must be what readers accept.
  return validateBenchResults(JSON.parse(JSON.stringify(results)));
}

/**
 * Recommends again from an earlier run's measurements with other traffic or cluster inputs
 * (another expected peak, growth, policy...), measuring nothing. The SLO stays the run's: the
 * steps' SLO intervals were measured for it.
 * @throws NoRecommendationError when nothing valid is left to recommend from.
 */
export function recommendAgain(results: BenchResults, inputs: Omit<RecommendInputs, 'slo'>): BenchResults {
  const { recommendation, ...measured } = results;
  const given = Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined)) as Record<string, number | string | boolean>;
  return recommendMeasured({ ...measured, inputs: { ...measured.inputs, ...given } }, { minAchievedRatio: DEFAULT_GATES.minAchievedRatio, ...inputs, slo: recommendation.slo });
}

async function checkReachable(url: string, signal: AbortSignal | undefined): Promise<void> {
  try {
    const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(5000)]) : AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    if (res.status < 200 || res.status >= 300) throw new ExternalError(`${url} answered ${res.status}; the bench needs a 2xx URL`);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'HELLO_ERR_EXTERNAL') throw error;
    throw new ExternalError(`cannot reach ${url}: ${(error as Error).message}`, { cause: error });
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
