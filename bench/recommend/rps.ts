/** The per-pod rates an RPS or concurrency autoscaler (KEDA, Knative KPA) scales on. */
import type { BenchRecommendation } from '../contract.js';
import { sig, type Reasoned } from './reasoned.js';

/** What the RPS target is taken from. */
export interface RpsBasis {
  /** The recommended pod's SLO capacity, req/s. */
  readonly sloCapacityRps: number;
  /** u_max: the share of the measured pod's CPU at which the SLO still held. */
  readonly uMax: number;
  /** The HPA's CPU target after the simulation (u_t). */
  readonly utilization: number;
  /** u_max / ((1 + tolerance) g) before it was floored and clamped (utilization.ts). */
  readonly rawUtilization: number;
  /** C_t: where the server's CPU reaches that target, req/s (for the reasoning). */
  readonly ctRps: number;
  /** The CPU line's intercept, cores; null when the model interpolates (for the reasoning). */
  readonly idleCores: number | null;
}

/**
 * RPS target = C_slo x min(1, u / u_max), u = min(u_t, raw u_t): an RPS autoscaler counts
 * requests, so it keeps the headroom the CPU target keeps over u_max (the tolerance and the growth
 * over the scale-up lag), in requests. The raw target where the CPU target was raised to its 30%
 * floor: a request rate has no floor, and the raised target would not leave the headroom. Where
 * the server's CPU is proportional to its rate this is C_t. Where the CPU line has an intercept
 * (the server costs more per request at low rates), C_t sits lower, and it comes from (target CPU
 * - intercept) / slope: on this repo's machines the target sat a few hundredths of a core above
 * the fitted intercept, so a hundredth of a core of noise moved C_t by a third or more
 * (docs/BENCHMARKS.md set 13). The CPU HPA's replicas still come from C_t: that is where a CPU HPA
 * holds its pods.
 */
export function rpsStep(b: RpsBasis): Reasoned<BenchRecommendation['rps']> {
  const u = Math.min(b.utilization, b.rawUtilization);
  const target = b.sloCapacityRps * Math.min(1, u / b.uMax);
  // The epsilon keeps a computed 1499.9999999 at 1500.
  const targetPerPod = Math.max(1, Math.floor(target + 1e-6));
  return {
    value: {
      targetPerPod,
      sloCapacityPerPod: Math.max(1, Math.floor(b.sloCapacityRps + 1e-6)),
      targetUtilizationPercent: Math.min(100, Math.max(1, Math.round((100 * target) / b.sloCapacityRps))),
    },
    reasoning: [
      `RPS target = C_slo * min(1, u/u_max) = ${sig(b.sloCapacityRps)} * min(1, ${sig(u)}/${sig(b.uMax)}) = ${sig(target)} req/s per pod: the CPU target's headroom over u_max, in requests; ${ctNote(b, target)}`,
    ],
    warnings: [],
  };
}

/** How C_t compares with the RPS target, and why where the reason is known. */
function ctNote(b: RpsBasis, target: number): string {
  if (Math.abs(b.ctRps - target) <= 0.01 * target) return `C_t = ${sig(b.ctRps)} req/s is the same.`;
  const why = b.idleCores !== null && b.idleCores > 0 && b.ctRps < target ? `, lower because the CPU line has an intercept (${sig(b.idleCores)} cores)` : '';
  return `C_t = ${sig(b.ctRps)} req/s is where the CPU HPA holds a pod${why}.`;
}
