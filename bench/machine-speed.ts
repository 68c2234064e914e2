/**
 * Whether runs that disagree measured a different server or a machine that ran at another speed.
 * The generator does the same work per request in every run, on the other core, so its CPU is a
 * reference taken during every open-model step: when the server's CPU at the same rates moves
 * between runs and its ratio to the generator's CPU there moves much less, the machine's speed
 * moved, not the server's behaviour (docs/BENCHMARKS.md, set 15). Pure.
 */
import { DEFAULT_GATES } from './assess.js';
import type { BenchResults } from './contract.js';
import { geometricRates } from './summarize.js';

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

/** How many rates the figures are read at, spaced geometrically inside the common range (1/4, 1/2, 3/4 of it on a log scale). */
const READS = 3;
/** The common range must span at least this ratio, so the three reads rest on more than one step. */
const MIN_RANGE_RATIO = 1.5;

/**
 * The check for `runs`, or null when it cannot be made: fewer than two runs, runs whose generator
 * ran in different places (not the same work), a run with fewer than two usable steps, or a common
 * range narrower than {@link MIN_RANGE_RATIO}. Usable: valid, its offered rate achieved with no
 * timeout (past the capacity the generator's work per request changes), the server's CPU known,
 * and at most lambda_cap on the merged percentiles, as the CPU model (under a quota the server's CPU
 * flattens above it; a file without lambda_cap has no usable step). Each figure is interpolated
 * between the steps around a rate and summed over three rates, so one step's reading weighs only a
 * part of it. Over the thirteen sets of set 15's table these reads left the ratio 2-11% apart
 * between runs.
 * A step's generator CPU is its busiest repetition's (the file keeps no other), its server CPU the
 * median repetition's.
 */
export function checkMachineSpeed(runs: readonly BenchResults[], minAchievedRatio = DEFAULT_GATES.minAchievedRatio): MachineSpeedCheck | null {
  if (runs.length < 2 || new Set(runs.map(generatorPlacement)).size > 1) return null;
  const curves = runs.map((r) => usableSteps(r, minAchievedRatio));
  if (curves.some((c) => c.length < 2)) return null;
  const lo = Math.max(...curves.map((c) => c[0]!.rps));
  const hi = Math.min(...curves.map((c) => c[c.length - 1]!.rps));
  if (!(hi >= MIN_RANGE_RATIO * lo)) return null;
  const rates = geometricRates(lo, hi, READS);
  const sums = curves.map((c) => ({
    server: rates.reduce((sum, rps) => sum + interpolate(c, rps, 'server'), 0),
    generator: rates.reduce((sum, rps) => sum + interpolate(c, rps, 'generator'), 0),
  }));
  return { atRps: rates.map((r) => Math.round(r)), serverCpuCores: sums.map((s) => s.server / rates.length), serverToGeneratorCpu: sums.map((s) => s.server / s.generator) };
}

/** Where the run's generator ran: runs that differ in it did not do the same work per request. */
export function generatorPlacement(r: BenchResults): 'main thread' | 'worker thread' {
  return r.environment.generatorNewSpaceMiB === undefined ? 'main thread' : 'worker thread';
}

function usableSteps(r: BenchResults, minAchievedRatio: number): Point[] {
  const { lambdaCapPointRps, lambdaCapRps } = r.recommendation.intermediates;
  const cap = lambdaCapPointRps ?? lambdaCapRps ?? 0;
  return r.measurements.openModel.steps
    .filter((s) => s.valid && s.serverCpuCores !== null && s.generator.cpuCores > 0 && s.timeouts === 0 && s.achievedRps >= minAchievedRatio * s.offeredRps && s.offeredRps <= cap * (1 + 1e-9))
    .map((s) => ({ rps: s.offeredRps, server: s.serverCpuCores as number, generator: s.generator.cpuCores }))
    .sort((a, b) => a.rps - b.rps);
}

/** Linear between the steps around `rps`, which lies strictly inside the curve's range (the common range is inside every run's). */
function interpolate(curve: readonly Point[], rps: number, of: 'server' | 'generator'): number {
  const i = curve.findIndex((p) => p.rps >= rps);
  if (i < 1) throw new RangeError(`${rps} req/s is not inside the steps' range`);
  const a = curve[i - 1]!;
  const b = curve[i]!;
  return a[of] + ((b[of] - a[of]) * (rps - a.rps)) / (b.rps - a.rps);
}
