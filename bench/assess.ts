/**
 * The run checks (bench-method.md section 6 step 0): did each open-model run measure the server,
 * or something else (the generator's own lateness or CPU, other work on the machine, the host's
 * steal), and can the run as a whole be trusted? Problems are typed values with stable codes, so
 * later stages (re-measuring, recommend, compare) decide on codes; the words for people are made
 * from them at the edge (`describe...`), for the report and the results file.
 */
import type { BenchOpenStep, BenchRemeasured, BenchSaturation, BenchSlo } from './contract.js';
import { percentileUs } from './histogram.js';
import type { OpenRunRecord } from './open-step.js';
import type { SaturationRun } from './saturation.js';

/**
 * Thresholds of the run checks (bench-method.md section 6 step 0). There is none on the
 * generator's send lag or event-loop delay: latency is measured from the intended send time, so a
 * late send can only make a step look worse, and only when that lateness decided the SLO verdict
 * is the repetition measured again (`checkOpenRun`).
 */
export interface RunGates {
  /**
   * Generator CPU above this (cores), in a step where the server kept up but the SLO failed, is
   * reported: the driver nears its limit there, so the failure may be partly its own. Default 0.7.
   */
  readonly maxGeneratorCpuCores: number;
  /** Achieved below this share of offered: the server fell short at that rate. Default 0.99. */
  readonly minAchievedRatio: number;
  /** Other processes' CPU above this (cores) before the run or during a step is reported as noise. Default 0.25. */
  readonly maxOtherCpuCores: number;
  /**
   * The host's steal above this share of a step's window, on the server's core, is reported as
   * noise. Default 0.05: on this project's VM, steps on a quiet host lost 0.0-0.3% of the core and
   * on a busy one a median 12-21% (docs/BENCHMARKS.md, set 10); 5% is clearly the host's doing,
   * and the run's latency then carries its waits.
   */
  readonly maxStealShare: number;
}

/** The default gates. */
export const DEFAULT_GATES: RunGates = {
  maxGeneratorCpuCores: 0.7,
  minAchievedRatio: 0.99,
  maxOtherCpuCores: 0.25,
  maxStealShare: 0.05,
};

/**
 * What spoiled one open-model run: the generator gave up on its plan (the step is invalid), or
 * its own lateness decided the SLO verdict (the percentile from the intended send time breaks the
 * bound, the one from dispatch keeps it). Either is measured again; a late generator that did not
 * decide the verdict is not a problem (it can only have made the step look worse).
 */
export type OpenRunProblem =
  | { readonly check: 'abandoned-lag'; readonly planned: number }
  | { readonly check: 'generator-late'; readonly percentile: number; readonly fromIntendedUs: number; readonly fromDispatchUs: number; readonly boundUs: number; readonly sendLagP99Ms: number };

const fmt = (x: number, d = 2): string => x.toFixed(d);

/** The checks of one open-model run against the SLO: what spoiled it (empty: it measured the server). */
export function checkOpenRun(record: OpenRunRecord, slo: BenchSlo): OpenRunProblem[] {
  const { run } = record;
  if (run.stopReason === 'lag') return [{ check: 'abandoned-lag', planned: run.planned }];
  const boundUs = slo.latencyMs * 1000;
  const fromIntendedUs = percentileUs(run.response, slo.percentile);
  const fromDispatchUs = percentileUs(run.fromDispatch, slo.percentile);
  if (fromIntendedUs > boundUs && fromDispatchUs <= boundUs) {
    return [{ check: 'generator-late', percentile: slo.percentile, fromIntendedUs, fromDispatchUs, boundUs, sendLagP99Ms: percentileUs(run.sendLag, 99) / 1000 }];
  }
  return [];
}

/** One line for people, as the report and the results file show it. */
export function describeOpenRunProblem(p: OpenRunProblem): string {
  switch (p.check) {
    case 'abandoned-lag':
      return `generator fell too far behind its plan; the step was stopped after ${p.planned} measured request(s)`;
    case 'generator-late':
      return `the generator's own lateness decided the SLO: p${p.percentile} ${fmt(p.fromIntendedUs / 1000)} ms from the intended send time, ${fmt(p.fromDispatchUs / 1000)} ms from dispatch (bound ${fmt(p.boundUs / 1000)} ms; send lag p99 ${fmt(p.sendLagP99Ms)} ms)`;
  }
}

/**
 * Why a run is spoiled by the generator alone, for the re-measure note (null: it is not), with
 * what was seen at the time. Such lateness comes and goes (on the project's VMs mostly the
 * generator's own GC pauses of 25-50 ms, docs/BENCH.md), so measuring it again usually passes.
 */
