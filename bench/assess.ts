/**
 * The run checks (bench-method.md section 6 step 0): did each open-model run measure the server,
 * or something else (the generator's own lateness or CPU, other work on the machine), and can the
 * run as a whole be trusted? Problems are typed values with stable codes, so later stages
 * (re-measuring, recommend, compare) decide on codes; the words for people are made from them at
 * the edge (`describe...`), for the report and the results file.
 */
import type { BenchOpenRunCheck, BenchOpenStep, BenchRemeasured, BenchSaturation } from './contract.js';
import { percentileUs } from './histogram.js';
import type { OpenRunRecord } from './open-step.js';
import type { SaturationRun } from './saturation.js';

/** Thresholds of the run checks (bench-method.md section 6 step 0). */
export interface RunGates {
  /** Generator event-loop delay p99 above this (ms) invalidates a step. Default 5. */
  readonly maxEventLoopDelayP99Ms: number;
  /**
   * Send lag p99 above this (ms) invalidates a step. Default 5, not bench-method.md's 2: Node
   * timers on the project's VMs are 2-3 ms late at p99 with no load at all (docs/BENCH.md), so 2 ms
   * would reject every step; a generator that cannot keep up shows tens of ms. Lateness is never
   * hidden either way: latency is measured from the intended send time.
   */
  readonly maxSendLagP99Ms: number;
  /** Generator CPU above this (cores) invalidates an open-model step. Default 0.7. */
  readonly maxGeneratorCpuCores: number;
  /** Achieved below this share of offered invalidates a step. Default 0.99. */
  readonly minAchievedRatio: number;
  /** Other processes' CPU above this (cores) during a step is reported as noise. Default 0.25. */
  readonly maxOtherCpuCores: number;
  /** 1-minute load average above this share of the cores before the run is reported as noise. Default 0.2. */
  readonly maxLoadPerCore: number;
}

/** The default gates. */
export const DEFAULT_GATES: RunGates = {
  maxEventLoopDelayP99Ms: 5,
  maxSendLagP99Ms: 5,
  maxGeneratorCpuCores: 0.7,
  minAchievedRatio: 0.99,
  maxOtherCpuCores: 0.25,
  maxLoadPerCore: 0.2,
};

/** Why one open-model run failed a check, with the figures that failed it. */
export type OpenRunProblem =
  | { readonly check: 'abandoned-lag'; readonly planned: number }
  | { readonly check: 'overload-stop'; readonly timeouts: number; readonly planned: number }
  | { readonly check: 'event-loop-delay'; readonly p99Ms: number; readonly limitMs: number }
  | { readonly check: 'send-lag'; readonly p99Ms: number; readonly limitMs: number }
  | { readonly check: 'generator-cpu'; readonly cores: number; readonly limitCores: number }
  | { readonly check: 'achieved-short'; readonly achievedRps: number; readonly offeredRps: number; readonly minRatio: number };

/**
 * Checks that blame the generator's timing alone (a step given up for lag, its sends late, its event
 * loop blocked), in the order the re-measure note names them: such a run says nothing about the
 * server, and measuring it again usually passes.
 */
const GENERATOR_TIMING_CHECKS: readonly BenchOpenRunCheck[] = ['abandoned-lag', 'send-lag', 'event-loop-delay'];
/** Checks that are the server's verdict at that rate (it fell short of the offered rate). */
const SERVER_CHECKS: ReadonlySet<BenchOpenRunCheck> = new Set(['achieved-short', 'overload-stop']);

/** True when every failed check is the server's verdict (none blames the generator). */
export function onlyServerFellShort(checks: readonly BenchOpenRunCheck[]): boolean {
  return checks.length > 0 && checks.every((c) => SERVER_CHECKS.has(c));
}

const fmt = (x: number, d = 2): string => x.toFixed(d);

