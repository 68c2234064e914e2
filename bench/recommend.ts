/**
 * From measurements to resources and HPA settings: a pure function, so it is tested on fixture
 * measurements with hand-checked outputs. The method is reference/bench-method.md section 6,
 * step by step; every intermediate value lands in `intermediates` and every decision in
 * `reasoning`.
 */
import { InvalidArgumentError } from '../common/index.js';
import { onlyServerFellShort } from './assess.js';
import { growthTraffic, simulateHpa } from './simulate.js';
import type { BenchHpaScalingRules, BenchOpenStep, BenchRecommendation, BenchSaturation, BenchSlo, BenchSpread } from './contract.js';

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
  /** Spare pods on top of maxReplicas. Default 1. */
  readonly sparePods?: number;
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
}

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
  cpuLimit: 'none',
  memoryMargin: 0.25,
  minAchievedRatio: 0.99,
} as const;

/** Target utilization is clamped to this band (bench-method.md step 8). */
export const UTILIZATION_TARGET_BOUNDS = { min: 0.3, max: 0.85 } as const;
/** A step whose achieved rate is below this share of the offered rate does not pass. */
export const ACHIEVED_RATE_FLOOR = DEFAULTS.minAchievedRatio;
const MEMORY_FLOOR_MIB = 64;
const MEMORY_DEFAULT_MIB = 128;

/** A point of the measured curves that recommend works on. */
interface CurvePoint {
  readonly rps: number;
  /** SLO-percentile latency, microseconds. */
  readonly latencyUs: number;
  readonly cpuCores: number;
  readonly errorRate: number;
  readonly achievedRatio: number;
}

/** Capacity figures from one curve (the merged sweep, or one repetition). */
interface Capacity {
  readonly lambdaSlo: number;
  /** True when no valid step broke the SLO, so lambdaSlo is a lower bound. */
  readonly sloNotReached: boolean;
  readonly lambdaKnee: number | null;
  readonly lambdaCap: number;
  readonly reason: string;
}

/**
 * Server CPU as a function of the offered rate. A least-squares line over every repetition's CPU
 * sample of the valid steps up to lambda_cap (`fit`), because a single step's CPU reading is noisy
 * (a few percent of a core from GC and timers) and interpolating between single steps carried that
 * noise straight into C_t; with fewer than two rates, or a fit that is not increasing, it falls
 * back to linear interpolation between the steps (`interpolated`).
 */
interface CpuModel {
  readonly kind: 'fit' | 'interpolated';
  /** Fitted CPU at zero rate (cores) and per request (us); null when interpolated. */
  readonly idleCores: number | null;
  readonly usPerRequest: number | null;
  /** Coefficient of determination of the fit; null when interpolated. */
  readonly r2: number | null;
  /** CPU samples the fit used. */
  readonly samples: number;
  at(rps: number): number;
  /** The rate at which the server uses `cores`. */
  rateAt(cores: number, warnings?: string[]): number;
}

/**
 * Turns measurements, an SLO, the expected traffic and the cluster's facts into resources, HPA
 * settings and an RPS target, with every intermediate value, its spread over repetitions and the
 * reasoning. Pure: same input, same output.
 * @throws InvalidArgumentError when inputs are out of range, or when no valid measured step
 *   meets the SLO (nothing to recommend from).
 */
