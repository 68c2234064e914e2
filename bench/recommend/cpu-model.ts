/**
 * The server's CPU as a function of the offered rate, over the range a pod will run in: what turns
 * a per-pod rate into CPU (CPU_cap, the HPA simulation) and a CPU target into a rate (C_t).
 */
import type { BenchOpenStep } from '../contract.js';
import type { CurvePoint } from './capacity.js';
import { sig, type Reasoned } from './reasoned.js';

/**
 * Server CPU as a function of the offered rate. A Theil-Sen line over every repetition's CPU
 * sample of the valid steps up to lambda_cap (`fit`), because a single step's CPU reading is noisy
 * (a few percent of a core from GC and timers): interpolating between single steps carried that
 * noise straight into C_t, and a least-squares line still moved with one wild reading; with fewer
 * than two rates, or a fit that is not increasing, it falls back to linear interpolation between
 * the steps (`interpolated`).
 */
export interface CpuModel {
  readonly kind: 'fit' | 'interpolated';
  /** Fitted CPU at zero rate (cores) and per request (us); null when interpolated. */
  readonly idleCores: number | null;
  readonly usPerRequest: number | null;
  /** Coefficient of determination of the fit; null when interpolated. */
  readonly r2: number | null;
  /** CPU samples the fit used. */
  readonly samples: number;
  at(rps: number): number;
  /** The rate at which the server uses `cores`; `warnings` hears when it had to extrapolate. */
  rateAt(cores: number, warnings?: string[]): number;
}

/** The CPU model of the valid steps up to `upToRps` (the merged percentiles' lambda_cap). */
export function cpuModelStep(valid: readonly BenchOpenStep[], points: readonly CurvePoint[], upToRps: number): Reasoned<CpuModel> {
  const samples = valid.flatMap((s) =>
    (s.serverCpuCoresPerRepetition.length > 0 ? s.serverCpuCoresPerRepetition : [s.serverCpuCores as number]).map((cores) => ({ rps: s.offeredRps, cores })),
  );
  const model = cpuModelOf(points, samples, upToRps);
  return {
    value: model,
    reasoning: [
      model.kind === 'fit'
        ? `Server CPU(lambda) = ${sig(model.idleCores!)} cores + ${sig(model.usPerRequest!)} us x lambda (Theil-Sen: medians over ${model.samples} CPU samples of the valid steps up to lambda_cap, R^2 = ${sig(model.r2!)}).`
        : 'Server CPU(lambda) interpolated linearly between the measured steps (too few steps up to lambda_cap for a fit, or the fit was not increasing).',
    ],
    warnings: [],
  };
}

/**
 * The CPU model for one curve: the Theil-Sen line over `samples` with rate <= lambdaCap, or interpolation
 * on `points` when that leaves fewer than two rates or a line that does not rise with the rate.
 * Above lambda_cap the samples are left out: under a CPU quota the CPU flattens there, and the pod
 * is sized to run below it.
 */
export function cpuModelOf(points: readonly CurvePoint[], samples: readonly { rps: number; cores: number }[], lambdaCap: number): CpuModel {
  const used = samples.filter((s) => s.rps <= lambdaCap * (1 + 1e-9));
  const interpolated: CpuModel = {
    kind: 'interpolated',
    idleCores: null,
    usPerRequest: null,
    r2: null,
    samples: used.length,
    at: (rps) => cpuAtRate(points, rps),
    rateAt: (cores, warnings) => rateAtCpu(points, cores, warnings),
  };
  if (new Set(used.map((s) => s.rps)).size < 2) return interpolated;
  const line = theilSen(used);
  if (!(line.slope > 0)) return interpolated;
  const { idle, slope } = line;
  const lowest = Math.min(...used.map((s) => s.rps));
  return {
    kind: 'fit',
    idleCores: idle,
    usPerRequest: slope * 1e6,
    r2: line.r2,
    samples: used.length,
    at: (rps) => (rps <= 0 ? 0 : idle + slope * rps),
    rateAt: (cores, warnings) => {
      if (cores > idle + slope * lowest) return (cores - idle) / slope;
      // Below the lowest measured step the line is not known; scale that step down instead.
      warnings?.push(`The target CPU (${cores.toFixed(3)} cores) is below what the server used at the lowest measured rate; C_t scaled down from ${lowest} req/s.`);
      return (lowest * cores) / (idle + slope * lowest);
    },
  };
}

/**
 * The Theil-Sen line (Sen 1968): the median of the slopes between every two samples at different
 * rates, and the median of the intercepts that slope leaves. One wild reading moves a median by at
 * most one rank, where it pulls a least-squares line by its whole error. When the intercept comes
 * out negative (which no server can use), the line through the origin with the median CPU per
 * request instead.
 */
export function theilSen(used: readonly { rps: number; cores: number }[]): { idle: number; slope: number; r2: number } {
  const slopes: number[] = [];
  for (let i = 0; i < used.length; i++) {
    for (let j = i + 1; j < used.length; j++) {
      const a = used[i]!;
      const b = used[j]!;
      if (a.rps !== b.rps) slopes.push((b.cores - a.cores) / (b.rps - a.rps));
    }
  }
  let slope = median(slopes);
  let idle = median(used.map((s) => s.cores - slope * s.rps));
  if (idle < 0) {
    slope = median(used.filter((s) => s.rps > 0).map((s) => s.cores / s.rps));
    idle = 0;
  }
  const my = used.reduce((a, s) => a + s.cores, 0) / used.length;
  const syy = used.reduce((a, s) => a + (s.cores - my) ** 2, 0);
  const sse = used.reduce((a, s) => a + (s.cores - idle - slope * s.rps) ** 2, 0);
  return { idle, slope, r2: syy === 0 ? 1 : 1 - sse / syy };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Server CPU (cores) at a rate, linear between measured steps (through the origin below the first). */
function cpuAtRate(points: readonly CurvePoint[], rps: number): number {
  const first = points[0]!;
  if (rps <= first.rps) return (first.cpuCores * rps) / first.rps;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (rps <= b.rps) return a.cpuCores + ((b.cpuCores - a.cpuCores) * (rps - a.rps)) / (b.rps - a.rps);
  }
  const last = points[points.length - 1]!;
  return (last.cpuCores * rps) / last.rps;
}

/** The rate at which server CPU reaches `cores`: the inverse of cpuAtRate, on the first crossing. */
function rateAtCpu(points: readonly CurvePoint[], cores: number, warnings?: string[]): number {
  const first = points[0]!;
  if (cores <= first.cpuCores) return (first.rps * cores) / Math.max(first.cpuCores, 1e-9);
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (cores <= b.cpuCores && b.cpuCores > a.cpuCores) return a.rps + ((b.rps - a.rps) * (cores - a.cpuCores)) / (b.cpuCores - a.cpuCores);
  }
  const last = points[points.length - 1]!;
  warnings?.push(`The target CPU (${cores.toFixed(3)} cores) is above every measured step; C_t extrapolated with the CPU per request of the highest step.`);
  return (last.rps * cores) / Math.max(last.cpuCores, 1e-9);
}
