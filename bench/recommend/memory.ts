/** The memory request and limit, from the server's peak RSS. */
import type { BenchOpenStep } from '../contract.js';
import type { Resolved } from './inputs.js';
import { sig, type Reasoned } from './reasoned.js';

const MEMORY_FLOOR_MIB = 64;
const MEMORY_DEFAULT_MIB = 128;
/**
 * Up to a multiple of 8 MiB (at least the floor). 8, not 16: at ~100 MiB a 16 MiB step is 14-16%,
 * so two runs whose peaks differ by a few MiB could land a whole step apart (three quick runs:
 * 112/112/128 MiB); an 8 MiB step is within the 10% runs are compared at.
 */
const ceil8 = (mib: number): number => Math.max(MEMORY_FLOOR_MIB, Math.ceil(mib / 8 - 1e-9) * 8);

/**
 * With per-step peaks, the request covers the operating range (the valid steps up to
 * lambda_cap) and the limit also covers the run's overload steps, whose backlog makes the peak
 * depend on how hard and how long they hit: an overloaded pod should slow down, not be
 * OOM-killed. Without them, request = limit from the run's peak.
 */
export function memoryStep(valid: readonly BenchOpenStep[], runPeakMiB: number | null, lambdaCapRps: number, o: Resolved): Reasoned<{ requestMiB: number; limitMiB: number }> {
  if (runPeakMiB === null) {
    return {
      value: { requestMiB: MEMORY_DEFAULT_MIB, limitMiB: MEMORY_DEFAULT_MIB },
      reasoning: [`Memory request = limit = ${MEMORY_DEFAULT_MIB} MiB (default; not measured).`],
      warnings: [`The server's memory was not measured; memory set to the default ${MEMORY_DEFAULT_MIB} MiB.`],
    };
  }
  const operatingPeaks = valid.filter((s) => s.offeredRps <= lambdaCapRps * (1 + 1e-9)).map((s) => s.serverPeakRssMiB);
  const operatingPeak = operatingPeaks.length > 0 && operatingPeaks.every((x) => typeof x === 'number') ? Math.max(...(operatingPeaks as number[])) : null;
  if (operatingPeak === null) {
    const mib = ceil8(runPeakMiB * (1 + o.memoryMargin));
    return {
      value: { requestMiB: mib, limitMiB: mib },
      reasoning: [`Memory request = limit = ceil8(peak RSS ${sig(runPeakMiB)} MiB * (1+${o.memoryMargin})) = ${mib} MiB (memory is not compressible: request = limit).`],
      warnings: [],
    };
  }
  const requestMiB = ceil8(operatingPeak * (1 + o.memoryMargin));
  const limitMiB = Math.max(requestMiB, ceil8(runPeakMiB * 1.1));
  return {
    value: { requestMiB, limitMiB },
    reasoning: [
      `Memory request = ceil8(peak RSS up to lambda_cap ${sig(operatingPeak)} MiB * (1+${o.memoryMargin})) = ${requestMiB} MiB; limit = max(request, ceil8(the run's peak ${sig(runPeakMiB)} MiB * 1.1)) = ${limitMiB} MiB, so the overload steps' backlog does not get the pod OOM-killed.`,
    ],
    warnings: [],
  };
}