export function recommend(measurements: RecommendMeasurements, inputs: RecommendInputs): BenchRecommendation {
  const o = resolveInputs(inputs);
  const reasoning: string[] = [];
  const warnings: string[] = [];
  const r = (x: number, digits = 3): number => Number(x.toPrecision(digits));

  // Step 3: the curves, from valid steps only.
  const valid = measurements.openSteps.filter((s) => s.valid && s.serverCpuCores !== null).sort((a, b) => a.offeredRps - b.offeredRps);
  const dropped = measurements.openSteps.length - valid.length;
  if (valid.length === 0) {
    throw new InvalidArgumentError(
      `no valid open-model step with server CPU to recommend from (${measurements.openSteps.length} step(s), all invalid or without server CPU); see the run checks`,
    );
  }
  if (dropped > 0) warnings.push(`${dropped} of ${measurements.openSteps.length} open-model step(s) failed the run checks and were left out.`);
  const merged: CurvePoint[] = valid.map((s) => ({
    rps: s.offeredRps,
    latencyUs: s.sloLatencyUsPerRepetition.length > 0 ? Math.max(...s.sloLatencyUsPerRepetition) : s.latencyUs.max,
    cpuCores: s.serverCpuCores as number,
    errorRate: s.requests === 0 ? 0 : s.errors / s.requests,
    achievedRatio: s.achievedRps / s.offeredRps,
  }));

  // Step 4: capacity point, then the CPU model over the range the pod will run in.
  const cap = capacityOf(merged, o.slo, o.minAchievedRatio);
  const cpuSamples = valid.flatMap((s) =>
    (s.serverCpuCoresPerRepetition.length > 0 ? s.serverCpuCoresPerRepetition : [s.serverCpuCores as number]).map((cores) => ({ rps: s.offeredRps, cores })),
  );
  const cpu = cpuModelOf(merged, cpuSamples, cap.lambdaCap);
  const cpuCap = cpu.at(cap.lambdaCap);
  reasoning.push(
    `Saturation (closed loop): X_max = ${r(measurements.saturation.maxRps)} req/s, limited by ${measurements.saturation.limitedBy}.`,
    `SLO p${o.slo.percentile} <= ${o.slo.latencyMs} ms holds up to lambda_slo = ${r(cap.lambdaSlo)} req/s (${cap.reason}).`,
    cap.lambdaKnee === null
      ? 'Too few valid steps for a knee (need 3); lambda_cap = lambda_slo.'
      : `Knee of p${o.slo.percentile}(lambda) (Kneedle, latency normalised to the SLO) at lambda_knee = ${r(cap.lambdaKnee)} req/s.`,
    cpu.kind === 'fit'
      ? `Server CPU(lambda) = ${r(cpu.idleCores!)} cores + ${r(cpu.usPerRequest!)} us x lambda (least squares over ${cpu.samples} CPU samples of the valid steps up to lambda_cap, R^2 = ${r(cpu.r2!)}).`
      : 'Server CPU(lambda) interpolated linearly between the measured steps (too few steps up to lambda_cap for a fit, or the fit was not increasing).',
    `lambda_cap = min(lambda_slo, lambda_knee) = ${r(cap.lambdaCap)} req/s per pod, using ${r(cpuCap)} cores of CPU there.`,
  );
  if (cap.sloNotReached) {
    // An invalid step above it that the server did not keep up with (achieved short of offered,
    // while the generator itself was healthy) brackets the capacity from above.
    const unserved = measurements.openSteps
      .filter((s) => !s.valid && s.offeredRps > cap.lambdaSlo && s.achievedRps < o.minAchievedRatio * s.offeredRps)
      .filter((s) => onlyServerFellShort(s.failedChecks ?? []))
      .sort((a, b) => a.offeredRps - b.offeredRps)[0];
    warnings.push(
      `No valid step broke the SLO: lambda_slo = ${r(cap.lambdaSlo)} req/s is a lower bound of the per-pod capacity` +
        (unserved ? ` (the invalid step at ${unserved.offeredRps} req/s achieved only ${Math.round(unserved.achievedRps)} req/s with a healthy generator, so the capacity is below that).` : '.'),
    );
  }
  if (measurements.saturation.limitedBy === 'generator') {
    warnings.push('The saturation sweep was limited by the load generator, not the server: X_max and the sweep range are lower bounds.');
  }

  // Step 5: CPU request and limit.
  const cpuCapMilli = cpuCap * 1000;
  // The epsilon keeps a fitted 200.0000001m at 200m rather than 250m.
  const requestMilli = Math.min(1000, Math.max(100, Math.ceil(cpuCapMilli / 50 - 1e-9) * 50));
  if (cpuCapMilli > 1000) warnings.push(`The server used ${r(cpuCap)} cores at lambda_cap; the request is capped at 1000m (one Node process runs JS on one thread).`);
  const uMax = Math.min(1, cpuCapMilli / requestMilli);
  const limitMilli = o.cpuLimit === 'none' ? null : o.cpuLimit === 'double' ? 2 * requestMilli : requestMilli;
  reasoning.push(
    `CPU request R = min(1000m, max(100m, ceil50(${r(cpuCapMilli)}m))) = ${requestMilli}m; u_max = min(1, CPU_cap/R) = ${r(uMax)}.`,
    limitMilli === null ? 'No CPU limit (CFS quota throttles tails; bench-method.md section 4).' : `CPU limit ${limitMilli}m (policy "${o.cpuLimit}").`,
  );
  if (o.cpuLimit === 'equal') warnings.push('limit = request: these numbers hold only if the bench ran under that quota (--cpu-quota); the target is kept below 1/(1+tolerance) - 0.05 to avoid the HPA dead zone.');

  // Steps 6-8: lag, growth, target utilization.
  const tLag = 2 * o.metricsResolutionSeconds + o.syncPeriodSeconds + o.podReadySeconds + o.nodeProvisionSeconds;
  const g = (1 + o.growthPerMinute) ** (tLag / 60);
  const uRaw = uMax / ((1 + o.tolerance) * g);
  let uTarget = floorTo(uRaw, 0.05);
  if (o.cpuLimit === 'equal') uTarget = Math.min(uTarget, floorTo(1 / (1 + o.tolerance) - 0.05, 0.05));
  if (uTarget < UTILIZATION_TARGET_BOUNDS.min) {
    warnings.push(`The target ${r(uRaw)} is below ${UTILIZATION_TARGET_BOUNDS.min} and was raised to it: shorten the scale-up lag, scale on a schedule, or use an RPS autoscaler (rps.targetPerPod).`);
    uTarget = UTILIZATION_TARGET_BOUNDS.min;
  }
  if (uTarget > UTILIZATION_TARGET_BOUNDS.max) uTarget = UTILIZATION_TARGET_BOUNDS.max;
  reasoning.push(
    `Scale-up lag T_lag = 2*${o.metricsResolutionSeconds} + ${o.syncPeriodSeconds} + ${o.podReadySeconds}${o.nodeProvisionSeconds ? ` + ${o.nodeProvisionSeconds}` : ''} = ${tLag} s; growth over it g = (1+${o.growthPerMinute})^(${tLag}/60) = ${r(g, 4)}.`,
    `Target utilization u_t = floor5%(u_max / ((1+${o.tolerance})*g)) = floor5%(${r(uRaw)}) -> ${Math.round(uTarget * 100)}% (clamped to [${UTILIZATION_TARGET_BOUNDS.min * 100}, ${UTILIZATION_TARGET_BOUNDS.max * 100}]%).`,
  );

  // Steps 9-11 depend on u_t; the HPA simulation (step 12) may lower it, so they are a function.
  const sizeFor = (u: number, notes?: string[]) => {
    // Step 9: per-pod target throughput.
    const targetCores = (u * requestMilli) / 1000;
    const ct = Math.min(cpu.rateAt(targetCores, notes), cap.lambdaCap);
    // Step 10: replica bounds.
    const maxFromPeak = Math.ceil((o.peakRps * (1 + o.forecastMargin)) / (ct * (1 - o.tolerance)));
    const minReplicas = Math.max(o.minReplicasFloor, Math.ceil(o.minRps / ct), Math.ceil((o.minRps + o.burstRps) / cap.lambdaCap));
    const maxReplicas = Math.max(minReplicas, maxFromPeak + o.sparePods);
    // Step 11: behaviour.
    const scaleUp: BenchHpaScalingRules = {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Percent', value: Math.max(100, Math.ceil(100 * (g15 - 1) - 1e-9)), periodSeconds: 15 },
        { type: 'Pods', value: Math.max(4, Math.ceil(minReplicas * (g - 1) - 1e-9)), periodSeconds: 15 },
      ],
    };
    const scaleDown: BenchHpaScalingRules = {
      stabilizationWindowSeconds: Math.max(300, 2 * tLag),
      selectPolicy: 'Min',
      policies: [
        { type: 'Percent', value: 50, periodSeconds: 60 },
        { type: 'Pods', value: Math.max(2, Math.ceil(0.1 * maxReplicas)), periodSeconds: 60 },
      ],
    };
    // Step 12: the HPA simulated against the growth scenario (and the burst, if one is given).
    const sim = (traffic: (t: number) => number, durationSeconds: number) =>
      simulateHpa({
        requestCores: requestMilli / 1000,
        targetUtilization: u,
        minReplicas,
        maxReplicas,
        scaleUp,
        scaleDown,
        tolerance: o.tolerance,
        syncPeriodSeconds: o.syncPeriodSeconds,
        metricsResolutionSeconds: o.metricsResolutionSeconds,
        podReadySeconds: o.podReadySeconds + o.nodeProvisionSeconds,
        cpuAtRate: (rps) => cpu.at(rps),
        sloCapacityRps: cap.lambdaCap,
        traffic,
        durationSeconds,
      });
    const growth = growthTraffic(o.minRps, o.peakRps, o.growthPerMinute);
    const growthSim = sim(growth.traffic, growth.durationSeconds);
    const burstSim = o.burstRps > 0 ? sim((t) => (t < 600 ? o.minRps : o.minRps + o.burstRps), 1200) : null;
    return { targetCores, ct, maxFromPeak, minReplicas, maxReplicas, scaleUp, scaleDown, growthSim, burstSim };
  };
  const g15 = (1 + o.growthPerMinute) ** (15 / 60);
  const violating = (x: ReturnType<typeof sizeFor>): number => x.growthSim.violationSeconds + (x.burstSim?.violationSeconds ?? 0);
  const formulaTarget = uTarget;
  let sized = sizeFor(uTarget);
  const formulaViolation = violating(sized);
  while (violating(sized) > 0 && uTarget - 0.05 >= UTILIZATION_TARGET_BOUNDS.min - 1e-9) {
    uTarget = Math.round((uTarget - 0.05) * 100) / 100;
    sized = sizeFor(uTarget);
  }
  sized = sizeFor(uTarget, warnings);
  const targetPercent = Math.round(uTarget * 100);
  if (uTarget < formulaTarget) {
    reasoning.push(`HPA simulation: at ${Math.round(formulaTarget * 100)}% the SLO broke for ${formulaViolation} s of the growth${o.burstRps > 0 ? '/burst' : ''} scenario; lowered the target to ${targetPercent}%.`);
  }
  const { targetCores, ct, maxFromPeak, minReplicas, maxReplicas, scaleUp, scaleDown, growthSim, burstSim } = sized;
  reasoning.push(
    `C_t = lambda where server CPU = u_t*R = ${r(targetCores)} cores: ${r(ct)} req/s per pod (on the CPU(lambda) model); C_slo = lambda_cap = ${r(cap.lambdaCap)} req/s.`,
    `maxReplicas = max(minReplicas, ceil(${o.peakRps}*(1+${o.forecastMargin}) / (C_t*(1-${o.tolerance}))) + ${o.sparePods}) = ${maxReplicas}.`,
    `minReplicas = max(${o.minReplicasFloor}, ceil(${o.minRps}/C_t), ceil((${o.minRps}+${o.burstRps})/C_slo)) = ${minReplicas}.`,
    `Scale up at once (no stabilization) by max(${scaleUp.policies[0]!.value}%, ${scaleUp.policies[1]!.value} pods) per 15 s; scale down after ${scaleDown.stabilizationWindowSeconds} s of stable lower demand, by min(50%, ${scaleDown.policies[1]!.value} pods) per minute.`,
    `HPA simulation (1 s steps; ${o.minRps} -> ${o.peakRps} req/s at +${Math.round(o.growthPerMinute * 100)}%/min): ${growthSim.violationSeconds} s above the per-pod SLO capacity, peak ${growthSim.peakReplicas} replicas${burstSim ? `; burst +${o.burstRps} req/s: ${burstSim.violationSeconds} s` : ''}.`,
  );
  const violation = violating(sized);
  if (violation > 0) {
    warnings.push(
      `Even at ${targetPercent}% the simulated HPA leaves the SLO broken for ${violation} s (first at t=${growthSim.firstViolationAt ?? burstSim?.firstViolationAt}s): the growth outruns the scale-up lag; raise minReplicas, shorten the lag (faster metrics, readiness, spare nodes) or scale on a schedule.`,
    );
  }
  if (growthSim.hitMaxReplicas) warnings.push('In the simulation the HPA wanted more than maxReplicas.');

  // Memory. With per-step peaks, the request covers the operating range (the valid steps up to
  // lambda_cap) and the limit also covers the run's overload steps, whose backlog makes the peak
  // depend on how hard and how long they hit: an overloaded pod should slow down, not be
  // OOM-killed. Without them, request = limit from the run's peak.
  const ceil16 = (mib: number): number => Math.max(MEMORY_FLOOR_MIB, Math.ceil(mib / 16) * 16);
  let memoryMiB: number;
  let memoryLimitMiB: number;
  const operatingPeaks = valid.filter((s) => s.offeredRps <= cap.lambdaCap * (1 + 1e-9)).map((s) => s.serverPeakRssMiB);
  const operatingPeak = operatingPeaks.length > 0 && operatingPeaks.every((x) => typeof x === 'number') ? Math.max(...(operatingPeaks as number[])) : null;
  if (measurements.serverPeakRssMiB === null) {
    memoryMiB = memoryLimitMiB = MEMORY_DEFAULT_MIB;
    warnings.push(`The server's memory was not measured; memory set to the default ${MEMORY_DEFAULT_MIB} MiB.`);
    reasoning.push(`Memory request = limit = ${memoryMiB} MiB (default; not measured).`);
  } else if (operatingPeak === null) {
    memoryMiB = memoryLimitMiB = ceil16(measurements.serverPeakRssMiB * (1 + o.memoryMargin));
    reasoning.push(`Memory request = limit = ceil16(peak RSS ${r(measurements.serverPeakRssMiB)} MiB * (1+${o.memoryMargin})) = ${memoryMiB} MiB (memory is not compressible: request = limit).`);
  } else {
    memoryMiB = ceil16(operatingPeak * (1 + o.memoryMargin));
    memoryLimitMiB = Math.max(memoryMiB, ceil16(measurements.serverPeakRssMiB * 1.1));
    reasoning.push(
      `Memory request = ceil16(peak RSS up to lambda_cap ${r(operatingPeak)} MiB * (1+${o.memoryMargin})) = ${memoryMiB} MiB; limit = max(request, ceil16(the run's peak ${r(measurements.serverPeakRssMiB)} MiB * 1.1)) = ${memoryLimitMiB} MiB, so the overload steps' backlog does not get the pod OOM-killed.`,
    );
  }

  // RPS target for RPS/concurrency autoscalers.
  const rpsTarget = {
    targetPerPod: Math.max(1, Math.floor(ct)),
    sloCapacityPerPod: Math.max(1, Math.floor(cap.lambdaCap)),
    targetUtilizationPercent: Math.min(100, Math.max(1, Math.round((100 * ct) / cap.lambdaCap))),
  };
  warnings.push('Loopback numbers are upper bounds: production adds network, TLS, ingress and logging. Re-measure CPU per request in the cluster and scale C_t by c_bench/c_prod.');

  // Spread: each repetition's sweep analysed alone, with the same R and u_t.
  const spread = spreadOverRepetitions(valid, o, targetCores);
  const capSpread = spread.lambdaCapRps;
  if (capSpread && capSpread.samples >= 2 && relativeRange(capSpread) > 0.1) {
    warnings.push(
      `Noise detected: analysed alone, the ${capSpread.samples} repetitions put the SLO capacity at ${r(capSpread.min)}-${r(capSpread.max)} req/s (${Math.round(100 * relativeRange(capSpread))}% apart): the measurement is no more precise than that, and repeated runs can differ by as much.`,
    );
  }

  const cpuUsPerRequestAtCap = (cpuCap / cap.lambdaCap) * 1e6;
  return {
    slo: o.slo,
    resources: { cpuRequestMillicores: requestMilli, cpuLimitMillicores: limitMilli, memoryRequestMiB: memoryMiB, memoryLimitMiB },
    hpa: { minReplicas, maxReplicas, targetCPUUtilizationPercentage: targetPercent, behavior: { scaleUp, scaleDown } },
    rps: rpsTarget,
    intermediates: {
      xMaxRps: measurements.saturation.maxRps,
      cpuUsPerRequestAtSaturation: measurements.saturation.cpuUsPerRequest,
      lambdaSloRps: cap.lambdaSlo,
      lambdaKneeRps: cap.lambdaKnee,
      lambdaCapRps: cap.lambdaCap,
      cpuCapCores: cpuCap,
      cpuUsPerRequestAtCap,
      cpuModelIdleCores: cpu.idleCores,
      cpuModelUsPerRequest: cpu.usPerRequest,
      cpuModelR2: cpu.r2,
      cpuModelSamples: cpu.samples,
      cpuRequestMillicores: requestMilli,
      uMax,
      tLagSeconds: tLag,
      growthFactorOverLag: g,
      growthFactorPer15s: g15,
      utilizationTargetRaw: uRaw,
      utilizationTarget: uTarget,
      targetCpuCores: targetCores,
      ctRps: ct,
      maxReplicasFromPeak: maxFromPeak,
      utilizationTargetFromFormula: formulaTarget,
      simulatedViolationSecondsGrowth: growthSim.violationSeconds,
      simulatedPeakReplicasGrowth: growthSim.peakReplicas,
      simulatedViolationSecondsBurst: burstSim?.violationSeconds ?? null,
      minReplicas,
      maxReplicas,
      peakRps: o.peakRps,
      minRps: o.minRps,
      burstRps: o.burstRps,
      validSteps: valid.length,
      invalidSteps: dropped,
    },
    spread,
    reasoning,
    warnings,
  };
}

