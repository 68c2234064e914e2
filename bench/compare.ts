/**
 * Comparing the recommendations of several runs (e.g. three full runs on one machine): for each
 * key value, the values, their spread relative to the median, and whether they agree within a
 * tolerance. Pure.
 */
import { describeRemeasured } from './assess.js';
import { relativeRange, spreadOf } from './recommend/spread.js';
import type { BenchInterval, BenchResults } from './contract.js';
import { checkMachineSpeed, generatorPlacement, type MachineSpeedCheck } from './machine-speed.js';

/** One compared value. */
export interface ComparedValue {
  readonly name: string;
  readonly values: readonly number[];
  readonly median: number;
  /** (max - min) / median, as a fraction; 0 when the median is 0 and all values are equal. */
  readonly spread: number;
  readonly withinTolerance: boolean;
  /**
   * Whether the runs' intervals for this value (recommendation.intervals) have a point in common:
   * when they do, the runs differ by no more than each says it is unsure. null when a run has none.
   */
  readonly intervalsOverlap: boolean | null;
}

/** What {@link compareBenchResults} found. */
export interface BenchComparison {
  readonly tolerance: number;
  readonly values: readonly ComparedValue[];
  /** True when every value is within the tolerance. */
  readonly agree: boolean;
  /** Run checks that failed in any run (noise, generator limits...): the usual reasons they disagree. */
  readonly runProblems: readonly string[];
  /**
   * The server's CPU cost per request at X_max in each run (us; null when unknown): with the same
   * code and settings it should not move, so when it does, the machine's speed moved.
   */
  readonly cpuUsPerRequest: ComparedValue;
  /**
   * Per run, the share of each open-model step's window the host stole from the server's core:
   * the median and the worst step, and the share during the saturation run that set X_max (null:
   * not recorded, files from before it was). A busy host also runs the VM slower, so this is
   * where a moved X_max or CPU per request may come from.
   */
  readonly hostSteal: readonly ({ readonly median: number; readonly max: number; readonly atXMax: number | null } | null)[];
  /**
   * The server's CPU at rates every run measured, and its ratio to the generator's CPU there, each
   * with how far apart it is across the runs ((max - min) / median). The ratio leaves the machine's
   * speed out. null when the check cannot be made (machine-speed.ts says when).
   */
  readonly machineSpeed: (MachineSpeedCheck & { readonly serverSpread: number; readonly ratioSpread: number }) | null;
  /** Why the runs may disagree, beyond the run checks: machine speed, different settings, re-measured noise. */
  readonly noise: readonly string[];
}

