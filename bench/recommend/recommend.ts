/**
 * From measurements to resources and HPA settings: a pure function, so it is tested on fixture
 * measurements with hand-checked outputs. The method is reference/bench-method.md section 6, as
 * small pure steps that each return a value and its reasoning: capacity, the CPU model, the
 * measured pod and the target utilization, the CPU request, replicas and behaviour (checked by
 * simulating the HPA), memory, and the spread over repetitions. The sizing runs once on each side
 * of the capacity's interval; the recommendation is the side that protects the SLO, and every
 * recommended value carries its interval. Every intermediate value lands in `intermediates` and
 * every decision in `reasoning`.
 */
import type { BenchInterval, BenchRecommendation } from '../contract.js';
import { capacityStep, type Capacity, type CapacityFinding, type CapacitySides } from './capacity.js';
import { cpuModelStep, type CpuModel } from './cpu-model.js';
import { cpuRequestStep, measuredPodStep, requestPodUMaxStep, type CpuRequest, type MeasuredPod, type MeasuredRequestPod } from './cpu-request.js';
import { resolveInputs, type RecommendInputs, type RecommendMeasurements, type Resolved } from './inputs.js';
import { memoryStep } from './memory.js';
import type { Reasoned } from './reasoned.js';
import { sig } from './reasoned.js';
import { replicasStep, type Sizing } from './replicas.js';
import { requestPodCapacity } from './request-pod.js';
import { rpsStep } from './rps.js';
import { spreadStep } from './spread.js';
import { targetUtilizationStep, type UtilizationTarget } from './utilization.js';

const LOOPBACK_WARNING = 'Loopback numbers are upper bounds: production adds network, TLS, ingress and logging. Re-measure CPU per request in the cluster and scale C_t, the RPS target and the SLO capacity by c_bench/c_prod.';

/** Everything sized on one side of the capacity's interval. */
interface Scenario {
  readonly capacity: Capacity;
  readonly cpuCapCores: number;
  readonly pod: Reasoned<MeasuredPod>;
  readonly utilization: Reasoned<UtilizationTarget>;
  readonly request: Reasoned<CpuRequest>;
  /** The recommended pod's own u_max and target, when its sweep measured it; null: the measured pod's stand. */
  readonly deployed: { readonly pod: Reasoned<MeasuredPod>; readonly utilization: Reasoned<UtilizationTarget> } | null;
  readonly sizing: Reasoned<Sizing & { formulaTarget: number; formulaViolationSeconds: number }>;
  readonly memory: Reasoned<{ requestMiB: number; limitMiB: number }>;
  readonly rps: Reasoned<BenchRecommendation['rps']>;
}

/**
 * Turns measurements, an SLO, the expected traffic and the cluster's facts into resources, HPA
 * settings and an RPS target, with every intermediate value, its interval, its spread over
 * repetitions and the reasoning. Pure: same input, same output.
 * @throws InvalidArgumentError when inputs are out of range; NoRecommendationError when no valid measured step
 *   meets the SLO (nothing to recommend from).
 */