type Resolved = Required<RecommendInputs>;

function resolveInputs(inputs: RecommendInputs): Resolved {
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

/** Rounds down to a multiple of `step`, tolerating float error (0.65 stays 0.65). */
function floorTo(x: number, step: number): number {
  return Math.round(Math.floor(x / step + 1e-9) * step * 1e6) / 1e6;
}

function passes(p: CurvePoint, slo: BenchSlo, floor: number): boolean {
  return p.latencyUs <= slo.latencyMs * 1000 && p.errorRate <= slo.errorBudgetFraction && p.achievedRatio >= floor;
}

/** lambda_slo, lambda_knee, lambda_cap and CPU at lambda_cap for one curve (sorted by rate). */
function capacityOf(points: readonly CurvePoint[], slo: BenchSlo, floor: number): Capacity {
  const first = points[0]!;
  if (!passes(first, slo, floor)) {
    throw new InvalidArgumentError(
      `the SLO p${slo.percentile} <= ${slo.latencyMs} ms fails already at the lowest valid offered rate (${first.rps} req/s: p${slo.percentile} ${(first.latencyUs / 1000).toFixed(2)} ms, errors ${(first.errorRate * 100).toFixed(3)}%, achieved ${(first.achievedRatio * 100).toFixed(1)}%); measure lower rates or relax the SLO`,
    );
  }
  let last = 0;
  while (last + 1 < points.length && passes(points[last + 1]!, slo, floor)) last += 1;
  const lo = points[last]!;
  const hi = points[last + 1];
  let lambdaSlo = lo.rps;
  let reason: string;
  if (hi === undefined) {
    reason = `every valid step up to ${lo.rps} req/s meets it`;
  } else if (hi.errorRate <= slo.errorBudgetFraction && hi.achievedRatio >= floor && hi.latencyUs > lo.latencyUs) {
    // Latency alone broke the SLO: interpolate log(latency) linearly between the bracketing steps.
    const bound = slo.latencyMs * 1000;
    const f = (Math.log(bound) - Math.log(Math.max(1, lo.latencyUs))) / (Math.log(hi.latencyUs) - Math.log(Math.max(1, lo.latencyUs)));
    lambdaSlo = lo.rps + (hi.rps - lo.rps) * Math.min(1, Math.max(0, f));
    reason = `interpolated in log(latency) between ${lo.rps} req/s (${(lo.latencyUs / 1000).toFixed(2)} ms) and ${hi.rps} req/s (${(hi.latencyUs / 1000).toFixed(2)} ms)`;
  } else {
    reason = `the next step, ${hi.rps} req/s, fails on ${hi.errorRate > slo.errorBudgetFraction ? 'errors' : hi.achievedRatio < floor ? 'achieved rate' : 'latency'}`;
  }
  const lambdaKnee = kneeOf(points, slo);
  const lambdaCap = lambdaKnee === null ? lambdaSlo : Math.min(lambdaSlo, lambdaKnee);
  return { lambdaSlo, sloNotReached: hi === undefined, lambdaKnee, lambdaCap, reason };
}

/**
 * Kneedle (Satopaa et al. 2011) for a convex increasing curve: the point that maximises
 * x_norm - y_norm. Latency is normalised against max(highest latency, SLO bound), so a curve that
 * stays far below the SLO has its knee at its last point instead of somewhere in the noise.
 */
function kneeOf(points: readonly CurvePoint[], slo: BenchSlo): number | null {
  if (points.length < 3) return null;
  const xs = points.map((p) => p.rps);
  const ys = points.map((p) => p.latencyUs);
  const x0 = xs[0]!;
  const xSpan = xs[xs.length - 1]! - x0;
  const y0 = Math.min(...ys);
  const ySpan = Math.max(Math.max(...ys), slo.latencyMs * 1000) - y0;
  if (xSpan <= 0 || ySpan <= 0) return null;
  let best = 0;
  let bestD = -Infinity;
  points.forEach((p, i) => {
    const d = (p.rps - x0) / xSpan - (p.latencyUs - y0) / ySpan;
    if (d > bestD + 1e-12) {
      bestD = d;
      best = i;
    }
  });
  return xs[best]!;
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

/**
 * The CPU model for one curve: least squares over `samples` with rate <= lambdaCap (a line through
 * the origin if the free intercept came out negative, which no server can use), or interpolation
 * on `points` when that leaves fewer than two rates or a line that does not rise with the rate.
 * Above lambda_cap the samples are left out: under a CPU quota the CPU flattens there, and the pod
 * is sized to run below it.
 */
function cpuModelOf(points: readonly CurvePoint[], samples: readonly { rps: number; cores: number }[], lambdaCap: number): CpuModel {
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
  const n = used.length;
  const mx = used.reduce((a, s) => a + s.rps, 0) / n;
  const my = used.reduce((a, s) => a + s.cores, 0) / n;
  const sxx = used.reduce((a, s) => a + (s.rps - mx) ** 2, 0);
  const sxy = used.reduce((a, s) => a + (s.rps - mx) * (s.cores - my), 0);
  let slope = sxy / sxx;
  let idle = my - slope * mx;
  if (idle < 0) {
    slope = used.reduce((a, s) => a + s.rps * s.cores, 0) / used.reduce((a, s) => a + s.rps * s.rps, 0);
    idle = 0;
  }
  if (!(slope > 0)) return interpolated;
  const syy = used.reduce((a, s) => a + (s.cores - my) ** 2, 0);
  const sse = used.reduce((a, s) => a + (s.cores - idle - slope * s.rps) ** 2, 0);
  const lowest = Math.min(...used.map((s) => s.rps));
  return {
    kind: 'fit',
    idleCores: idle,
    usPerRequest: slope * 1e6,
    r2: syy === 0 ? 1 : 1 - sse / syy,
    samples: n,
    at: (rps) => (rps <= 0 ? 0 : idle + slope * rps),
    rateAt: (cores, warnings) => {
      if (cores > idle + slope * lowest) return (cores - idle) / slope;
      // Below the lowest measured step the line is not known; scale that step down instead.
      warnings?.push(`The target CPU (${cores.toFixed(3)} cores) is below what the server used at the lowest measured rate; C_t scaled down from ${lowest} req/s.`);
      return (lowest * cores) / (idle + slope * lowest);
    },
  };
}

/** (max - min) / median of a spread; 0 for a zero median. */
export function relativeRange(s: BenchSpread): number {
  return s.median > 0 ? (s.max - s.min) / s.median : 0;
}

/** Min, median and max of a non-empty list. */
export function spreadOf(values: readonly number[]): BenchSpread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted[sorted.length - 1]!, samples: sorted.length };
}

