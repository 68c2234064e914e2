/**
 * Whether runs that disagree measured a different server or a machine that ran at another speed.
 * The generator does the same work per request on the other core in every run, so its CPU per
 * request is a reference taken during every open-model step: when the server's CPU at a rate
 * moves between runs and its share of the generator's CPU at that rate does not, the machine's
 * speed moved, not the server's behaviour. Across twelve recorded sets of three runs on this
 * repo's VM, the server's CPU at the same rates moved 4-38% between runs minutes apart while that
 * share moved 1-10% (docs/BENCHMARKS.md, set 15). Pure.
 */
import type { BenchOpenStep, BenchResults } from './contract.js';

/** The server's CPU, and its share of the generator's, at rates every compared run measured. */
export interface MachineSpeedCheck {
  /** The rates both figures are read at (spread geometrically over the range every run measured). */
  readonly atRps: readonly number[];
  /** Per run: the server's CPU summed over those rates, cores. */
  readonly serverCores: readonly number[];
  /** Per run: the server's CPU over the generator's at those rates. */
  readonly serverShareOfGenerator: readonly number[];
}

/** Where in the common range (log scale) the figures are read. */
const READ_AT = [0.25, 0.5, 0.75] as const;

/**
 * The check for `runs`, or null when some run has fewer than two usable steps or the runs'
 * ranges do not overlap. Usable: valid, the server's CPU known and the offered rate achieved
 * (above the capacity the generator's work per request changes: timeouts, retries of a pool).
 * A step's generator CPU is its busiest repetition's (the results file keeps no other), its
 * server CPU the median repetition's.
 */
export function checkMachineSpeed(runs: readonly BenchResults[], minAchievedRatio = 0.99): MachineSpeedCheck | null {
  const curves = runs.map((r) => usableSteps(r.measurements.openModel.steps, minAchievedRatio));
  if (curves.length < 2 || curves.some((c) => c.length < 2)) return null;
  const lo = Math.max(...curves.map((c) => c[0]!.rps));
  const hi = Math.min(...curves.map((c) => c[c.length - 1]!.rps));
  if (!(hi > lo)) return null;
  const atRps = READ_AT.map((q) => Math.round(lo * (hi / lo) ** q));
  const sums = curves.map((c) => ({
    server: atRps.reduce((sum, rps) => sum + interpolate(c, rps, 'server'), 0),
    generator: atRps.reduce((sum, rps) => sum + interpolate(c, rps, 'generator'), 0),
  }));
  return { atRps, serverCores: sums.map((s) => s.server), serverShareOfGenerator: sums.map((s) => s.server / s.generator) };
}

interface Point {
  readonly rps: number;
  readonly server: number;
  readonly generator: number;
}

function usableSteps(steps: readonly BenchOpenStep[], minAchievedRatio: number): Point[] {
  return steps
    .filter((s) => s.valid && s.serverCpuCores !== null && s.generator.cpuCores > 0 && s.achievedRps >= minAchievedRatio * s.offeredRps)
    .map((s) => ({ rps: s.offeredRps, server: s.serverCpuCores as number, generator: s.generator.cpuCores }))
    .sort((a, b) => a.rps - b.rps);
}

/** Linear between the steps around `rps` (which lies within the curve's range). */
function interpolate(curve: readonly Point[], rps: number, of: 'server' | 'generator'): number {
  const i = Math.max(1, curve.findIndex((p) => p.rps >= rps));
  const a = curve[i - 1]!;
  const b = curve[i]!;
  return b.rps === a.rps ? b[of] : a[of] + ((b[of] - a[of]) * (rps - a.rps)) / (b.rps - a.rps);
}
