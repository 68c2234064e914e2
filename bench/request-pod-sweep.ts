/**
 * The recommended pod, measured. The main sweep measures one pod (the server's quota, 250m by
 * default); the CPU request it recommends is often smaller (a quiet service gets small pods), and
 * that pod's SLO capacity was read off the main sweep's CPU line at u_max of the request. That
 * line is fitted to a curved CPU profile, and its slope alone moved the RPS target 51% between
 * three full runs while the machine's speed held (docs/BENCHMARKS.md set 15). So when the request
 * is smaller, a second open sweep runs a fresh hello under a quota equal to it, at rates around
 * the predicted capacity, and recommend takes that pod's capacity from it (recommend/cpu-request.ts).
 *
 * Like the main sweep, it starts with the open-model warm-up at 40% of its scale (open-sweep.ts):
 * without it, in three quick runs whose pod was 150m the first step after the closed-loop warm-up,
 * at the predicted capacity, had a p99 of 43-58 ms with single batches at 190-320 ms, while steps at higher rates
 * after it met the 25 ms SLO (docs/BENCHMARKS.md set 16).
 */
import { assessOpenSweep, describeRunProblem } from './assess.js';
import type { BenchRequestPod } from './contract.js';
import { runOpenSweep, type OpenSweepOptions } from './open-sweep.js';
import type { BenchPlan } from './run.js';
import { startHelloTarget } from './target.js';
import type { Logger } from '../common/index.js';

/**
 * What the request pod's sweep needs: the main sweep's settings, stall monitor and generator
 * thread (its `OpenSweepOptions` but the target and the scale, which it makes), and the pod.
 */
export interface RequestPodSweepOptions extends Omit<OpenSweepOptions, 'target' | 'xMaxRps' | 'phase' | 'freshBeforeLowerRate'> {
  /** The recommended CPU request: the quota the pod runs under. */
  readonly requestMillicores: number;
  /** Its SLO capacity on the main sweep's CPU line: the rates are fractions of it. */
  readonly predictedSloCapacityRps: number;
  /**
   * The most recommend credits the pod with (the measured pod's lambda_cap, or where the CPU line
   * reaches the whole request if lower): the highest rate offered.
   */
  readonly ceilingRps: number;
  /** CPU list the server is pinned to, or null. */
  readonly serverCpus: string | null;
  readonly quotaPeriodMs: number;
  readonly logger: Logger;
}

/** The recommended pod's measurements (null: it could not be measured), and its sweep's run checks as `validity.problems` lines. */
export interface RequestPodSweep {
  readonly requestPod: BenchRequestPod | null;
  readonly problems: readonly string[];
}

/** How the sweep's run checks are named among the run's. */
const PREFIX = "the recommended pod's sweep: ";

/**
 * Starts a hello under a quota equal to the request (pinned like the main one), warms it up and
 * runs the open sweep at the plan's request-pod fractions of the predicted capacity; closes it.
 * When the quota cannot be applied nothing is measured, and a run problem says why. The main
 * sweep's server stays, idle, on its core meanwhile (it is closed with the run).
 */
export async function runRequestPodSweep(o: RequestPodSweepOptions): Promise<RequestPodSweep> {
  const target = await startHelloTarget({ cpus: o.serverCpus, quotaMillicores: o.requestMillicores, quotaPeriodUs: 1000 * o.quotaPeriodMs, logger: o.logger });
  try {
    if (target.quota === null) return { requestPod: null, problems: target.notes.map((note) => `${PREFIX}not measured: ${note}`) };
    const predicted = Math.round(o.predictedSloCapacityRps);
    o.progress({ phase: 'request-pod', step: 0, steps: 0, message: `the recommended ${o.requestMillicores}m pod: a hello under a ${o.requestMillicores}m quota, at rates around the ${predicted} req/s its CPU line predicts; warming it up` });
    const warmup = await target.warmUp(o.signal);
    const plan: BenchPlan = { ...o.plan, rateFractions: requestPodFractions(o), repetitions: o.plan.requestPodRepetitions };
    const sweep = await runOpenSweep({ ...o, target, plan, xMaxRps: o.predictedSloCapacityRps, phase: 'request-pod', freshBeforeLowerRate: false });
    const requestPod: BenchRequestPod = {
      cpuQuotaMillicores: o.requestMillicores,
      predictedSloCapacityRps: o.predictedSloCapacityRps,
      steps: sweep.steps,
      remeasured: sweep.remeasured,
      stillSpoiled: sweep.stillSpoiled,
      freshServers: sweep.freshServers,
      unsettledWarmups: sweep.unsettledWarmups + (warmup?.settled === false ? 1 : 0),
    };
    const evidence = { records: [...sweep.records.values()].flat(), steps: sweep.steps, openSeconds: plan.openSeconds, stillSpoiled: requestPod.stillSpoiled, unsettledWarmups: requestPod.unsettledWarmups, slo: o.slo };
    // Its checks join the run's: a noisy sweep of the deployed pod makes the run as untrustworthy as a noisy main sweep.
    const problems = [...target.notes.map((detail) => ({ code: 'setup', detail }) as const), ...assessOpenSweep(evidence, o.gates)];
    return { requestPod, problems: problems.map((p) => PREFIX + describeRunProblem(p)) };
  } finally {
    await target.close();
  }
}

/**
 * The plan's fractions of the predicted capacity up to the ceiling (the most recommend credits a
 * smaller pod with, so a rate above it could only show what is capped anyway), and the ceiling
 * itself on top: the line's prediction can fall short by more than the fractions reach (a noisy
 * quick run's 200m pod met the SLO at 1.6 times it). The prediction is at most the ceiling, so the
 * fractions up to 1 always stay.
 */
export function requestPodFractions(o: Pick<RequestPodSweepOptions, 'plan' | 'predictedSloCapacityRps' | 'ceilingRps'>): number[] {
  const ceiling = o.ceilingRps / o.predictedSloCapacityRps;
  const below = o.plan.requestPodRateFractions.filter((f) => f <= ceiling);
  // Within 5% of the highest fraction kept, the ceiling adds nothing.
  return below.length > 0 && ceiling <= 1.05 * below.at(-1)! ? below : [...below, ceiling];
}
