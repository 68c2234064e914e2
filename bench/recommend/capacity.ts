/**
 * The per-pod capacity point (bench-method.md section 6 step 4): lambda_slo, the largest offered
 * rate at which the SLO holds; lambda_knee, where latency turns up; lambda_cap, the smaller. It is
 * found on each side of the SLO latency's interval; the recommendation uses the protective side.
 */
import { NoRecommendationError } from '../../common/index.js';
import type { BenchOpenStep, BenchSlo } from '../contract.js';
import { stepSloLatencyUs, type SloSide } from '../slo-latency.js';
import type { RecommendMeasurements, Resolved } from './inputs.js';
import { sig, type Reasoned } from './reasoned.js';

/** A point of the measured curves that recommend works on. */
export interface CurvePoint {
  readonly rps: number;
  /** SLO-percentile latency, microseconds. */
  readonly latencyUs: number;
  readonly cpuCores: number;
  readonly errorRate: number;
  readonly achievedRatio: number;
}

/** Capacity figures from one curve (the merged sweep, or one repetition). */
export interface Capacity {
  readonly lambdaSlo: number;
  /** True when no valid step broke the SLO, so lambdaSlo is a lower bound. */
  readonly sloNotReached: boolean;
  readonly lambdaKnee: number | null;
  readonly lambdaCap: number;
  readonly reason: string;
  /** Steps below lambda_slo that failed the SLO (rates): noise, since a step above them passed. */
  readonly failedBelow: readonly number[];
}

/** The capacity on each side of the SLO latency's interval. */
export interface CapacitySides {
  /** From each step's interval high end: the side that protects the SLO, which the recommendation uses. */
  readonly protective: Capacity;
  /** From each step's merged percentile. */
  readonly point: Capacity;
  /** From each step's interval low end. */
  readonly optimistic: Capacity;
}

/** The valid steps, their curve (the merged SLO percentile), and the capacity on each side. */
export interface CapacityFinding {
  /** Steps that measured the server and have its CPU, by rate. */
  readonly valid: readonly BenchOpenStep[];
  readonly dropped: number;
  readonly points: readonly CurvePoint[];
  readonly sides: CapacitySides;
}

/**
 * The capacity from the valid steps: the SLO checked on each step's merged percentile and on both
 * ends of its interval (steps without one: their worst repetition, on every side).
 * @throws NoRecommendationError when no valid step is left, or the SLO fails already at the lowest.
 */
export function capacityStep(m: RecommendMeasurements, o: Resolved): Reasoned<CapacityFinding> {
  const { value, warnings: sideWarnings } = sweepCapacity(m.openSteps, o);
  const { valid, dropped, sides } = value;
  const cap = sides.protective;
  const warnings: string[] = [...sideWarnings];
  if (dropped > 0) warnings.push(`${dropped} of ${m.openSteps.length} open-model step(s) failed the run checks and were left out.`);
  if (cap.sloNotReached) warnings.push(`No valid step broke the SLO: lambda_slo = ${sig(cap.lambdaSlo)} req/s is a lower bound of the per-pod capacity.`);
  if (cap.failedBelow.length > 0) {
    warnings.push(
      `Noise detected: the step(s) at ${cap.failedBelow.join(', ')} req/s failed the SLO below lambda_slo while a higher rate met it; latency does not fall as load rises, so they are taken as disturbed (the run checks say by what), not as the capacity.`,
    );
  }
  if (m.saturation.limitedBy === 'generator') warnings.push('The saturation sweep was limited by the load generator, not the server: X_max and the sweep range are lower bounds.');
  return { value, reasoning: capacityReasoning(m, o, sides, valid), warnings };
}

/**
 * One sweep's valid steps (those that measured the server and have its CPU) and its capacity on
 * each side of the SLO intervals; warns when even the lowest step passes only on its merged
 * percentile.
 * @throws NoRecommendationError when no valid step is left, or the SLO fails already at the lowest.
 */