export function recommend(measurements: RecommendMeasurements, inputs: RecommendInputs): BenchRecommendation {
  const o = resolveInputs(inputs);
  const capacity = capacityStep(measurements, o);
  const { valid, points, sides } = capacity.value;
  const cpu = cpuModelStep(valid, points, sides.point.lambdaCap);
  const ownSweep = requestPodCapacity(measurements.requestPod, o);
  const scenarioOn = (side: keyof CapacitySides): Scenario => sizeOn(sides[side], cpu.value, measurements, valid, o, ownSweep && { capacity: ownSweep, side });
  const chosen = scenarioOn('protective');
  const others = { point: scenarioOn('point'), optimistic: scenarioOn('optimistic') };
  const s = chosen.sizing.value;
  const spread = spreadStep(valid, s.targetCores, o);
  const intervals = intervalsOf([chosen, others.point, others.optimistic], others.point);
  const memory = memoryOnSafeSide(chosen, [others.point, others.optimistic]);
  const deployed = chosen.deployed ? [chosen.deployed.pod, chosen.deployed.utilization] : [];
  // With a deployed pod's own target, the measured pod's target only sized R: its warnings (a target raised to 30%) are not the deployed one's.
  const measuredTarget = chosen.deployed ? { ...chosen.utilization, warnings: [] } : chosen.utilization;
  const steps = [capacity, cpu, chosen.pod, measuredTarget, chosen.request, ...deployed, chosen.sizing, memory, chosen.rps];
  return {
    slo: o.slo,
    resources: {
      cpuRequestMillicores: chosen.request.value.requestMillicores,
      cpuLimitMillicores: chosen.request.value.limitMillicores,
      memoryRequestMiB: memory.value.requestMiB,
      memoryLimitMiB: memory.value.limitMiB,
    },
    hpa: { minReplicas: s.minReplicas, maxReplicas: s.maxReplicas, targetCPUUtilizationPercentage: Math.round(s.utilization * 100), behavior: { scaleUp: s.scaleUp, scaleDown: s.scaleDown } },
    // For RPS/concurrency autoscalers.
    rps: chosen.rps.value,
    intermediates: intermediatesOf(measurements, o, capacity.value, cpu.value, chosen),
    spread: spread.value,
    intervals,
    reasoning: [...steps.flatMap((step) => step.reasoning), intervalReasoning(intervals)],
    warnings: [...steps.flatMap((step) => step.warnings), LOOPBACK_WARNING, ...spread.warnings],
  };
}

/** The sizing steps on one side of the capacity's interval. */
function sizeOn(capacity: Capacity, cpu: CpuModel, m: RecommendMeasurements, valid: CapacityFinding['valid'], o: Resolved, own: MeasuredRequestPod | null): Scenario {
  const cpuCapCores = cpu.at(capacity.lambdaCap);
  const pod = measuredPodStep(cpuCapCores, capacity.lambdaCap, m.serverCpuQuotaMillicores ?? null);
  const utilization = targetUtilizationStep(pod.value.uMax, o);
  const request = cpuRequestStep(utilization.value.target, cpu, pod.value, capacity.lambdaCap, o, own);
  // A smaller pod measured by its own sweep gets its own u_max, and the target from it.
  const ownPod = requestPodUMaxStep(cpu, request.value);
  const ownUtilization = ownPod && targetUtilizationStep(ownPod.value.uMax, o, `${ownPod.value.millicores}m`);
  const deployed = { pod: ownPod ?? pod, utilization: ownUtilization ?? utilization };
  const sizing = replicasStep({ cpu, lambdaCapRps: request.value.sloCapacityRps, requestMillicores: request.value.requestMillicores, utilization: deployed.utilization.value }, o);
  const memory = memoryStep(valid, m.serverPeakRssMiB, request.value.sloCapacityRps, o);
  const rps = rpsStep({
    sloCapacityRps: request.value.sloCapacityRps,
    uMax: deployed.pod.value.uMax,
    utilization: sizing.value.utilization,
    rawUtilization: deployed.utilization.value.raw,
    ctRps: sizing.value.ctRps,
    idleCores: cpu.idleCores,
  });
  return { capacity, cpuCapCores, pod, utilization, request, deployed: ownPod && ownUtilization && { pod: ownPod, utilization: ownUtilization }, sizing, memory, rps };
}

/**
 * Memory on the side that needs the most. For the other values the lowest capacity is the safe
 * side; memory grows with the rate a pod runs at, so the highest capacity (the widest operating
 * range) is.
 */
function memoryOnSafeSide(chosen: Scenario, others: readonly Scenario[]): Reasoned<{ requestMiB: number; limitMiB: number }> {
  const most = others.reduce((a, b) => (b.memory.value.requestMiB > a.memory.value.requestMiB ? b : a), chosen);
  if (most === chosen) return chosen.memory;
  return {
    ...most.memory,
    reasoning: [...most.memory.reasoning, `Memory is taken where the capacity's interval needs the most (${most.memory.value.requestMiB} MiB at lambda_cap ${sig(most.capacity.lambdaCap)} req/s, not ${chosen.memory.value.requestMiB} MiB): a pod that takes more requests holds more.`],
  };
}

