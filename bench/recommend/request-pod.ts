/**
 * The recommended pod's SLO capacity as its own sweep measured it, under a quota equal to its CPU
 * request (`measurements.requestPod`, run.ts), instead of read off the main sweep's CPU line.
 */
import { sweepCapacity, type CapacitySides } from './capacity.js';
import type { RecommendMeasurements, Resolved } from './inputs.js';

/** What the request pod's sweep says: its capacity on each side, or why it has none. */
export type RequestPodCapacity =
  | { readonly millicores: number; readonly sides: CapacitySides; readonly failed: null }
  | { readonly millicores: number; readonly sides: null; readonly failed: string };

/** The request pod's capacity on each side of the SLO intervals; null when there was no such sweep. */
export function requestPodCapacity(pod: RecommendMeasurements['requestPod'], o: Resolved): RequestPodCapacity | null {
  if (!pod) return null;
  try {
    return { millicores: pod.cpuQuotaMillicores, sides: sweepCapacity(pod.steps, o).value.sides, failed: null };
  } catch (error) {
    // No valid step, or the SLO failed at its every rate: the pod this small is not known to hold it.
    if ((error as { code?: unknown }).code !== 'HELLO_ERR_NO_RECOMMENDATION') throw error;
    return { millicores: pod.cpuQuotaMillicores, sides: null, failed: (error as Error).message };
  }
}
