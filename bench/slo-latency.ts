/**
 * The SLO check's numbers for one step: the percentile on the histogram of all its repetitions
 * merged (never the worst repetition, never an average of percentiles), and how sure that is.
 * The uncertainty comes from batch means: each measured window is cut into ten batches, and the
 * share of requests above the SLO bound varies between them; a pause (the server's GC, a machine
 * stall) stays mostly inside one batch, so the batches are close to independent where single
 * requests are not. The standard error of that share, times Student's t, moves the percentile
 * down and up on the merged histogram: the interval.
 */
import type { BenchOpenStep, BenchSlo, BenchSloLatency } from './contract.js';
import { percentileUs, type LatencyHistogram } from './histogram.js';
import type { OpenModelBatches } from './open-model.js';

/** One-sided 95% quantiles of Student's t for 1..30 degrees of freedom (a two-sided 90% interval). */
const T_95 = [6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753, 1.746, 1.74, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697];

/** Student's t (one-sided 95%) for `dof` degrees of freedom; the normal 1.645 beyond 120. */
export function studentT95(dof: number): number {
  if (dof <= 30) return T_95[Math.max(1, dof) - 1]!;
  return dof <= 40 ? 1.684 : dof <= 60 ? 1.671 : dof <= 120 ? 1.658 : 1.645;
}

/**
 * The SLO percentile of `merged` with its interval from `batches` (every repetition's, empty
 * batches of a stopped step left out). With fewer than two batches nothing is known about the
 * spread, and the interval is the point.
 */
export function sloLatencyOf(merged: LatencyHistogram, batches: readonly OpenModelBatches[], slo: BenchSlo): BenchSloLatency {
  const pairs = batches.flatMap((b) => b.requests.map((n, i) => ({ n, k: b.overBound[i] ?? 0 }))).filter((b) => b.n > 0);
  const requests = pairs.reduce((a, b) => a + b.n, 0);
  const over = pairs.reduce((a, b) => a + b.k, 0);
  const fraction = requests === 0 ? 0 : over / requests;
  const count = pairs.length;
  // The ratio estimator's variance over batches (batch means).
  const standardError = count < 2 ? 0 : Math.sqrt((count / (count - 1)) * pairs.reduce((a, b) => a + (b.k - fraction * b.n) ** 2, 0)) / requests;
  const shift = count < 2 ? 0 : 100 * studentT95(count - 1) * standardError;
  return {
    percentile: slo.percentile,
    boundUs: slo.latencyMs * 1000,
    mergedUs: percentileUs(merged, slo.percentile),
    overBoundFraction: fraction,
    overBoundStandardError: standardError,
    batches: Math.max(1, count),
    lowUs: percentileUs(merged, Math.max(0, slo.percentile - shift)),
    highUs: percentileUs(merged, Math.min(100, slo.percentile + shift)),
  };
}

/** Which value of a step's SLO latency: the interval's low end, the merged point, or the high end (the side that protects the SLO). */
export type SloSide = 'low' | 'point' | 'high';

/**
 * A step's SLO-percentile latency on one side of its interval, microseconds. Steps without the
 * interval for this SLO (files from before it existed, or another SLO) have only their worst
 * repetition, which then stands for all three.
 */
export function stepSloLatencyUs(step: BenchOpenStep, slo: BenchSlo, side: SloSide): number {
  const s = step.sloLatency;
  if (s && s.percentile === slo.percentile && s.boundUs === slo.latencyMs * 1000) return side === 'low' ? s.lowUs : side === 'high' ? s.highUs : s.mergedUs;
  return step.sloLatencyUsPerRepetition.length > 0 ? Math.max(...step.sloLatencyUsPerRepetition) : step.latencyUs.max;
}
