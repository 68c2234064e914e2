/** The scale-up lag, the growth over it and the HPA's target utilization (bench-method.md section 6 steps 6-8). */
import type { Resolved } from './inputs.js';
import { floorTo, sig, type Reasoned } from './reasoned.js';

/** Target utilization is clamped to this band (bench-method.md step 8). */
export const UTILIZATION_TARGET_BOUNDS = { min: 0.3, max: 0.85 } as const;

/** The target and what it came from. */
export interface UtilizationTarget {
  /** T_lag: from a load increase to new pods serving, seconds. */
  readonly tLagSeconds: number;
  /** g: traffic growth over T_lag, and over one 15 s scale-up period. */
  readonly growthOverLag: number;
  readonly growthPer15s: number;
  /** u_max / ((1 + tolerance) g), before rounding and clamping. */
  readonly raw: number;
  /** raw floored to a whole percent, clamped (and below the dead zone when limit = request). */
  readonly target: number;
}

/**
 * u_t = u_max / ((1 + tolerance) g) floored to a whole percent, clamped to
 * {@link UTILIZATION_TARGET_BOUNDS}. A whole percent, not bench-method.md's 5%: the HPA acts only
 * outside +-10% of its target anyway, and at a target near 45-50% a 5% grid put up to 10% of
 * rounding between two runs that measured nearly the same. `deployedPod` names the recommended pod
 * when the target is derived again for it (its own sweep measured it): the reasoning then says so
 * and leaves out the lag, already given.
 */
export function targetUtilizationStep(uMax: number, o: Resolved, deployedPod?: string): Reasoned<UtilizationTarget> {
  const tLag = 2 * o.metricsResolutionSeconds + o.syncPeriodSeconds + o.podReadySeconds + o.nodeProvisionSeconds;
  const g = (1 + o.growthPerMinute) ** (tLag / 60);
  const raw = uMax / ((1 + o.tolerance) * g);
  let target = floorTo(raw, 0.01);
  if (o.cpuLimit === 'equal') target = Math.min(target, floorTo(1 / (1 + o.tolerance) - 0.05, 0.05));
  const warnings: string[] = [];
  if (target < UTILIZATION_TARGET_BOUNDS.min) {
    warnings.push(`The target ${sig(raw)} is below ${UTILIZATION_TARGET_BOUNDS.min} and was raised to it: shorten the scale-up lag, scale on a schedule, or use an RPS autoscaler (rps.targetPerPod).`);
    target = UTILIZATION_TARGET_BOUNDS.min;
  }
  if (target > UTILIZATION_TARGET_BOUNDS.max) target = UTILIZATION_TARGET_BOUNDS.max;
  return {
    value: { tLagSeconds: tLag, growthOverLag: g, growthPer15s: (1 + o.growthPerMinute) ** (15 / 60), raw, target },
    reasoning: [
      ...(deployedPod ? [] : [`Scale-up lag T_lag = 2*${o.metricsResolutionSeconds} + ${o.syncPeriodSeconds} + ${o.podReadySeconds}${o.nodeProvisionSeconds ? ` + ${o.nodeProvisionSeconds}` : ''} = ${tLag} s; growth over it g = (1+${o.growthPerMinute})^(${tLag}/60) = ${sig(g, 4)}.`]),
      `Target utilization${deployedPod ? ` of the recommended ${deployedPod} pod` : ''} u_t = floor1%(u_max / ((1+${o.tolerance})*g)) = floor1%(${sig(raw)}) -> ${Math.round(target * 100)}% (clamped to [${UTILIZATION_TARGET_BOUNDS.min * 100}, ${UTILIZATION_TARGET_BOUNDS.max * 100}]%).`,
    ],
    warnings,
  };
}
