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
  /** C_t: where the server's CPU reaches that target, req/s (for the reasoning). */
  readonly ctRps: number;
  /** The CPU line's intercept, cores; null when the model interpolates (for the reasoning). */
  readonly idleCores: number | null;
}

/**
 * RPS target = C_slo x min(1, u_t / u_max): an RPS autoscaler counts requests, so it keeps the
 * headroom the CPU target keeps over u_max (the tolerance and the growth over the scale-up lag),
 * in requests. Where the server's CPU is proportional to its rate this is C_t. Where the CPU line
 * has an intercept (the server costs more per request at low rates), C_t sits lower, and it comes
 * from (target CPU - intercept) / slope: the target sat a hundredth of a core above the fitted
 * intercept on this repo's machines, so a hundredth of a core of noise moved C_t by a third
 * (docs/BENCHMARKS.md set 13). The CPU HPA's replicas still come from C_t: that is where a CPU
 * HPA holds its pods.
 */
export function rpsStep(b: RpsBasis): Reasoned<BenchRecommendation['rps']> {
  const share = Math.min(1, b.utilization / b.uMax);
  const target = b.sloCapacityRps * share;
  // The epsilon keeps a computed 1499.9999999 at 1500.
  const targetPerPod = Math.max(1, Math.floor(target + 1e-6));
  const sloCapacityPerPod = Math.max(1, Math.floor(b.sloCapacityRps + 1e-6));
  const proportional = Math.abs(b.ctRps - target) <= 0.01 * target;
  return {
    value: {
      targetPerPod,
      sloCapacityPerPod,
      targetUtilizationPercent: Math.min(100, Math.max(1, Math.round((100 * target) / b.sloCapacityRps))),
    },
    reasoning: [
      `RPS target = C_slo * min(1, u_t/u_max) = ${sig(b.sloCapacityRps)} * min(1, ${sig(b.utilization)}/${sig(b.uMax)}) = ${sig(target)} req/s per pod: the CPU target's headroom over u_max, in requests` +
        (proportional
          ? ' (= C_t: the server CPU is proportional to the rate).'
          : `; C_t = ${sig(b.ctRps)} req/s is where the CPU HPA holds a pod${b.idleCores !== null ? `, lower because the CPU line has an intercept (${sig(b.idleCores)} cores)` : ''}.`),
    ],
    warnings: [],
  };
}