export function spoiledByGenerator(record: OpenRunRecord, slo: BenchSlo): string | null {
  const [problem] = checkOpenRun(record, slo);
  if (problem === undefined) return null;
  const why =
    problem.check === 'abandoned-lag'
      ? 'the generator fell too far behind its plan'
      : `p${problem.percentile} ${fmt(problem.fromIntendedUs / 1000)} ms from the intended time, ${fmt(problem.fromDispatchUs / 1000)} ms from dispatch; send lag p99 ${fmt(problem.sendLagP99Ms)} ms`;
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
  return record.run.stopReason === 'timeouts' || record.run.achievedRps < gates.minAchievedRatio * record.run.offeredRps;
}

/** The noise check of one run: a reason, or null. Noise does not invalidate a step; it marks the run. */
export function noiseOf(record: OpenRunRecord, gates: RunGates = DEFAULT_GATES): string | null {
  if (record.otherCpuCores !== null && record.otherCpuCores > gates.maxOtherCpuCores) {
    return `other processes used ${fmt(record.otherCpuCores)} cores during the ${fmt(record.run.offeredRps, 0)} req/s step`;
  }
  return null;
}

/** The host's steal in one run (open-model or saturation) when it is above the gate (noise), or null. */
export function stealOf(run: { readonly stealShare: number | null }, gates: RunGates = DEFAULT_GATES): number | null {
  return run.stealShare !== null && run.stealShare > gates.maxStealShare ? run.stealShare : null;
}

/** The "Noise detected" note on repetitions the generator spoiled and that were measured again. */
export function describeRemeasured(remeasured: readonly BenchRemeasured[], stillSpoiled: number): string {
  return (
    `Noise detected: ${remeasured.length} repetition(s) failed the generator's own checks (it abandoned its plan, or its lateness decided the SLO verdict; each names what was seen) and were measured again: ${remeasured.map((r) => `${r.offeredRps} req/s (${r.reason})`).join('; ')}.` +
    (stillSpoiled > 0 ? ` ${stillSpoiled} repetition(s) still failed them after ${remeasured.length} re-measurement(s) (their steps are left out).` : ' The re-measured ones passed.')
  );
}

/** What makes a whole run untrustworthy, with its figures. */
export type RunProblem =
  | { readonly code: 'busy-before'; readonly otherCores: number; readonly maxCores: number }
  | { readonly code: 'one-cpu' }
  /** Pinning or the quota could not be applied; `detail` says why (from the host). */
  | { readonly code: 'setup'; readonly detail: string }
  | { readonly code: 'quota-not-for-url' }
  | { readonly code: 'server-pid-unknown' }
  | { readonly code: 'saturation-unexplained'; readonly xMaxRps: number; readonly serverCores: number | null; readonly generatorCores: number; readonly otherCores: number | null }
  | { readonly code: 'saturation-generator-bound'; readonly xMaxRps: number }
  | { readonly code: 'machine-stalls'; readonly stalledMs: number; readonly measuredSeconds: number; readonly worstMs: number }
  | { readonly code: 'other-processes'; readonly runs: number; readonly worst: string }
  | { readonly code: 'host-steal'; readonly runs: number; readonly of: number; readonly worstShare: number; readonly worstRateRps: number; readonly maxShare: number }
  | { readonly code: 'generator-busy'; readonly ratesRps: readonly number[]; readonly maxCores: number; readonly limitCores: number }
  | { readonly code: 'still-spoiled'; readonly repetitions: number }
  | { readonly code: 'unsettled-warmups'; readonly servers: number }
  | { readonly code: 'invalid-steps'; readonly invalid: readonly { readonly offeredRps: number; readonly firstProblem: string }[]; readonly steps: number };

/** One line for people, as the report and the results file's `validity.problems` show it. */
export function describeRunProblem(p: RunProblem): string {
  switch (p.code) {
    case 'busy-before':
      return `noise: other processes kept ${p.otherCores.toFixed(2)} cores busy before the run (> ${p.maxCores}): other work shares the machine`;
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
    case 'host-steal':
      return `noise: the host stole more than ${(100 * p.maxShare).toFixed(0)}% of the server's core in ${p.runs} of ${p.of} open-model run(s) (worst ${(100 * p.worstShare).toFixed(1)}% during the ${Math.round(p.worstRateRps)} req/s step): the VM's neighbours took CPU it was ready to use, and the server's latency includes those waits`;
    case 'generator-busy':
      return `the generator used up to ${p.maxCores.toFixed(2)} cores (> ${p.limitCores}) at ${p.ratesRps.join(', ')} req/s, where the server kept up but the SLO failed: the generator nears its limit there, so those failures may be partly its own (the capacity is then a conservative bound)`;
    case 'still-spoiled':
      return `noise: ${p.repetitions} repetition(s) stayed spoiled by the generator's own lateness after the re-measurements; they are kept (they can only look worse than the server is), so the capacity there is a conservative bound`;
    case 'unsettled-warmups':
      return `noise: ${p.servers} fresh server process(es) still compiled in V8's background threads after the longest warm-up; under the quota that CPU comes out of the server's, so the repetitions after them can look slower than the server is`;
    case 'invalid-steps':
      return `${p.invalid.length} of ${p.steps} open-model step(s) failed the run checks: ${p.invalid.map((s) => `${s.offeredRps} req/s (${s.firstProblem})`).join('; ')}`;
  }
}