/** The generator and rate checks of one open-model run: what failed (empty: valid). */
export function checkOpenRun(record: OpenRunRecord, gates: RunGates = DEFAULT_GATES): OpenRunProblem[] {
  const { run } = record;
  const problems: OpenRunProblem[] = [];
  if (run.stopReason === 'lag') problems.push({ check: 'abandoned-lag', planned: run.planned });
  if (run.stopReason === 'timeouts') problems.push({ check: 'overload-stop', timeouts: run.timeouts, planned: run.planned });
  if (run.eventLoopDelayP99Ms > gates.maxEventLoopDelayP99Ms) problems.push({ check: 'event-loop-delay', p99Ms: run.eventLoopDelayP99Ms, limitMs: gates.maxEventLoopDelayP99Ms });
  const lagP99 = percentileUs(run.sendLag, 99) / 1000;
  if (lagP99 > gates.maxSendLagP99Ms) problems.push({ check: 'send-lag', p99Ms: lagP99, limitMs: gates.maxSendLagP99Ms });
  if (run.generatorCpuCores > gates.maxGeneratorCpuCores) problems.push({ check: 'generator-cpu', cores: run.generatorCpuCores, limitCores: gates.maxGeneratorCpuCores });
  if (run.achievedRps < gates.minAchievedRatio * run.offeredRps) {
    problems.push({ check: 'achieved-short', achievedRps: run.achievedRps, offeredRps: run.offeredRps, minRatio: gates.minAchievedRatio });
  }
  return problems;
}

/** One line for people, as the report and the results file show it. */
export function describeOpenRunProblem(p: OpenRunProblem): string {
  switch (p.check) {
    case 'abandoned-lag':
      return `generator fell too far behind its plan; the step was stopped after ${p.planned} measured request(s)`;
    case 'overload-stop':
      return `stopped early: ${p.timeouts} request(s) timed out (overload) after ${p.planned} sent`;
    case 'event-loop-delay':
      return `generator event-loop delay p99 ${fmt(p.p99Ms)} ms > ${p.limitMs} ms`;
    case 'send-lag':
      return `generator send lag p99 ${fmt(p.p99Ms)} ms > ${p.limitMs} ms`;
    case 'generator-cpu':
      return `generator CPU ${fmt(p.cores)} cores > ${p.limitCores}`;
    case 'achieved-short':
      return `achieved ${fmt(p.achievedRps, 0)} req/s < ${p.minRatio * 100}% of offered ${fmt(p.offeredRps, 0)} req/s`;
  }
}

/**
 * Why a run is spoiled by the generator's timing alone, for the re-measure note (null: it is not).
 * Such lateness comes and goes (on the project's VMs mostly the generator's own GC pauses of 25-50
 * ms, docs/BENCH.md), so measuring it again usually passes. Generator CPU is not among these: it is
 * the driver's structural limit, which measuring again would not change.
 */
export function spoiledByGenerator(record: OpenRunRecord, gates: RunGates = DEFAULT_GATES): string | null {
  const rank = (p: OpenRunProblem): number => GENERATOR_TIMING_CHECKS.indexOf(p.check);
  const first = checkOpenRun(record, gates)
    .filter((p) => rank(p) >= 0)
    .sort((a, b) => rank(a) - rank(b))[0];
  if (first === undefined) return null;
  const why = first.check === 'send-lag' || first.check === 'event-loop-delay' ? `${first.check === 'send-lag' ? 'send lag' : 'event-loop delay'} p99 ${fmt(first.p99Ms)} ms` : 'the generator fell too far behind its plan';
  const { run } = record;
  const context = [
    run.gcMaxPauseMs >= 5 ? `its GC paused up to ${fmt(run.gcMaxPauseMs, 0)} ms (${fmt(run.gcTotalMs, 0)} ms in all)` : null,
    record.machineStallMs ? `the whole machine stalled ${fmt(record.machineStallMs, 0)} ms` : null,
  ].filter((x) => x !== null);
  return context.length > 0 ? `${why}; ${context.join('; ')}` : why;
}

/**
 * True when the server fell short in this run (achieved below offered, or the step stopped on
 * overload timeouts): a verdict on the server at that rate, which measuring again would not change.
 */
export function serverFellShort(record: OpenRunRecord, gates: RunGates = DEFAULT_GATES): boolean {
  return checkOpenRun(record, gates).some((p) => SERVER_CHECKS.has(p.check));
}

