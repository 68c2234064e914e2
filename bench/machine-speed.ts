/**
 * Whether runs that disagree measured a different server or a machine that ran at another speed.
 * The generator does the same work per request in every run, on the other core, so its CPU is a
 * reference taken during every open-model step: when the server's CPU at the same rates moves
 * between runs and its ratio to the generator's CPU there moves much less, the machine's speed
 * moved, not the server's behaviour (docs/BENCHMARKS.md, set 15). Pure.
 */
import { DEFAULT_GATES } from './assess.js';
import type { BenchResults } from './contract.js';

/** The server's CPU, and its ratio to the generator's, at rates every compared run measured. */
export interface MachineSpeedCheck {
  /** The rates both are read at: spread geometrically over the range every run measured below its capacity. */
  readonly atRps: readonly number[];
  /** Per run: the server's CPU, the mean over those rates, cores. */
  readonly serverCpuCores: readonly number[];
  /** Per run: the server's CPU over the generator's, both summed over those rates. */
  readonly serverToGeneratorCpu: readonly number[];
}

/** A usable step: its rate and both processes' CPU. */
interface Point {
  readonly rps: number;
  readonly server: number;
  readonly generator: number;
}

/** Where in the common range the figures are read, as fractions of it on a log scale. */
const READ_AT_LOG_FRACTIONS = [0.25, 0.5, 0.75] as const;
/** The common range must span at least this ratio, so the three reads rest on more than one step. */
const MIN_RANGE_RATIO = 1.5;

/**
 * The check for `runs`, or null when it cannot be made: fewer than two runs, runs whose generator
 * ran in different places (main thread or worker: not the same work), a run with fewer than two
 * usable steps, or a common range narrower than {@link MIN_RANGE_RATIO}. Usable: valid, its offered
 * rate achieved with no timeout (past the capacity the generator's work per request changes), the
 * server's CPU known, and at most lambda_cap (under a quota the server's CPU flattens above it).
 * Each figure is interpolated between the steps around a rate and summed over three rates, so one
 * step's reading weighs at most a part of it. Interpolation, not the CPU model's Theil-Sen line:
 * over the sets of three runs in set 15 a line over each run's steps left the ratio 2-25% apart
 * between runs, these reads 2-11% (the generator's CPU is not linear in the rate at low rates). A step's
 * generator CPU is its busiest repetition's (the file keeps no other), its server CPU the median's.
 */
export function checkMachineSpeed(runs: readonly BenchResults[], minAchievedRatio = DEFAULT_GATES.minAchievedRatio): MachineSpeedCheck | null {
  if (runs.length < 2 || new Set(runs.map((r) => r.environment.generatorNewSpaceMiB === undefined)).size > 1) return null;
  const curves = runs.map((r) => usableSteps(r, minAchievedRatio));
  if (curves.some((c) => c.length < 2)) return null;
  const lo = Math.max(...curves.map((c) => c[0]!.rps));
  const hi = Math.min(...curves.map((c) => c[c.length - 1]!.rps));
  if (!(hi >= MIN_RANGE_RATIO * lo)) return null;
  const rates = READ_AT_LOG_FRACTIONS.map((q) => lo * (hi / lo) ** q);
  const sums = curves.map((c) => ({
    server: rates.reduce((sum, rps) => sum + interpolate(c, rps, 'server'), 0),
    generator: rates.reduce((sum, rps) => sum + interpolate(c, rps, 'generator'), 0),
  }));
  return { atRps: rates.map((r) => Math.round(r)), serverCpuCores: sums.map((s) => s.server / rates.length), serverToGeneratorCpu: sums.map((s) => s.server / s.generator) };
}

function usableSteps(r: BenchResults, minAchievedRatio: number): Point[] {
  const { lambdaCapPointRps, lambdaCapRps } = r.recommendation.intermediates;
  const cap = lambdaCapPointRps ?? lambdaCapRps ?? Infinity;
  return r.measurements.openModel.steps
    .filter((s) => s.valid && s.serverCpuCores !== null && s.generator.cpuCores > 0 && s.timeouts === 0 && s.achievedRps >= minAchievedRatio * s.offeredRps && s.offeredRps <= cap)
    .map((s) => ({ rps: s.offeredRps, server: s.serverCpuCores as number, generator: s.generator.cpuCores }))
    .sort((a, b) => a.rps - b.rps);
}

/** Linear between the steps around `rps`, which lies within the curve's range (the common range is inside every run's). */
function interpolate(curve: readonly Point[], rps: number, of: 'server' | 'generator'): number {
  const i = curve.findIndex((p) => p.rps >= rps);
  if (i < 0 || rps < curve[0]!.rps) throw new RangeError(`${rps} req/s is outside the steps' range`);
  if (i === 0) return curve[0]![of];
  const a = curve[i - 1]!;
  const b = curve[i]!;
  return a[of] + ((b[of] - a[of]) * (rps - a.rps)) / (b.rps - a.rps);
}
