import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import {
  compareBenchResults,
  DEFAULT_GATES,
  DEFAULT_SERVER_CPU_QUOTA_MILLICORES,
  FULL_PLAN,
  QUICK_PLAN,
  readBenchResults,
  renderBenchReport,
  renderComparison,
  renderMeasurements,
  runBench,
  writeBenchFiles,
  writeMeasuredRun,
  type BenchMeasuredRun,
  type BenchPlan,
} from '../../bench/index.js';
import { createLogger, InvalidArgumentError as BadArgumentError, type NoRecommendationError, parseDuration } from '../../common/index.js';
import { parseIntegerOption, parsePositiveNumberOption } from '../options.js';
import { printJson, printText } from '../output.js';

interface BenchCliOptions {
  compare?: string[];
  quick?: boolean;
  json?: boolean;
  out: string;
  pid?: number;
  sloPercentile: number;
  sloLatency: string;
  errorBudget: number;
  peakRps: number;
  minRps?: number;
  burstRps: number;
  growth: number;
  cpuQuota?: number | null;
  cpuQuotaPeriod?: string;
  cpuLimit: 'none' | 'double' | 'equal';
  pin: boolean;
  seed: number;
  repetitions?: number;
  stepDuration?: string;
  connections: number;
  timeout: string;
  metricsResolution: string;
  podReady: string;
  minReplicas: number;
  maxSendLag: string;
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

/** `hello-cli bench [URL]`: measure capacity and recommend resources and HPA settings. */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure capacity (closed-loop saturation + open-model latency) and recommend resources and HPA settings')
    .argument('[url]', 'server to drive (default: start the hello service on 127.0.0.1, pinned to CPU 0)')
    .option('--quick', 'about one minute: fewer, shorter steps, one repetition')
    .option('--json', 'print the results file content on stdout instead of the report')
    .option('--compare <files...>', 'run nothing: compare the recommendations of earlier results files (agree within 10%?)')
    .option('-o, --out <dir>', 'directory for the results JSON and the SVG plot', 'bench-results')
    .option('--pid <pid>', 'pid of the server behind URL, to measure its CPU and memory', parseIntegerOption('--pid', 1, 4_194_304))
    .option('--slo-percentile <p>', 'SLO percentile', parsePositiveNumberOption('--slo-percentile'), 99)
    .option('--slo-latency <duration>', 'SLO latency bound at that percentile', '25ms')
    .option('--error-budget <fraction>', 'largest share of failed requests', parseFraction('--error-budget'), 0.001)
    .option('--peak-rps <rps>', 'expected peak rate of the whole service', parsePositiveNumberOption('--peak-rps'), 1000)
    .option('--min-rps <rps>', 'expected trough rate (default peak/10)', parseFraction('--min-rps', 1e9))
    .option('--burst-rps <rps>', 'burst on top of the trough arriving faster than scale-up', parseFraction('--burst-rps', 1e9), 0)
    .option('--growth <fraction>', 'traffic growth per minute (0.3 = +30%/min)', parseFraction('--growth', 10), 0.3)
    .option(
      '--cpu-quota <cpu>',
      `CFS CPU quota of the hello service the bench starts, like a pod limit (default: ${DEFAULT_SERVER_CPU_QUOTA_MILLICORES}m; none: a whole core, which one load-generator core cannot saturate)`,
      parseCpuQuota,
    )
    .option('--cpu-quota-period <duration>', 'CFS period of that quota (default: 10ms when no CPU limit is recommended, a guaranteed share; 100ms, the kubelet\'s, with one)')
    .option('--cpu-limit <policy>', 'CPU limit to recommend: none | double | equal', parseCpuLimit, 'none')
    .option('--no-pin', 'do not pin server and generator to separate CPUs')
    .option('--seed <n>', 'seed of the arrival plans', parseIntegerOption('--seed', 0, 2 ** 31 - 1), 1)
    .option('--repetitions <n>', 'repetitions per offered rate (default: 1 quick, 3 full)', parseIntegerOption('--repetitions', 1, 20))
    .option('--step-duration <duration>', 'measured window per open-model step (default: 4s quick, 10s full)')
    .option('--connections <n>', 'open-model pool connections', parseIntegerOption('--connections', 1, 4096), 64)
    .option('--timeout <duration>', 'per-request timeout of the open-model driver', '2s')
    .option('--metrics-resolution <duration>', 'metrics-server resolution of the cluster', '15s')
    .option('--pod-ready <duration>', 'time from pod start to Ready', '15s')
    .option('--min-replicas <n>', 'availability floor for minReplicas', parseIntegerOption('--min-replicas', 1, 1000), 2)
    .option('--max-send-lag <duration>', 'run check: generator send-lag p99 above this invalidates a step', '5ms')
    .action(async (url: string | undefined, opts: BenchCliOptions) => {
      if (opts.compare) {
        const runs = await Promise.all(opts.compare.map((file) => readBenchResults(file)));
        const comparison = compareBenchResults(runs);
        if (opts.json) printJson(comparison);
        else printText(renderComparison(comparison, opts.compare));
        return;
      }
      const base = opts.quick ? QUICK_PLAN : FULL_PLAN;
      const plan: BenchPlan = {
        ...base,
        repetitions: opts.repetitions ?? base.repetitions,
        openSeconds: opts.stepDuration ? parseDuration(opts.stepDuration, '--step-duration') / 1000 : base.openSeconds,
      };
      const custom = opts.repetitions !== undefined || opts.stepDuration !== undefined;
      if (url !== undefined && !/^https?:\/\//.test(url)) throw new BadArgumentError(`URL ${JSON.stringify(url)} is not allowed; use an http(s) URL such as http://127.0.0.1:8080/`);
      const logger = createLogger({ level: 'warn', base: { command: 'bench' } });
      // Ctrl-C / SIGTERM: stop at the next step boundary and stop the hello service it started,
      // instead of dying and leaving it running.
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const run = runBench({
        signal: stop.signal,
        url,
        pid: opts.pid ?? null,
        mode: custom ? 'custom' : opts.quick ? 'quick' : 'full',
        plan,
        slo: { percentile: opts.sloPercentile, latencyMs: parseDuration(opts.sloLatency, '--slo-latency'), errorBudgetFraction: opts.errorBudget },
        inputs: {
          peakRps: opts.peakRps,
          minRps: opts.minRps,
          burstRps: opts.burstRps,
          growthPerMinute: opts.growth,
          cpuLimit: opts.cpuLimit,
          metricsResolutionSeconds: parseDuration(opts.metricsResolution, '--metrics-resolution') / 1000,
          podReadySeconds: parseDuration(opts.podReady, '--pod-ready') / 1000,
          minReplicasFloor: opts.minReplicas,
        },
        serverCpus: opts.pin ? undefined : null,
        generatorCpus: opts.pin ? undefined : null,
        cpuQuotaMillicores: opts.cpuQuota,
        cpuQuotaPeriodMs: opts.cpuQuotaPeriod === undefined ? undefined : parseDuration(opts.cpuQuotaPeriod, '--cpu-quota-period'),
        seed: opts.seed,
        connections: opts.connections,
        timeoutMs: parseDuration(opts.timeout, '--timeout'),
        gates: { ...DEFAULT_GATES, maxSendLagP99Ms: parseDuration(opts.maxSendLag, '--max-send-lag') },
        logger,
        // Progress is for people: stderr, so stdout stays the report or the JSON.
        onProgress: (e) => process.stderr.write(`[${e.phase} ${e.step}/${e.steps}] ${e.message}\n`),
      });
      const results = await run.finally(() => {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }).catch(async (error: unknown) => {
        // Show (and keep) what was measured and why it is not enough, then fail with the reason.
        if ((error as { code?: unknown }).code === 'HELLO_ERR_NO_RECOMMENDATION' && (error as NoRecommendationError<BenchMeasuredRun>).measured) {
          const { measured } = error as NoRecommendationError<BenchMeasuredRun> & { measured: BenchMeasuredRun };
          const files = await writeMeasuredRun(measured, opts.out);
          if (opts.json) printJson({ ...measured, recommendation: null });
          else printText(`${renderMeasurements(measured, opts.sloPercentile)}\n\nMeasurements: ${files.results}\nPlot:         ${files.plot}`);
        }
        throw error;
      });
      const files = await writeBenchFiles(results, opts.out);
      if (opts.json) printJson(results);
      else printText(renderBenchReport(results, files));
    });
}
