import { InvalidArgumentError, Option, type Command } from 'commander';
import type { BenchMeasuredRun, BenchOptions, BenchProgress } from '../../bench/index.js';

type BenchModule = typeof import('../../bench/index.js');
import { createLogger, InvalidArgumentError as BadArgumentError, NoRecommendationError } from '../../common/index.js';
import { parseDurationOption, parseIntegerOption, parsePositiveNumberOption } from '../options.js';
import { createProgress, printJson, printText } from '../output.js';

/** The parsed options; durations are in milliseconds. */
interface BenchCliOptions {
  compare?: string[];
  from?: string;
  quick?: boolean;
  json?: boolean;
  out: string;
  pid?: number;
  sloPercentile: number;
  sloLatency: number;
  errorBudget: number;
  peakRps: number;
  minRps?: number;
  burstRps: number;
  growth: number;
  cpuQuota?: number | null;
  cpuQuotaPeriod?: number;
  cpuLimit: 'none' | 'double' | 'equal';
  pin: boolean;
  seed: number;
  repetitions?: number;
  stepDuration?: number;
  connections: number;
  timeout: number;
  metricsResolution: number;
  podReady: number;
  minReplicas: number;
  surgeHeadroom: number;
}

/** "500m" or "0.5" (cores) -> 500 millicores; "none" -> null. */
function parseCpuQuota(value: string): number | null {
  if (value === 'none') return null;
  const m = /^(\d+)m$/.exec(value);
  const millicores = m ? Number(m[1]) : Number(value) * 1000;
  if (!Number.isFinite(millicores) || millicores < 10 || millicores > 64_000 || value.trim() === '') {
    throw new InvalidArgumentError(`--cpu-quota ${JSON.stringify(value)} is not allowed; use millicores like "500m", cores like "0.5" (10m to 64 cores), or none.`);
  }
  return Math.round(millicores);
}

function parseFraction(flag: string, max = 1): (value: string) => number {
  return (value: string) => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x) || x < 0 || x > max) throw new InvalidArgumentError(`${flag} ${JSON.stringify(value)} is not allowed; use a number from 0 to ${max}.`);
    return x;
  };
}

function parseCpuLimit(value: string): 'none' | 'double' | 'equal' {
  if (value !== 'none' && value !== 'double' && value !== 'equal') throw new InvalidArgumentError(`--cpu-limit ${JSON.stringify(value)} is not allowed; use none, double or equal.`);
  return value;
}

/** A duration option (parsed to ms), with its default shown as written. */
function durationOption(flags: string, description: string, defaultText?: string): Option {
  const flag = flags.split(' ')[0]!;
  const option = new Option(flags, description).argParser(parseDurationOption(flag));
  return defaultText === undefined ? option : option.default(parseDurationOption(flag)(defaultText), defaultText);
}

/** `hello-cli bench [URL]`: measure capacity and recommend resources and HPA settings. */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure capacity (closed-loop saturation + open-model latency) and recommend resources and HPA settings')
    .argument('[url]', 'server to drive (default: start the hello service on 127.0.0.1, pinned to CPU 0)')
    .option('--quick', 'about one minute: fewer, shorter steps, one repetition')
    .option('--json', 'print the results file content on stdout instead of the report')
    .option('--compare <files...>', 'run nothing: compare the recommendations of earlier results files (agree within 10%?)')
    .option('--from <file>', "run nothing: recommend again from an earlier results file's measurements with these traffic and cluster inputs (its SLO stays)")
    .option('-o, --out <dir>', 'directory for the results JSON and the SVG plot', 'bench-results')
    .option('--pid <pid>', 'pid of the server behind URL, to measure its CPU and memory', parseIntegerOption('--pid', 1, 4_194_304))
    .option('--slo-percentile <p>', 'SLO percentile', parsePositiveNumberOption('--slo-percentile'), 99)
    .addOption(durationOption('--slo-latency <duration>', 'SLO latency bound at that percentile', '25ms'))
    .option('--error-budget <fraction>', 'largest share of failed requests', parseFraction('--error-budget'), 0.001)
    .option('--peak-rps <rps>', 'expected peak rate of the whole service', parsePositiveNumberOption('--peak-rps'), 1000)
    .option('--min-rps <rps>', 'expected trough rate (default peak/10)', parseFraction('--min-rps', 1e9))
    .option('--burst-rps <rps>', 'burst on top of the trough arriving faster than scale-up', parseFraction('--burst-rps', 1e9), 0)
    .option('--growth <fraction>', 'traffic growth per minute (0.3 = +30%/min)', parseFraction('--growth', 10), 0.3)
    .option(
      '--cpu-quota <cpu>',
      // The default is bench's DEFAULT_SERVER_CPU_QUOTA_MILLICORES (test/bench/cli-bench.test.ts checks they agree).
      'CFS CPU quota of the hello service the bench starts, like a pod limit (default: 250m; none: a whole core, which one load-generator core cannot saturate)',
      parseCpuQuota,
    )
    .addOption(durationOption('--cpu-quota-period <duration>', "CFS period of that quota (default: 10ms when no CPU limit is recommended, a guaranteed share; 100ms, the kubelet's, with one)"))
    .option('--cpu-limit <policy>', 'CPU limit to recommend: none | double | equal', parseCpuLimit, 'none')
    .option('--no-pin', 'do not pin server and generator to separate CPUs')
    .option('--seed <n>', 'seed of the arrival plans', parseIntegerOption('--seed', 0, 2 ** 31 - 1), 1)
    .option('--repetitions <n>', 'repetitions per offered rate (default: 1 quick, 3 full)', parseIntegerOption('--repetitions', 1, 20))
    .addOption(durationOption('--step-duration <duration>', 'measured window per open-model step (default: 4s quick, 10s full)'))
    .option('--connections <n>', 'open-model pool connections', parseIntegerOption('--connections', 1, 4096), 64)
    .addOption(durationOption('--timeout <duration>', 'per-request timeout of the open-model driver', '2s'))
    .addOption(durationOption('--metrics-resolution <duration>', 'metrics-server resolution of the cluster', '15s'))
    .addOption(durationOption('--pod-ready <duration>', 'time from pod start to Ready', '15s'))
    .option('--min-replicas <n>', 'availability floor for minReplicas', parseIntegerOption('--min-replicas', 1, 1000), 2)
    .option('--surge-headroom <fraction>', 'room maxReplicas leaves above the pods the forecast peak needs (0.5: +50%)', parseFraction('--surge-headroom', 10), 0.5)
    .action(async (url: string | undefined, opts: BenchCliOptions) => {
      if (opts.compare) await compareFiles(opts.compare, opts.json === true);
      else if (opts.from) await recommendFrom(opts.from, opts);
      else await benchOnce(url, opts);
    });
}

