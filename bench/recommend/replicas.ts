/**
 * From the target utilization to a per-pod rate, replica bounds and scaling behaviour, checked by
 * simulating the HPA against the expected growth (bench-method.md section 6 steps 9-12); the
 * target is lowered while the simulated HPA lets the SLO break.
 */
import type { BenchHpaScalingRules } from '../contract.js';
import { growthTraffic, simulateHpa, type HpaSimulationResult } from '../simulate.js';
import type { CpuModel } from './cpu-model.js';
import type { Resolved } from './inputs.js';
import { sig, type Reasoned } from './reasoned.js';
import { UTILIZATION_TARGET_BOUNDS, type UtilizationTarget } from './utilization.js';

/** What a pod and the HPA are sized to at one target utilization. */
export interface Sizing {
  readonly utilization: number;
  /** CPU at the target, cores (u_t x R). */
  readonly targetCores: number;
  /** C_t: the per-pod rate at which a pod uses the target CPU (at most the pod's SLO capacity). */
  readonly ctRps: number;
  readonly maxFromPeak: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly scaleUp: BenchHpaScalingRules;
  readonly scaleDown: BenchHpaScalingRules;
  readonly growthSim: HpaSimulationResult;
  readonly burstSim: HpaSimulationResult | null;
}

/** What sizing needs from the steps before it. */
export interface SizingBasis {
  readonly cpu: CpuModel;
  /** The recommended pod's SLO capacity (lambda_cap of the measured pod, scaled to the request). */
  readonly lambdaCapRps: number;
  readonly requestMillicores: number;
  readonly utilization: UtilizationTarget;
}

/** The sizing at the formula's target, lowered by 5% steps (to 30%) while the simulated HPA breaks the SLO. */
export function replicasStep(basis: SizingBasis, o: Resolved): Reasoned<Sizing & { formulaTarget: number; formulaViolationSeconds: number }> {
  const formulaTarget = basis.utilization.target;
  let u = formulaTarget;
  let sized = sizeFor(u, basis, o);
  const formulaViolationSeconds = violation(sized);
  while (violation(sized) > 0 && u - 0.05 >= UTILIZATION_TARGET_BOUNDS.min - 1e-9) {
    u = Math.round((u - 0.05) * 100) / 100;
    sized = sizeFor(u, basis, o);
  }
  const warnings: string[] = [];
  sized = sizeFor(u, basis, o, warnings);
  const percent = Math.round(u * 100);
  const reasoning: string[] = [];
  if (u < formulaTarget) {
    reasoning.push(`HPA simulation: at ${Math.round(formulaTarget * 100)}% the SLO broke for ${formulaViolationSeconds} s of the growth${o.burstRps > 0 ? '/burst' : ''} scenario; lowered the target to ${percent}%.`);
  }
  const { ctRps, minReplicas, maxReplicas, scaleUp, scaleDown, growthSim, burstSim } = sized;
  reasoning.push(
    `C_t = lambda where server CPU = u_t*R = ${sig(sized.targetCores)} cores: ${sig(ctRps)} req/s per pod (on the CPU(lambda) model); C_slo = the pod's SLO capacity = ${sig(basis.lambdaCapRps)} req/s.`,
    `maxReplicas = N + max(${o.sparePods}, ceil(${o.surgeHeadroom}*N)) with N = max(minReplicas, ceil(${o.peakRps}*(1+${o.forecastMargin}) / (C_t*(1-${o.tolerance})))) = max(${minReplicas}, ${sized.maxFromPeak}) = ${Math.max(minReplicas, sized.maxFromPeak)}: ${maxReplicas}, room for traffic ${Math.round(o.surgeHeadroom * 100)}% above the forecast peak (a surprise, or one of three zones lost and its traffic on the other two) so the HPA can always scale.`,
    `minReplicas = max(${o.minReplicasFloor}, ceil(${o.minRps}/C_t), ceil((${o.minRps}+${o.burstRps})/C_slo)) = ${minReplicas}.`,
    `Scale up at once (no stabilization) by max(${scaleUp.policies[0]!.value}%, ${scaleUp.policies[1]!.value} pods) per 15 s; scale down after ${scaleDown.stabilizationWindowSeconds} s of stable lower demand, by min(50%, ${scaleDown.policies[1]!.value} pods) per minute.`,
    `HPA simulation (1 s steps; ${o.minRps} -> ${o.peakRps} req/s at +${Math.round(o.growthPerMinute * 100)}%/min): ${growthSim.violationSeconds} s above the per-pod SLO capacity, peak ${growthSim.peakReplicas} replicas${burstSim ? `; burst +${o.burstRps} req/s: ${burstSim.violationSeconds} s` : ''}.`,
  );
  const left = violation(sized);
  if (left > 0) {
    warnings.push(
      `Even at ${percent}% the simulated HPA leaves the SLO broken for ${left} s (first at t=${growthSim.firstViolationAt ?? burstSim?.firstViolationAt}s): the growth outruns the scale-up lag; raise minReplicas, shorten the lag (faster metrics, readiness, spare nodes) or scale on a schedule.`,
    );
  }
  if (growthSim.hitMaxReplicas) warnings.push('In the simulation the HPA wanted more than maxReplicas.');
  return { value: { ...sized, formulaTarget, formulaViolationSeconds }, reasoning, warnings };
}

