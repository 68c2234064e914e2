/**
 * How much the key values move between repetitions: each repetition's sweep analysed alone (its
 * own capacity point and CPU line) with the same request and target.
 */
import type { BenchOpenStep, BenchSpread } from '../contract.js';
import { capacityOf, type CurvePoint } from './capacity.js';
import { cpuModelOf } from './cpu-model.js';
import type { Resolved } from './inputs.js';
import { maxReplicasFor, minReplicasFor } from './replicas.js';
import { sig, type Reasoned } from './reasoned.js';

/** (max - min) / median of a spread; 0 for a zero median. */
export function relativeRange(s: BenchSpread): number {
  return s.median > 0 ? (s.max - s.min) / s.median : 0;
}

/** Min, median and max of a non-empty list. */
export function spreadOf(values: readonly number[]): BenchSpread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted[sorted.length - 1]!, samples: sorted.length };
}

/**
 * The spread of lambda_cap, CPU_cap, C_t and maxReplicas over repetitions, and a "Noise detected"
 * warning when the repetitions put the capacity more than 10% apart: one run is then no more
 * precise than that.
 */
export function spreadStep(valid: readonly BenchOpenStep[], targetCores: number, o: Resolved): Reasoned<Record<string, BenchSpread>> {
  const spread = spreadOverRepetitions(valid, o, targetCores);
  const cap = spread.lambdaCapRps;
  const warnings: string[] = [];
  if (cap && cap.samples >= 2 && relativeRange(cap) > 0.1) {
    warnings.push(
      `Noise detected: analysed alone, the ${cap.samples} repetitions put the SLO capacity at ${sig(cap.min)}-${sig(cap.max)} req/s (${Math.round(100 * relativeRange(cap))}% apart): the measurement is no more precise than that, and repeated runs can differ by as much.`,
    );
  }
  return { value: spread, reasoning: [], warnings };
}

function spreadOverRepetitions(valid: readonly BenchOpenStep[], o: Resolved, targetCores: number): Record<string, BenchSpread> {
  const reps = Math.min(...valid.map((s) => Math.min(s.sloLatencyUsPerRepetition.length, s.serverCpuCoresPerRepetition.length)));
  const lambdaCap: number[] = [];
  const cpuCap: number[] = [];
  const ct: number[] = [];
  const maxReplicas: number[] = [];
  for (let k = 0; k < reps; k++) {
    const points: CurvePoint[] = valid.map((s) => ({
      rps: s.offeredRps,
      latencyUs: s.sloLatencyUsPerRepetition[k]!,
      cpuCores: s.serverCpuCoresPerRepetition[k]!,
      errorRate: s.requests === 0 ? 0 : s.errors / s.requests,
      achievedRatio: s.achievedRps / s.offeredRps,
    }));
    try {
      const cap = capacityOf(points, o.slo, o.minAchievedRatio);
      const model = cpuModelOf(points, points.map((p) => ({ rps: p.rps, cores: p.cpuCores })), cap.lambdaCap);
      const c = Math.min(model.rateAt(targetCores), cap.lambdaCap);
      lambdaCap.push(cap.lambdaCap);
      cpuCap.push(model.at(cap.lambdaCap));
      ct.push(c);
      maxReplicas.push(maxReplicasFor(c, minReplicasFor(c, cap.lambdaCap, o), o).max);
    } catch {
      // A repetition that fails the SLO at its lowest step has no capacity point; the spread
      // then has fewer samples, which its `samples` field shows.
    }
  }
  const out: Record<string, BenchSpread> = {};
  if (lambdaCap.length > 0) {
    out.lambdaCapRps = spreadOf(lambdaCap);
    out.cpuCapCores = spreadOf(cpuCap);
    out.ctRps = spreadOf(ct);
    out.maxReplicas = spreadOf(maxReplicas);
  }
  return out;
}