/** What a run found out about itself, for {@link assessRun}. */
export interface RunEvidence {
  /** Cores other processes kept busy in the second before the run (null: unknown), and the machine's CPU count. */
  readonly otherCoresBefore: number | null;
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
  /** Repetitions still spoiled by the generator when the re-measure budget was spent. */
  readonly stillSpoiled: number;
  /** Fresh servers whose warm-up ended with V8's background threads still busy. */
  readonly unsettledWarmups: number;
  readonly slo: BenchSlo;
}

/**
 * The whole run's checks: what makes it untrustworthy (the machine busy or stalling, the setup
 * incomplete, X_max not the server's, invalid steps). Empty: the run is valid.
 */
export function assessRun(e: RunEvidence, gates: RunGates = DEFAULT_GATES): RunProblem[] {
  const problems: RunProblem[] = [];
  if (e.otherCoresBefore !== null && e.otherCoresBefore > gates.maxOtherCpuCores) problems.push({ code: 'busy-before', otherCores: e.otherCoresBefore, maxCores: gates.maxOtherCpuCores });
  if (e.cpus < 2) problems.push({ code: 'one-cpu' });
  problems.push(...e.setupNotes.map((detail) => ({ code: 'setup', detail }) as const));
  if (e.quotaAskedForUrl) problems.push({ code: 'quota-not-for-url' });
  if (!e.serverPidKnown) problems.push({ code: 'server-pid-unknown' });
  problems.push(...assessSaturation(e.saturation, e.saturationRuns));
  return [...problems, ...assessOpenSweep(e, gates)];
}

/** What an open sweep found out about itself: the part of {@link RunEvidence} {@link assessOpenSweep} reads. */
export type OpenSweepEvidence = Pick<RunEvidence, 'records' | 'steps' | 'openSeconds' | 'stillSpoiled' | 'unsettledWarmups' | 'slo'>;

/**
 * An open sweep's checks (the main one's, or the recommended pod's): the machine stalling, other
 * work, the host's steal, a busy generator where the SLO failed, spoiled repetitions, unsettled
 * warm-ups, invalid steps.
 */
export function assessOpenSweep(e: OpenSweepEvidence, gates: RunGates = DEFAULT_GATES): RunProblem[] {
  const problems: RunProblem[] = [];
  const stalledMs = e.records.map((r) => r.machineStallMs ?? 0);
  const measuredSeconds = stalledMs.length * e.openSeconds;
  const stallTotal = stalledMs.reduce((a, b) => a + b, 0);
  // At p99 a step's latency is decided by its slowest 1%: 100 ms of a 10 s window. Stalls
  // approaching that share make the percentile the machine's rather than the server's.
  if (stallTotal > 0.002 * measuredSeconds * 1000) problems.push({ code: 'machine-stalls', stalledMs: stallTotal, measuredSeconds, worstMs: Math.max(...stalledMs) });
  const noisy = e.records.map((r) => noiseOf(r, gates)).filter((n): n is string => n !== null);
  if (noisy.length > 0) problems.push({ code: 'other-processes', runs: noisy.length, worst: noisy.sort().at(-1)! });
  const stolen = e.records.filter((r) => stealOf(r, gates) !== null);
  if (stolen.length > 0) {
    const worst = stolen.reduce((a, b) => (b.stealShare! > a.stealShare! ? b : a));
    problems.push({ code: 'host-steal', runs: stolen.length, of: e.records.length, worstShare: worst.stealShare!, worstRateRps: worst.run.offeredRps, maxShare: gates.maxStealShare });
  }
  // A busy generator reads responses late, so it can only make latency look worse: it matters
  // where the server kept up and the SLO still failed (past the server's capacity it is moot).
  const failedOnLatency = (r: OpenRunRecord): boolean => !serverFellShort(r, gates) && percentileUs(r.run.response, e.slo.percentile) > e.slo.latencyMs * 1000;
  const busy = e.records.filter((r) => r.run.generatorCpuCores > gates.maxGeneratorCpuCores && failedOnLatency(r));
  if (busy.length > 0) {
    const ratesRps = [...new Set(busy.map((r) => r.run.offeredRps))].sort((a, b) => a - b);
    problems.push({ code: 'generator-busy', ratesRps, maxCores: Math.max(...busy.map((r) => r.run.generatorCpuCores)), limitCores: gates.maxGeneratorCpuCores });
  }
  if (e.stillSpoiled > 0) problems.push({ code: 'still-spoiled', repetitions: e.stillSpoiled });
  if (e.unsettledWarmups > 0) problems.push({ code: 'unsettled-warmups', servers: e.unsettledWarmups });
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