/** What each recommended value comes to on each side: its interval, and its value on the merged percentiles. */
function intervalsOf(scenarios: readonly Scenario[], point: Scenario): Record<string, BenchInterval> {
  const values: Record<string, (sc: Scenario) => number> = {
    cpuRequestMillicores: (sc) => sc.request.value.requestMillicores,
    memoryRequestMiB: (sc) => sc.memory.value.requestMiB,
    targetCPUUtilizationPercentage: (sc) => Math.round(sc.sizing.value.utilization * 100),
    minReplicas: (sc) => sc.sizing.value.minReplicas,
    maxReplicas: (sc) => sc.sizing.value.maxReplicas,
    rpsTargetPerPod: (sc) => sc.rps.value.targetPerPod,
    sloCapacityPerPod: (sc) => sc.rps.value.sloCapacityPerPod,
  };
  return Object.fromEntries(
    Object.entries(values).map(([name, of]) => {
      const all = scenarios.map(of);
      return [name, { low: Math.min(...all), point: of(point), high: Math.max(...all) }];
    }),
  );
}

function intervalReasoning(intervals: Record<string, BenchInterval>): string {
  const text = Object.entries(intervals)
    .map(([name, i]) => (i.low === i.high ? `${name} ${sig(i.point)}` : `${name} ${sig(i.low)}-${sig(i.high)} (merged ${sig(i.point)})`))
    .join('; ');
  return `Every value above is sized on the capacity's protective side; on the whole interval they come to: ${text}.`;
}

/** Every intermediate value by name, with units in the name. */
function intermediatesOf(m: RecommendMeasurements, o: Resolved, capacity: CapacityFinding, cpu: CpuModel, sc: Scenario): Record<string, number | null> {
  const cap = sc.capacity;
  const u = (sc.deployed?.utilization ?? sc.utilization).value;
  const s = sc.sizing.value;
  return {
    xMaxRps: m.saturation.maxRps,
    cpuUsPerRequestAtSaturation: m.saturation.cpuUsPerRequest,
    lambdaSloRps: cap.lambdaSlo,
    lambdaKneeRps: cap.lambdaKnee,
    lambdaCapRps: cap.lambdaCap,
    lambdaCapPointRps: capacity.sides.point.lambdaCap,
    lambdaCapOptimisticRps: capacity.sides.optimistic.lambdaCap,
    cpuCapCores: sc.cpuCapCores,
    cpuUsPerRequestAtCap: (sc.cpuCapCores / cap.lambdaCap) * 1e6,
    cpuModelIdleCores: cpu.idleCores,
    cpuModelUsPerRequest: cpu.usPerRequest,
    cpuModelR2: cpu.r2,
    cpuModelSamples: cpu.samples,
    measuredPodMillicores: sc.pod.value.millicores,
    uMax: sc.pod.value.uMax,
    peakShareRps: sc.request.value.peakShareRps,
    cpuRequestMillicores: sc.request.value.requestMillicores,
    podSloCapacityRps: sc.request.value.sloCapacityRps,
    podSloCapacityPredictedRps: sc.request.value.predictedSloCapacityRps,
    podSloCapacityMeasuredRps: sc.request.value.measuredSloCapacityRps,
    podSloCapacityCeilingRps: sc.request.value.ceilingRps,
    requestPodCpuCoresAtCapacity: sc.request.value.measuredCpuCores,
    requestPodUMax: sc.deployed?.pod.value.uMax ?? null,
    tLagSeconds: u.tLagSeconds,
    growthFactorOverLag: u.growthOverLag,
    growthFactorPer15s: u.growthPer15s,
    utilizationTargetRaw: u.raw,
    utilizationTarget: s.utilization,
    targetCpuCores: s.targetCores,
    ctRps: s.ctRps,
    maxReplicasFromPeak: s.maxFromPeak,
    utilizationTargetFromFormula: s.formulaTarget,
    simulatedViolationSecondsGrowth: s.growthSim.violationSeconds,
    simulatedPeakReplicasGrowth: s.growthSim.peakReplicas,
    simulatedViolationSecondsBurst: s.burstSim?.violationSeconds ?? null,
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    peakRps: o.peakRps,
    minRps: o.minRps,
    burstRps: o.burstRps,
    validSteps: capacity.valid.length,
    invalidSteps: capacity.dropped,
  };
}