export function sweepCapacity(steps: readonly BenchOpenStep[], o: Resolved): Reasoned<CapacityFinding> {
  const valid = steps.filter((s) => s.valid && s.serverCpuCores !== null).sort((a, b) => a.offeredRps - b.offeredRps);
  if (valid.length === 0) {
    throw new NoRecommendationError(`no valid open-model step with server CPU to recommend from (${steps.length} step(s), all invalid or without server CPU); see the run checks`);
  }
  const pointsOn = (side: SloSide): CurvePoint[] =>
    valid.map((s) => ({
      rps: s.offeredRps,
      latencyUs: stepSloLatencyUs(s, o.slo, side),
      cpuCores: s.serverCpuCores as number,
      errorRate: s.requests === 0 ? 0 : s.errors / s.requests,
      achievedRatio: s.achievedRps / s.offeredRps,
    }));
  const point = capacityOf(pointsOn('point'), o.slo, o.minAchievedRatio);
  const protective = protectiveCapacity(pointsOn('high'), o);
  const sides: CapacitySides = { protective: protective.value, point, optimistic: capacityOf(pointsOn('low'), o.slo, o.minAchievedRatio) };
  return { value: { valid, dropped: steps.length - valid.length, points: pointsOn('point'), sides }, reasoning: [], warnings: protective.warnings };
}

/**
 * The capacity on the protective side; when even the lowest step fails there but passes on its
 * merged percentile, the lowest step's rate, the most the run can vouch for.
 */
function protectiveCapacity(points: readonly CurvePoint[], o: Resolved): Reasoned<Capacity> {
  try {
    return { value: capacityOf(points, o.slo, o.minAchievedRatio), reasoning: [], warnings: [] };
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'HELLO_ERR_NO_RECOMMENDATION') throw error;
    const lowest = points[0]!.rps;
    return {
      value: { lambdaSlo: lowest, sloNotReached: false, lambdaKnee: null, lambdaCap: lowest, reason: `the lowest step, ${lowest} req/s, passes only on its merged percentile, not on its interval`, failedBelow: [] },
      reasoning: [],
      warnings: [`Even the lowest step (${lowest} req/s) is not sure to meet the SLO (its interval crosses the bound): the capacity is taken as that rate, a conservative bound; measure lower rates or on a quieter machine.`],
    };
  }
}

function capacityReasoning(m: RecommendMeasurements, o: Resolved, sides: CapacitySides, valid: readonly BenchOpenStep[]): string[] {
  const cap = sides.protective;
  const p = o.slo.percentile;
  const withInterval = valid.filter((s) => s.sloLatency !== undefined).length;
  return [
    `Saturation (closed loop): X_max = ${sig(m.saturation.maxRps)} req/s, limited by ${m.saturation.limitedBy}.`,
    withInterval > 0
      ? `The SLO is checked on each step's p${p} of all its repetitions merged, with an interval from its batches (tenths of each window; Student's t, 90%); the capacity is taken on the interval's high end, the side that protects the SLO: lambda_cap ${sig(cap.lambdaCap)} req/s (merged percentiles: ${sig(sides.point.lambdaCap)}; low ends: ${sig(sides.optimistic.lambdaCap)}).`
      : `The SLO is checked on each step's worst repetition (the steps carry no merged interval).`,
    `SLO p${p} <= ${o.slo.latencyMs} ms holds up to lambda_slo = ${sig(cap.lambdaSlo)} req/s (${cap.reason}).`,
    cap.lambdaKnee === null
      ? 'Too few valid steps for a knee (need 3); lambda_cap = lambda_slo.'
      : `Knee of p${p}(lambda) (Kneedle, latency normalised to the SLO) at lambda_knee = ${sig(cap.lambdaKnee)} req/s.`,
  ];
}

function passes(p: CurvePoint, slo: BenchSlo, floor: number): boolean {
  return p.latencyUs <= slo.latencyMs * 1000 && p.errorRate <= slo.errorBudgetFraction && p.achievedRatio >= floor;
}