const violation = (s: Sizing): number => s.growthSim.violationSeconds + (s.burstSim?.violationSeconds ?? 0);

/** Steps 9-12 at target `u`: C_t, replica bounds, behaviour, and the simulated HPA. */
function sizeFor(u: number, basis: SizingBasis, o: Resolved, notes?: string[]): Sizing {
  const { cpu, lambdaCapRps, requestMillicores } = basis;
  const targetCores = (u * requestMillicores) / 1000;
  const ctRps = Math.min(cpu.rateAt(targetCores, notes), lambdaCapRps);
  const minReplicas = minReplicasFor(ctRps, lambdaCapRps, o);
  const { fromPeak: maxFromPeak, max: maxReplicas } = maxReplicasFor(ctRps, minReplicas, o);
  const { scaleUp, scaleDown } = behaviourFor(minReplicas, maxReplicas, basis.utilization);
  const sim = (traffic: (t: number) => number, durationSeconds: number): HpaSimulationResult =>
    simulateHpa({
      requestCores: requestMillicores / 1000,
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
      sloCapacityRps: lambdaCapRps,
      traffic,
      durationSeconds,
    });
  const growth = growthTraffic(o.minRps, o.peakRps, o.growthPerMinute);
  const growthSim = sim(growth.traffic, growth.durationSeconds);
  const burstSim = o.burstRps > 0 ? sim((t) => (t < 600 ? o.minRps : o.minRps + o.burstRps), 1200) : null;
  return { utilization: u, targetCores, ctRps, maxFromPeak, minReplicas, maxReplicas, scaleUp, scaleDown, growthSim, burstSim };
}

/** minReplicas = max(floor, ceil(trough / C_t), ceil((trough + burst) / lambda_cap)). */
export function minReplicasFor(ctRps: number, lambdaCapRps: number, o: Resolved): number {
  return Math.max(o.minReplicasFloor, Math.ceil(o.minRps / ctRps), Math.ceil((o.minRps + o.burstRps) / lambdaCapRps));
}

/**
 * maxReplicas = N + max(sparePods, ceil(surgeHeadroom x N)), N = the pods the forecast peak needs
 * at the target (ceil(peak (1 + margin) / (C_t (1 - tolerance))): the HPA never binds at peak even
 * at the bottom of its band), at least minReplicas. The room above N is what lets the HPA act on
 * a surprise; without it the defaults gave maxReplicas = minReplicas, an HPA that cannot scale.
 */
export function maxReplicasFor(ctRps: number, minReplicas: number, o: Resolved): { fromPeak: number; max: number } {
  const fromPeak = Math.ceil((o.peakRps * (1 + o.forecastMargin)) / (ctRps * (1 - o.tolerance)));
  const n = Math.max(minReplicas, fromPeak);
  return { fromPeak, max: n + Math.max(o.sparePods, Math.ceil(o.surgeHeadroom * n - 1e-9)) };
}

/**
 * Step 11: scale up at once by max(100% or the 15 s growth, max(4, ceil(min x (g - 1))) pods) per
 * 15 s; scale down after max(300 s, 2 T_lag) by min(50%, max(2, 10% of max) pods) per minute.
 */
function behaviourFor(minReplicas: number, maxReplicas: number, t: UtilizationTarget): { scaleUp: BenchHpaScalingRules; scaleDown: BenchHpaScalingRules } {
  return {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Percent', value: Math.max(100, Math.ceil(100 * (t.growthPer15s - 1) - 1e-9)), periodSeconds: 15 },
        { type: 'Pods', value: Math.max(4, Math.ceil(minReplicas * (t.growthOverLag - 1) - 1e-9)), periodSeconds: 15 },
      ],
    },
    scaleDown: {
      stabilizationWindowSeconds: Math.max(300, 2 * t.tLagSeconds),
      selectPolicy: 'Min',
      policies: [
        { type: 'Percent', value: 50, periodSeconds: 60 },
        { type: 'Pods', value: Math.max(2, Math.ceil(0.1 * maxReplicas)), periodSeconds: 60 },
      ],
    },
  };
}