/** The noise check of one run: a reason, or null. Noise does not invalidate a step; it marks the run. */
export function noiseOf(record: OpenRunRecord, gates: RunGates = DEFAULT_GATES): string | null {
  if (record.otherCpuCores !== null && record.otherCpuCores > gates.maxOtherCpuCores) {
    return `other processes used ${fmt(record.otherCpuCores)} cores during the ${fmt(record.run.offeredRps, 0)} req/s step`;
  }
  return null;
}

/** The "Noise detected" note on repetitions the generator spoiled and that were measured again. */
export function describeRemeasured(remeasured: readonly BenchRemeasured[], stillSpoiled: number): string {
  return (
    `Noise detected: ${remeasured.length} repetition(s) failed the generator's own checks (its timers late: its own GC, another process, or the machine stalling; each names what was seen) and were measured again: ${remeasured.map((r) => `${r.offeredRps} req/s (${r.reason})`).join('; ')}.` +
    (stillSpoiled > 0 ? ` ${stillSpoiled} repetition(s) still failed them after ${remeasured.length} re-measurement(s) (their steps are left out).` : ' The re-measured ones passed.')
  );
}

/** What makes a whole run untrustworthy, with its figures. */
export type RunProblem =
  | { readonly code: 'load-before'; readonly loadAverage: number; readonly maxPerCore: number; readonly cores: number }
  | { readonly code: 'one-cpu' }
  /** Pinning or the quota could not be applied; `detail` says why (from the host). */
  | { readonly code: 'setup'; readonly detail: string }
  | { readonly code: 'quota-not-for-url' }
  | { readonly code: 'server-pid-unknown' }
  | { readonly code: 'saturation-unexplained'; readonly xMaxRps: number; readonly serverCores: number | null; readonly generatorCores: number; readonly otherCores: number | null }
  | { readonly code: 'saturation-generator-bound'; readonly xMaxRps: number }
  | { readonly code: 'machine-stalls'; readonly stalledMs: number; readonly measuredSeconds: number; readonly worstMs: number }
  | { readonly code: 'other-processes'; readonly runs: number; readonly worst: string }
  | { readonly code: 'invalid-steps'; readonly invalid: readonly { readonly offeredRps: number; readonly firstProblem: string }[]; readonly steps: number };

/** One line for people, as the report and the results file's `validity.problems` show it. */
export function describeRunProblem(p: RunProblem): string {
  switch (p.code) {
    case 'load-before':
      return `noise: load average ${p.loadAverage.toFixed(2)} before the run (> ${p.maxPerCore} x ${p.cores} cores): other work shares the machine`;
    case 'one-cpu':
      return 'only one CPU: server and generator share it, so the generator takes CPU from the server';
    case 'setup':
      return p.detail;
    case 'quota-not-for-url':
      return '--cpu-quota applies only to the hello service the bench starts; the external target ran without it';
    case 'server-pid-unknown':
      return 'server pid unknown (external URL without --pid): no CPU or memory measurements, so no CPU-based recommendation';
    case 'saturation-unexplained':
      return `saturation: at X_max = ${Math.round(p.xMaxRps)} req/s neither the server (${p.serverCores?.toFixed(2) ?? '?'} cores) nor autocannon (${p.generatorCores.toFixed(2)} cores) was CPU-bound${p.otherCores !== null ? `; other processes used ${p.otherCores.toFixed(2)} cores` : ''}: X_max is not the server's capacity`;
    case 'saturation-generator-bound':
      return `generator bottleneck: autocannon was CPU-bound at X_max = ${Math.round(p.xMaxRps)} req/s while the server had room; X_max is a lower bound (use --cpu-quota to make the server the limit)`;
    case 'machine-stalls':
      return `noise: the whole machine stalled (every timer late by >= 20 ms; the VM paused by its host) for ${Math.round(p.stalledMs)} ms over ${Math.round(p.measuredSeconds)} s of measurement (${((100 * p.stalledMs) / (p.measuredSeconds * 1000)).toFixed(2)}%, worst window ${Math.round(p.worstMs)} ms): high percentiles include those pauses`;
    case 'other-processes':
      return `noise: ${p.runs} open-model run(s) shared the machine with other work (worst: ${p.worst})`;
    case 'invalid-steps':
      return `${p.invalid.length} of ${p.steps} open-model step(s) failed the run checks: ${p.invalid.map((s) => `${s.offeredRps} req/s (${s.firstProblem})`).join('; ')}`;
  }
}