function spreadOverRepetitions(valid: readonly BenchOpenStep[], o: Resolved, targetCores: number): Record<string, BenchSpread> {
  const reps = Math.min(...valid.map((s) => Math.min(s.sloLatencyUsPerRepetition.length, s.serverCpuCoresPerRepetition.length)));
  const lambdaCap: number[] = [];
  const cpuCap: number[] = [];
  const ct: number[] = [];
  const maxReplicas: number[] = [];
  for (let k = 0; k < reps; k++) {
    const points: CurvePoint[] = valid.map((s) => ({
      rps: s.offeredRps,
      latencyUs: s.sloLatencyUsPerRepetition[k]!,
      cpuCores: s.serverCpuCoresPerRepetition[k]!,
      errorRate: s.requests === 0 ? 0 : s.errors / s.requests,
      achievedRatio: s.achievedRps / s.offeredRps,
    }));
    try {
      const cap = capacityOf(points, o.slo, o.minAchievedRatio);
      const model = cpuModelOf(points, points.map((p) => ({ rps: p.rps, cores: p.cpuCores })), cap.lambdaCap);
      const c = Math.min(model.rateAt(targetCores), cap.lambdaCap);
      lambdaCap.push(cap.lambdaCap);
      cpuCap.push(model.at(cap.lambdaCap));
      ct.push(c);
      maxReplicas.push(Math.ceil((o.peakRps * (1 + o.forecastMargin)) / (c * (1 - o.tolerance))) + o.sparePods);
    } catch {
      // A repetition that fails the SLO at its lowest step has no capacity point; the spread
      // then has fewer samples, which its `samples` field shows.
    }
  }
  const out: Record<string, BenchSpread> = {};
  if (lambdaCap.length > 0) {
    out.lambdaCapRps = spreadOf(lambdaCap);
    out.cpuCapCores = spreadOf(cpuCap);
    out.ctRps = spreadOf(ct);
    out.maxReplicas = spreadOf(maxReplicas);
  }
  return out;
}