/** Compares the recommendations of `runs`; `tolerance` is relative to the median (default 0.1). */
export function compareBenchResults(runs: readonly BenchResults[], tolerance = 0.1): BenchComparison {
  // Each compared value, with the name of its interval in recommendation.intervals.
  const pick: [string, (r: BenchResults) => number | null | undefined, string?][] = [
    ['cpuRequestMillicores', (r) => r.recommendation.resources.cpuRequestMillicores, 'cpuRequestMillicores'],
    ['memoryRequestMiB', (r) => r.recommendation.resources.memoryRequestMiB, 'memoryRequestMiB'],
    ['targetCPUUtilizationPercentage', (r) => r.recommendation.hpa.targetCPUUtilizationPercentage, 'targetCPUUtilizationPercentage'],
    ['minReplicas', (r) => r.recommendation.hpa.minReplicas, 'minReplicas'],
    ['maxReplicas', (r) => r.recommendation.hpa.maxReplicas, 'maxReplicas'],
    ['rps.targetPerPod', (r) => r.recommendation.rps.targetPerPod, 'rpsTargetPerPod'],
    ['rps.sloCapacityPerPod', (r) => r.recommendation.rps.sloCapacityPerPod, 'sloCapacityPerPod'],
    ['xMaxRps', (r) => r.measurements.saturation.maxRps],
  ];
  const compared = (name: string, get: (r: BenchResults) => number | null | undefined, interval?: string): ComparedValue => {
    const list = runs.map(get).filter((v): v is number => typeof v === 'number');
    const intervalsOverlap = overlap(runs.map((r) => (interval === undefined ? undefined : r.recommendation.intervals?.[interval])));
    if (list.length === 0) return { name, values: list, median: 0, spread: 0, withinTolerance: true, intervalsOverlap };
    const { min, median, max } = spreadOf(list);
    const spread = median === 0 ? (max === min ? 0 : Infinity) : (max - min) / median;
    return { name, values: list, median, spread, withinTolerance: spread <= tolerance + 1e-12, intervalsOverlap };
  };
  const values = pick.map(([name, get, interval]) => compared(name, get, interval));
  const runProblems = runs.flatMap((r, i) => r.validity.problems.map((p) => `run ${i + 1} (${r.createdAt}): ${p}`));
  const cpuUsPerRequest = compared('server CPU us/request at X_max', (r) => r.measurements.saturation.cpuUsPerRequest);
  const noise: string[] = [];
  const machineSpeed = machineSpeedOf(runs);
  if (machineSpeed !== null && machineSpeed.serverSpread > tolerance) noise.push(describeMachineSpeed(machineSpeed));
  // The closed loop's figure also moves with how its connections batch requests at saturation:
  // the verdict is only its when the open-model steps cannot give one.
  if (machineSpeed === null && !cpuUsPerRequest.withinTolerance) {
    const [lo, hi] = [Math.min(...cpuUsPerRequest.values), Math.max(...cpuUsPerRequest.values)];
    noise.push(
      `Noise detected: the server needed ${lo.toFixed(1)}-${hi.toFixed(1)} us of CPU per request at X_max (${(cpuUsPerRequest.spread * 100).toFixed(0)}% apart) with the same code: the machine ran at different speeds, and the rates and capacities moved with it.`,
    );
  }
  const settings = (r: BenchResults): string =>
    JSON.stringify([r.mode, r.environment.serverCpuQuotaMillicores, r.environment.serverCpuQuotaPeriodMs ?? 100, r.environment.serverCpus, r.inputs, r.target.startedByBench, r.target.nodeFlags ?? 'not recorded', generatorPlacement(r)]);
  const oldVersion = runs.flatMap((r, i) => (r.schemaVersion === 1 ? [i + 1] : []));
  if (oldVersion.length > 0) {
    noise.push(`run(s) ${oldVersion.join(', ')}: schemaVersion 1, whose rps.targetPerPod is C_t, not C_slo x u_t/u_max; \`hello-cli bench --from FILE --json\` recommends again with this version's rules.`);
  }
  if (new Set(runs.map(settings)).size > 1) noise.push('The runs differ in mode, quota, pinning, the server\'s node flags, where the generator ran or inputs: they do not measure the same thing.');
  runs.forEach((r, i) => {
    const { remeasured, stillSpoiled } = r.measurements.openModel;
    if (remeasured && remeasured.length > 0) noise.push(`run ${i + 1}: ${describeRemeasured(remeasured, stillSpoiled ?? 0)}`);
    const cap = r.recommendation.spread.lambdaCapRps;
    if (cap && cap.samples >= 2 && relativeRange(cap) > tolerance) {
      noise.push(
        `run ${i + 1}: Noise detected: analysed alone, its ${cap.samples} repetitions put the SLO capacity at ${Math.round(cap.min)}-${Math.round(cap.max)} req/s (${Math.round(100 * relativeRange(cap))}% apart), more than the ${tolerance * 100}% the runs are compared at.`,
      );
    }
  });
  const hostSteal = runs.map((r) => {
    const shares = r.measurements.openModel.steps.map((st) => st.stealShare).filter((x): x is number => typeof x === 'number');
    if (shares.length === 0) return null;
    const { median, max } = spreadOf(shares);
    const { steps, maxRps } = r.measurements.saturation;
    const atXMax = steps.find((st) => st.rps === maxRps)?.stealShare;
    return { median, max, atXMax: typeof atXMax === 'number' ? atXMax : null };
  });
  return { tolerance, values, agree: values.every((v) => v.withinTolerance), runProblems, cpuUsPerRequest, hostSteal, machineSpeed, noise };
}

function machineSpeedOf(runs: readonly BenchResults[]): BenchComparison['machineSpeed'] {
  const check = checkMachineSpeed(runs);
  if (check === null) return null;
  return { ...check, serverSpread: relativeRange(spreadOf(check.serverCpuCores)), ratioSpread: relativeRange(spreadOf(check.serverToGeneratorCpu)) };
}

/**
 * Whether the server's CPU moved with the machine's speed: its ratio to the generator's CPU moved
 * at most half as much as it did. Relative, not an absolute bound: on this repo's VM the ratio
 * itself moved up to 11% between runs (docs/BENCHMARKS.md, set 15), so where the server's CPU is
 * less than about 20% apart the second verdict may be the ratio's own noise.
 */
function describeMachineSpeed(m: NonNullable<BenchComparison['machineSpeed']>): string {
  const pct = (x: number): string => `${Math.round(100 * x)}%`;
  const seen = `at ${m.atRps.join(', ')} req/s the server's CPU was ${pct(m.serverSpread)} apart between the runs, its ratio to the generator's CPU ${pct(m.ratioSpread)}`;
  return m.ratioSpread <= m.serverSpread / 2
    ? `Noise detected: ${seen}: the generator, doing the same work per request on the other core, slowed and sped up with the server, so mostly the machine's speed moved, not the server's behaviour; the rates (X_max, the SLO capacity, the RPS target) and the CPU request move with it.`
    : `Noise detected: ${seen}: more than the machine's speed moved between the runs (the server's state, or noise on one core only).`;
}

/** Whether every interval shares a point with every other (null when one is missing). */
function overlap(intervals: readonly (BenchInterval | undefined)[]): boolean | null {
  if (intervals.length === 0 || intervals.some((i) => i === undefined)) return null;
  const list = intervals as readonly BenchInterval[];
  return Math.max(...list.map((i) => i.low)) <= Math.min(...list.map((i) => i.high));
}
