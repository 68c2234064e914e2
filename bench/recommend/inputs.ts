/**
 * What `recommend` works from besides the measurements: the SLO, the expected traffic and the
 * cluster's facts, each with a documented default (bench-method.md section 6), checked once.
 */
import { InvalidArgumentError } from '../../common/index.js';
import type { BenchOpenStep, BenchSaturation, BenchSlo } from '../contract.js';

/** What the team expects of traffic and of the cluster. Every field has a documented default. */
export interface RecommendInputs {
  readonly slo: BenchSlo;
  /** Expected peak rate for the whole service, req/s. Required. */
  readonly peakRps: number;
  /** Expected trough rate, req/s. Default peakRps / 10. */
  readonly minRps?: number;
  /** A burst (req/s) that can arrive on top of the trough faster than the scale-up lag. Default 0. */
  readonly burstRps?: number;
  /** Traffic growth per minute as a fraction (0.3 = +30%/min). Default 0.3. */
  readonly growthPerMinute?: number;
  /** metrics-server resolution, seconds. Default 15 (the official manifests; the binary default is 60). */
  readonly metricsResolutionSeconds?: number;
  /** HPA sync period, seconds. Default 15. */
  readonly syncPeriodSeconds?: number;
  /** HPA tolerance. Default 0.1. */
  readonly tolerance?: number;
  /** Pod start to Ready, seconds. Default 15. */
  readonly podReadySeconds?: number;
  /** Time to get a new node when none is spare, seconds; 0 when spare capacity exists. Default 0. */
  readonly nodeProvisionSeconds?: number;
  /** Availability floor for minReplicas. Default 2. */
  readonly minReplicasFloor?: number;
  /** Forecast margin on the peak, as a fraction. Default 0.2. */
  readonly forecastMargin?: number;
  /** Spare pods: the least room maxReplicas leaves above the pods the forecast peak needs. Default 1. */
  readonly sparePods?: number;
  /**
   * Room maxReplicas leaves above the pods the forecast peak needs, as a fraction of them (0.5:
   * traffic 50% above the forecast, a surprise, or one of three zones lost and its traffic on the
   * other two). Default 0.5.
   */
  readonly surgeHeadroom?: number;
  /** CPU limit policy: `none` (default), `double` (2x request), `equal` (limit = request). */
  readonly cpuLimit?: 'none' | 'double' | 'equal';
  /** Memory margin over the peak RSS, as a fraction. Default 0.25. */
  readonly memoryMargin?: number;
  /** A step passes only if achieved >= this share of offered. Default {@link ACHIEVED_RATE_FLOOR} (0.99). */
  readonly minAchievedRatio?: number;
}

/** The measurements `recommend` works from (a subset of the results file). */
export interface RecommendMeasurements {
  readonly saturation: BenchSaturation;
  readonly openSteps: readonly BenchOpenStep[];
  readonly serverPeakRssMiB: number | null;
  /** The CPU quota the server ran under, millicores (the measured pod's size); null or absent: none. */
  readonly serverCpuQuotaMillicores?: number | null;
  /** The recommended pod's own sweep under a quota equal to its request (`measurements.requestPod`); absent: none. */
  readonly requestPod?: { readonly cpuQuotaMillicores: number; readonly steps: readonly BenchOpenStep[] } | null;
}

/** The inputs with every default applied. */
export type Resolved = Required<RecommendInputs>;

const DEFAULTS = {
  growthPerMinute: 0.3,
  burstRps: 0,
  metricsResolutionSeconds: 15,
  syncPeriodSeconds: 15,
  tolerance: 0.1,
  podReadySeconds: 15,
  nodeProvisionSeconds: 0,
  minReplicasFloor: 2,
  forecastMargin: 0.2,
  sparePods: 1,
  surgeHeadroom: 0.5,
  cpuLimit: 'none',
  memoryMargin: 0.25,
  minAchievedRatio: 0.99,
} as const;

/** A step whose achieved rate is below this share of the offered rate does not pass. */
export const ACHIEVED_RATE_FLOOR = DEFAULTS.minAchievedRatio;

/** Applies the defaults and checks every input. @throws InvalidArgumentError naming the input. */
export function resolveInputs(inputs: RecommendInputs): Resolved {
  const o: Resolved = {
    ...DEFAULTS,
    minRps: inputs.peakRps / 10,
    ...Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined)),
  } as Resolved;
  const check = (name: string, value: number, ok: boolean, allowed: string): void => {
    if (!Number.isFinite(value) || !ok) throw new InvalidArgumentError(`${name} ${JSON.stringify(value)} is not allowed; use ${allowed}`);
  };
  check('slo.percentile', o.slo.percentile, o.slo.percentile > 0 && o.slo.percentile < 100, 'a percentile in (0, 100), e.g. 99');
  check('slo.latencyMs', o.slo.latencyMs, o.slo.latencyMs > 0, 'a positive number of milliseconds');
  check('slo.errorBudgetFraction', o.slo.errorBudgetFraction, o.slo.errorBudgetFraction >= 0 && o.slo.errorBudgetFraction <= 1, 'a fraction in [0, 1]');
  check('peakRps', o.peakRps, o.peakRps > 0, 'a positive rate');
  check('minRps', o.minRps, o.minRps >= 0 && o.minRps <= o.peakRps, 'a rate from 0 to peakRps');
  check('burstRps', o.burstRps, o.burstRps >= 0, 'a rate >= 0');
  check('growthPerMinute', o.growthPerMinute, o.growthPerMinute >= 0 && o.growthPerMinute <= 10, 'a fraction from 0 to 10');
  check('tolerance', o.tolerance, o.tolerance >= 0 && o.tolerance < 1, 'a fraction in [0, 1)');
  check('forecastMargin', o.forecastMargin, o.forecastMargin >= 0, 'a fraction >= 0');
  check('surgeHeadroom', o.surgeHeadroom, o.surgeHeadroom >= 0 && o.surgeHeadroom <= 10, 'a fraction from 0 to 10');
  check('memoryMargin', o.memoryMargin, o.memoryMargin >= 0, 'a fraction >= 0');
  check('minAchievedRatio', o.minAchievedRatio, o.minAchievedRatio >= 0 && o.minAchievedRatio <= 1, 'a fraction in [0, 1]');
  for (const name of ['metricsResolutionSeconds', 'syncPeriodSeconds', 'podReadySeconds', 'nodeProvisionSeconds'] as const) {
    check(name, o[name], o[name] >= 0, 'seconds >= 0');
  }
  for (const name of ['minReplicasFloor', 'sparePods'] as const) {
    check(name, o[name], Number.isInteger(o[name]) && o[name] >= (name === 'sparePods' ? 0 : 1), 'a whole number');
  }
  if (!['none', 'double', 'equal'].includes(o.cpuLimit)) throw new InvalidArgumentError(`cpuLimit ${JSON.stringify(o.cpuLimit)} is not allowed; use none, double or equal`);
  return o;
}