/** What a run found out about itself, for {@link assessRun}. */
export interface RunEvidence {
  /** 1-minute load average before the run, and the machine's CPU count. */
  readonly loadAverageBefore: number;
  readonly cpus: number;
  /** Why pinning or the quota could not be applied, as the host said it. */
  readonly setupNotes: readonly string[];
  /** True when --cpu-quota was given for a URL the bench did not start. */
  readonly quotaAskedForUrl: boolean;
  readonly serverPidKnown: boolean;
  readonly saturation: BenchSaturation;
  readonly saturationRuns: readonly SaturationRun[];
  /** Every open-model repetition that counts (re-measured ones replaced). */
  readonly records: readonly OpenRunRecord[];
  readonly steps: readonly BenchOpenStep[];
  /** Measured window of one repetition, seconds. */
  readonly openSeconds: number;
}

/**
 * The whole run's checks: what makes it untrustworthy (the machine busy or stalling, the setup
 * incomplete, X_max not the server's, invalid steps). Empty: the run is valid.
 */
export function assessRun(e: RunEvidence, gates: RunGates = DEFAULT_GATES): RunProblem[] {
  const problems: RunProblem[] = [];
  if (e.loadAverageBefore > gates.maxLoadPerCore * e.cpus) problems.push({ code: 'load-before', loadAverage: e.loadAverageBefore, maxPerCore: gates.maxLoadPerCore, cores: e.cpus });
  if (e.cpus < 2) problems.push({ code: 'one-cpu' });
  problems.push(...e.setupNotes.map((detail) => ({ code: 'setup', detail }) as const));
  if (e.quotaAskedForUrl) problems.push({ code: 'quota-not-for-url' });
  if (!e.serverPidKnown) problems.push({ code: 'server-pid-unknown' });
  problems.push(...assessSaturation(e.saturation, e.saturationRuns));
  const stalledMs = e.records.map((r) => r.machineStallMs ?? 0);
  const measuredSeconds = stalledMs.length * e.openSeconds;
  const stallTotal = stalledMs.reduce((a, b) => a + b, 0);
  // At p99 a step's latency is decided by its slowest 1%: 100 ms of a 10 s window. Stalls
  // approaching that share make the percentile the machine's rather than the server's.
  if (stallTotal > 0.002 * measuredSeconds * 1000) problems.push({ code: 'machine-stalls', stalledMs: stallTotal, measuredSeconds, worstMs: Math.max(...stalledMs) });
  const noisy = e.records.map((r) => noiseOf(r, gates)).filter((n): n is string => n !== null);
  if (noisy.length > 0) problems.push({ code: 'other-processes', runs: noisy.length, worst: noisy.sort().at(-1)! });
  const invalid = e.steps.filter((s) => !s.valid);
  if (invalid.length > 0) problems.push({ code: 'invalid-steps', invalid: invalid.map((s) => ({ offeredRps: s.offeredRps, firstProblem: s.problems[0]! })), steps: e.steps.length });
  return problems;
}

/** X_max is the server's capacity only when the server's CPU limited it. */
function assessSaturation(saturation: BenchSaturation, runs: readonly SaturationRun[]): RunProblem[] {
  if (saturation.limitedBy === 'generator') return [{ code: 'saturation-generator-bound', xMaxRps: saturation.maxRps }];
  if (saturation.limitedBy === 'server' || runs.length === 0) return [];
  const best = runs.reduce((a, b) => (b.rps > a.rps ? b : a));
  return [{ code: 'saturation-unexplained', xMaxRps: saturation.maxRps, serverCores: best.serverCpuCores, generatorCores: best.generatorCpuCores, otherCores: best.otherCpuCores }];
}
