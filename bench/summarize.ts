/**
 * From raw runs to the summary in the results file: repetitions merged (histograms added, never
 * averaged), the SLO percentile with its interval (slo-latency.ts), and the run checks (assess.ts):
 * a step the generator abandoned is marked invalid, one whose verdict its lateness decided is named,
 * instead of being reported as a plain measurement. Pure functions over the runs' numbers.
 */
import { checkOpenRun, describeOpenRunProblem, DEFAULT_GATES, stealOf, type RunGates } from './assess.js';
import { sloLatencyOf, stepSloLatencyUs, type SloSide } from './slo-latency.js';
import { encodeHistogram, mergeHistograms, percentileUs, percentilesOf } from './histogram.js';
import type { OpenModelRun } from './open-model.js';
import type { OpenRunRecord } from './open-step.js';
import type { BenchOpenStep, BenchSaturation, BenchSaturationStep, BenchSlo } from './contract.js';
import type { SaturationRun } from './saturation.js';

const fmt = (x: number, d = 2): string => x.toFixed(d);

/**
 * Summarises the repetitions of one offered rate: histograms merged (never averaged), the SLO
 * percentile merged (with its interval) and per repetition, CPU median, checks worst-of.
 */
export function summarizeOpenStep(records: readonly OpenRunRecord[], slo: BenchSlo): BenchOpenStep {
  if (records.length === 0) throw new RangeError('summarizeOpenStep needs at least one run');
  const runs = records.map((r) => r.run);
  const merged = mergeHistograms(runs.map((r) => r.response));
  const checked = records.map((r) => checkOpenRun(r, slo));
  const problems = [...new Set(checked.flatMap((list, i) => list.map((p) => `${records.length > 1 ? `rep ${i + 1}: ` : ''}${describeOpenRunProblem(p)}`)))];
  const failedChecks = [...new Set(checked.flat().map((p) => p.check))];
  const cpu = records.map((r) => r.serverCpuCores).filter((c): c is number => c !== null);
  const others = records.map((r) => r.otherCpuCores).filter((c): c is number => c !== null);
  const steal = records.map((r) => r.stealShare).filter((c): c is number => c !== null);
  const throttled = records.map((r) => r.throttledPeriods).filter((c): c is number => c !== null);
  const stalls = records.map((r) => r.machineStallMs).filter((c): c is number => c !== null);
  const rss = records.map((r) => r.serverPeakRssMiB).filter((c): c is number => c !== null);
  const gc = records.map((r) => r.serverGc).filter((g) => g !== null);
  const sum = (f: (r: OpenModelRun) => number): number => runs.reduce((a, r) => a + f(r), 0);
  return {
    offeredRps: runs[0]!.offeredRps,
    achievedRps: sum((r) => r.achievedRps) / runs.length,
    repetitions: runs.length,
    requests: sum((r) => r.planned),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    latencyUs: percentilesOf(merged),
    sloLatencyUsPerRepetition: runs.map((r) => percentileUs(r.response, slo.percentile)),
    sloLatency: sloLatencyOf(merged, runs.map((r) => r.batches), slo),
    serverCpuCores: cpu.length === records.length ? median(cpu) : null,
    serverCpuCoresPerRepetition: cpu.length === records.length ? cpu : [],
    generator: {
      eventLoopDelayP99Ms: Math.max(...runs.map((r) => r.eventLoopDelayP99Ms)),
      gcMaxPauseMs: Math.max(...runs.map((r) => r.gcMaxPauseMs)),
      sendLagP99Ms: Math.max(...runs.map((r) => percentileUs(r.sendLag, 99) / 1000)),
      cpuCores: Math.max(...runs.map((r) => r.generatorCpuCores)),
    },
    otherCpuCores: others.length > 0 ? Math.max(...others) : null,
    stealShare: steal.length > 0 ? Math.max(...steal) : null,
    throttledPeriods: throttled.length > 0 ? throttled.reduce((a, b) => a + b, 0) : null,
    machineStallMs: stalls.length > 0 ? Math.max(...stalls) : null,
    serverPeakRssMiB: rss.length === records.length ? Math.max(...rss) : null,
    serverGcMaxPauseMs: gc.length > 0 ? Math.max(...gc.map((g) => g.maxMs)) : null,
    serverGcTotalMs: gc.length > 0 ? Math.max(...gc.map((g) => g.totalMs)) : null,
    valid: !checked.flat().some((p) => p.check === 'abandoned-lag'),
    problems,
    failedChecks,
    histogram: encodeHistogram(merged),
  };
}

/**
 * Summarises the saturation sweep and decides what limited X_max: the server (its CPU near its
 * capacity) or the generator (autocannon's CPU near a full core while the server had room).
 * @param serverCapacityCores what the server can use: its quota, or 1 (one JS thread).
 */
