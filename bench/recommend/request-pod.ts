/**
 * The recommended pod's SLO capacity as its own sweep measured it, under a quota equal to its CPU
 * request (`measurements.requestPod`, run.ts), instead of read off the main sweep's CPU line.
 */
import { sweepCapacity, type CapacitySides } from './capacity.js';
import type { RecommendMeasurements, Resolved } from './inputs.js';

/** What the request pod's sweep says, with the warnings its capacity finding gave. */
export type RequestPodCapacity = { readonly millicores: number; readonly warnings: readonly string[] } & (
  | {
      readonly kind: 'measured';
      readonly sides: CapacitySides;
      /** The server's CPU at a rate, interpolated between its valid steps (flat beyond them). */
      readonly cpuAt: (rps: number) => number;
    }
  /** It met the SLO at none of its valid rates: a pod this small is not known to hold it. */
  | { readonly kind: 'failed'; readonly why: string }
  /** No valid step with the server's CPU: the sweep says nothing about the pod. */
  | { readonly kind: 'invalid'; readonly why: string }
);

/** The request pod's capacity on each side of the SLO intervals; null when there was no such sweep. */
export function requestPodCapacity(pod: RecommendMeasurements['requestPod'], o: Resolved): RequestPodCapacity | null {
  if (!pod) return null;
  const millicores = pod.cpuQuotaMillicores;
  // Counted here as well as in sweepCapacity: both of its failures share one error code, and only
  // "no valid step" says nothing about the pod.
  const dropped = pod.steps.filter((s) => !s.valid || s.serverCpuCores === null).length;
  const droppedWarning = dropped > 0 ? [`${dropped} of the ${millicores}m pod's ${pod.steps.length} step(s) failed the run checks and were left out.`] : [];
  if (dropped === pod.steps.length) return { millicores, kind: 'invalid', why: `none of its ${pod.steps.length} step(s) was valid`, warnings: droppedWarning };
  try {
    const finding = sweepCapacity(pod.steps, o);
    const failedBelow = finding.value.sides.protective.failedBelow;
    const noise = failedBelow.length > 0 ? [`Noise detected: the ${millicores}m pod's step(s) at ${failedBelow.join(', ')} req/s failed the SLO below a higher rate that met it; taken as disturbed.`] : [];
    const points = finding.value.points.map((p) => [p.rps, p.cpuCores] as const);
    return { millicores, kind: 'measured', sides: finding.value.sides, cpuAt: (rps) => interpolate(points, rps), warnings: [...droppedWarning, ...noise, ...finding.warnings.map((w) => `The ${millicores}m pod: ${w}`)] };
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'HELLO_ERR_NO_RECOMMENDATION') throw error;
    return { millicores, kind: 'failed', why: (error as Error).message, warnings: droppedWarning };
  }
}

/** Linear interpolation in sorted (x, y) points, flat beyond the ends. */
function interpolate(points: readonly (readonly [number, number])[], x: number): number {
  const after = points.findIndex(([px]) => px >= x);
  if (after === 0) return points[0]![1];
  if (after < 0) return points.at(-1)![1];
  const [x0, y0] = points[after - 1]!;
  const [x1, y1] = points[after]!;
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}