async function compareFiles(files: readonly string[], json: boolean): Promise<void> {
  // Loaded when the command runs: the CLI registers every command at start, and the bench
  // brings autocannon and undici, which no other command needs.
  const { compareBenchResults, readBenchResults, renderComparison } = await import('../../bench/index.js');
  const comparison = compareBenchResults(await Promise.all(files.map((file) => readBenchResults(file))));
  if (json) printJson(comparison);
  else printText(renderComparison(comparison, files));
}

async function recommendFrom(file: string, opts: BenchCliOptions): Promise<void> {
  const { readBenchResults, recommendAgain, renderBenchReport } = await import('../../bench/index.js');
  const results = recommendAgain(await readBenchResults(file), inputsOf(opts));
  if (opts.json) printJson(results);
  else printText(renderBenchReport(results));
}

/** One run: progress on stderr, the report (or the results JSON) on stdout, the files under --out. */
async function benchOnce(url: string | undefined, opts: BenchCliOptions): Promise<void> {
  if (url !== undefined && !/^https?:\/\//.test(url)) throw new BadArgumentError(`URL ${JSON.stringify(url)} is not allowed; use an http(s) URL such as http://127.0.0.1:8080/`);
  const bench = await import('../../bench/index.js');
  // Ctrl-C / SIGTERM: stop at the next step boundary and stop the hello service it started,
  // instead of dying and leaving it running.
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = createProgress();
  const showProgress = (e: BenchProgress): void => progress.update(`[${e.phase} ${e.step}/${e.steps}] ${e.message}`);
  try {
    const results = await bench.runBench(benchRequest(bench, url, opts, stop.signal, showProgress));
    progress.done();
    const files = await bench.writeBenchFiles(results, opts.out);
    if (opts.json) printJson(results);
    else printText(bench.renderBenchReport(results, files));
  } catch (error) {
    progress.done();
    // Show (and keep) what was measured and why it is not enough, then fail with the reason.
    if (error instanceof NoRecommendationError && error.measured) {
      const measured = error.measured as BenchMeasuredRun;
      const files = await bench.writeMeasuredRun(measured, opts.out);
      if (opts.json) printJson({ ...measured, recommendation: null });
      else printText(`${bench.renderMeasurements(measured, opts.sloPercentile)}\n\nMeasurements: ${files.results}\nPlot:         ${files.plot}`);
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** The library's options from the command line's. */
function benchRequest(bench: BenchModule, url: string | undefined, opts: BenchCliOptions, signal: AbortSignal, onProgress: (e: BenchProgress) => void): BenchOptions {
  const { FULL_PLAN, QUICK_PLAN } = bench;
  const base = opts.quick ? QUICK_PLAN : FULL_PLAN;
  const custom = opts.repetitions !== undefined || opts.stepDuration !== undefined;
  return {
    signal,
    url,
    pid: opts.pid ?? null,
    mode: custom ? 'custom' : opts.quick ? 'quick' : 'full',
    plan: { ...base, repetitions: opts.repetitions ?? base.repetitions, openSeconds: opts.stepDuration === undefined ? base.openSeconds : opts.stepDuration / 1000 },
    slo: { percentile: opts.sloPercentile, latencyMs: opts.sloLatency, errorBudgetFraction: opts.errorBudget },
    inputs: inputsOf(opts),
    serverCpus: opts.pin ? undefined : null,
    generatorCpus: opts.pin ? undefined : null,
    cpuQuotaMillicores: opts.cpuQuota,
    cpuQuotaPeriodMs: opts.cpuQuotaPeriod,
    seed: opts.seed,
    connections: opts.connections,
    timeoutMs: opts.timeout,
    logger: createLogger({ level: 'warn', base: { command: 'bench' } }),
    onProgress,
  };
}

/** The traffic and cluster inputs of `recommend`, from the command line. */
function inputsOf(opts: BenchCliOptions): BenchOptions['inputs'] {
  return {
    peakRps: opts.peakRps,
    minRps: opts.minRps,
    burstRps: opts.burstRps,
    growthPerMinute: opts.growth,
    cpuLimit: opts.cpuLimit,
    metricsResolutionSeconds: opts.metricsResolution / 1000,
    podReadySeconds: opts.podReady / 1000,
    minReplicasFloor: opts.minReplicas,
    surgeHeadroom: opts.surgeHeadroom,
  };
}