export function summarizeSaturation(runs: readonly SaturationRun[], serverCapacityCores: number, gates: RunGates = DEFAULT_GATES): BenchSaturation {
  const steps: BenchSaturationStep[] = runs.map((r) => {
    const problems: string[] = [];
    if (r.otherCpuCores !== null && r.otherCpuCores > gates.maxOtherCpuCores) problems.push(`noise: other processes used ${fmt(r.otherCpuCores)} cores`);
    const stolen = stealOf(r, gates);
    if (stolen !== null) problems.push(`noise: the host stole ${fmt(100 * stolen, 1)}% of the server's core`);
    if (r.errors > 0 || r.non2xx > 0) problems.push(`${r.errors} errors, ${r.non2xx} non-2xx`);
    if (r.generatorCpuCores >= 0.85) problems.push(`autocannon used ${fmt(r.generatorCpuCores)} cores: the generator may be the limit`);
    return {
      connections: r.connections,
      rps: r.rps,
      serverCpuCores: r.serverCpuCores,
      generatorCpuCores: r.generatorCpuCores,
      errors: r.errors,
      timeouts: r.timeouts,
      stealShare: r.stealShare,
      valid: r.errors === 0 && r.non2xx === 0,
      problems,
    };
  });
  const usable = steps.filter((s) => s.valid);
  const best = (usable.length > 0 ? usable : steps).reduce((a, b) => (b.rps > a.rps ? b : a), steps[0]!);
  let limitedBy: BenchSaturation['limitedBy'] = 'unknown';
  if (best.serverCpuCores !== null && best.serverCpuCores >= 0.85 * serverCapacityCores) limitedBy = 'server';
  else if (best.generatorCpuCores >= 0.85) limitedBy = 'generator';
  return {
    steps,
    maxRps: best.rps,
    cpuUsPerRequest: best.serverCpuCores === null || best.rps === 0 ? null : (best.serverCpuCores / best.rps) * 1e6,
    limitedBy,
  };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Whether a step meets the SLO on `side` of its latency interval, the error budget and the achieved-rate floor (and is valid). */
export function meetsSlo(s: BenchOpenStep, slo: BenchSlo, minAchievedRatio: number, side: SloSide): boolean {
  return (
    s.valid &&
    stepSloLatencyUs(s, slo, side) <= slo.latencyMs * 1000 &&
    (s.requests === 0 ? 0 : s.errors / s.requests) <= slo.errorBudgetFraction &&
    s.achievedRps >= minAchievedRatio * s.offeredRps
  );
}

/**
 * Where to measure more: the highest step (by rate) that meets the SLO (its latency on the side
 * that protects it, error budget, achieved rate, valid) and the step above it bracket the
 * capacity; a failing step below a passing one is noise (as recommend takes it). When they are
 * more than 25% apart, returns `count` rates spaced geometrically between them; otherwise none
 * (also when no step passes, or the highest does).
 */
export function refineRates(steps: readonly BenchOpenStep[], slo: BenchSlo, minAchievedRatio: number, count = 2): number[] {
  const sorted = [...steps].sort((a, b) => a.offeredRps - b.offeredRps);
  const lastGood = sorted.findLastIndex((s) => meetsSlo(s, slo, minAchievedRatio, 'high'));
  if (lastGood < 0 || lastGood === sorted.length - 1) return [];
  const lo = sorted[lastGood]!.offeredRps;
  const hi = sorted[lastGood + 1]!.offeredRps;
  if (hi / lo <= 1.25) return [];
  const known = new Set(sorted.map((s) => s.offeredRps));
  return geometricRates(lo, hi, count).map((r) => Math.round(r)).filter((r) => r > lo && r < hi && !known.has(r));
}

/** `count` rates spaced geometrically strictly between `lo` and `hi` (lo * (hi/lo)^(i/(count+1))). */
export function geometricRates(lo: number, hi: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => lo * (hi / lo) ** ((i + 1) / (count + 1)));
}

/**
 * The rate to measure when not even the lowest step meets the SLO on its merged percentile (the
 * side recommend needs at least one step to pass on): half the lowest, so a run on a noisy machine
 * (or with a tight SLO) can still vouch for a rate rather than end without a recommendation. null
 * when some step passes, or half the lowest would fall below `floorRps` (or 1 req/s).
 */
export function rateBelow(steps: readonly BenchOpenStep[], slo: BenchSlo, minAchievedRatio: number, floorRps: number): number | null {
  if (steps.length === 0 || steps.some((s) => meetsSlo(s, slo, minAchievedRatio, 'point'))) return null;
  const lowest = Math.min(...steps.map((s) => s.offeredRps));
  const half = Math.round(lowest / 2);
  return half >= Math.max(1, floorRps) && half < lowest ? half : null;
}