/** lambda_slo, lambda_knee and lambda_cap for one curve (sorted by rate). */
export function capacityOf(points: readonly CurvePoint[], slo: BenchSlo, floor: number): Capacity {
  // Noise only makes a step look worse (a stall, another process's CPU), and latency does not fall
  // as load rises: so the highest step that meets the SLO is the evidence, and a failing step
  // below it is noise, not the capacity.
  const last = points.findLastIndex((p) => passes(p, slo, floor));
  if (last < 0) {
    const first = points[0]!;
    throw new NoRecommendationError(
      `the SLO p${slo.percentile} <= ${slo.latencyMs} ms fails already at the lowest valid offered rate (${first.rps} req/s: p${slo.percentile} ${(first.latencyUs / 1000).toFixed(2)} ms, errors ${(first.errorRate * 100).toFixed(3)}%, achieved ${(first.achievedRatio * 100).toFixed(1)}%) and at every rate above it; measure lower rates or relax the SLO`,
    );
  }
  const failedBelow = points.slice(0, last).filter((p) => !passes(p, slo, floor)).map((p) => p.rps);
  const lo = points[last]!;
  const hi = points[last + 1];
  let lambdaSlo = lo.rps;
  let reason: string;
  if (hi === undefined) {
    reason = `every valid step up to ${lo.rps} req/s meets it`;
  } else if (hi.errorRate <= slo.errorBudgetFraction && hi.achievedRatio >= floor && hi.latencyUs > lo.latencyUs) {
    // Latency alone broke the SLO: interpolate log(latency) linearly between the bracketing steps.
    const bound = slo.latencyMs * 1000;
    const f = (Math.log(bound) - Math.log(Math.max(1, lo.latencyUs))) / (Math.log(hi.latencyUs) - Math.log(Math.max(1, lo.latencyUs)));
    lambdaSlo = lo.rps + (hi.rps - lo.rps) * Math.min(1, Math.max(0, f));
    reason = `interpolated in log(latency) between ${lo.rps} req/s (${(lo.latencyUs / 1000).toFixed(2)} ms) and ${hi.rps} req/s (${(hi.latencyUs / 1000).toFixed(2)} ms)`;
  } else {
    reason = `the next step, ${hi.rps} req/s, fails on ${hi.errorRate > slo.errorBudgetFraction ? 'errors' : hi.achievedRatio < floor ? 'achieved rate' : 'latency'}`;
  }
  const lambdaKnee = kneeOf(points, slo);
  const lambdaCap = lambdaKnee === null ? lambdaSlo : Math.min(lambdaSlo, lambdaKnee);
  return { lambdaSlo, sloNotReached: hi === undefined, lambdaKnee, lambdaCap, reason, failedBelow };
}

/**
 * Kneedle (Satopaa et al. 2011) for a convex increasing curve: the point that maximises
 * x_norm - y_norm. Latency is normalised against max(highest latency, SLO bound), so a curve that
 * stays far below the SLO has its knee at its last point instead of somewhere in the noise.
 */
function kneeOf(points: readonly CurvePoint[], slo: BenchSlo): number | null {
  if (points.length < 3) return null;
  const xs = points.map((p) => p.rps);
  const ys = points.map((p) => p.latencyUs);
  const x0 = xs[0]!;
  const xSpan = xs[xs.length - 1]! - x0;
  const y0 = Math.min(...ys);
  const ySpan = Math.max(Math.max(...ys), slo.latencyMs * 1000) - y0;
  if (xSpan <= 0 || ySpan <= 0) return null;
  let best = 0;
  let bestD = -Infinity;
  points.forEach((p, i) => {
    const d = (p.rps - x0) / xSpan - (p.latencyUs - y0) / ySpan;
    if (d > bestD + 1e-12) {
      bestD = d;
      best = i;
    }
  });
  return xs[best]!;
}
