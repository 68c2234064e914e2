/**
 * From measurements to resources and HPA settings: a pure function, so it is tested on fixture
 * measurements with hand-checked outputs. The method is reference/bench-method.md section 6, as
 * small pure steps that each return a value and its reasoning: capacity, the CPU model, the CPU
 * request, the target utilization, replicas and behaviour (checked by simulating the HPA), memory,
 * and the spread over repetitions. Every intermediate value lands in `intermediates` and every
 * decision in `reasoning`.
 */
import type { BenchRecommendation } from '../contract.js';
import { capacityStep, type CapacityFinding } from './capacity.js';
import { cpuModelStep, type CpuModel } from './cpu-model.js';
import { cpuRequestStep, measuredPodStep, type CpuRequest, type MeasuredPod } from './cpu-request.js';
import { resolveInputs, type RecommendInputs, type RecommendMeasurements, type Resolved } from './inputs.js';
import { memoryStep } from './memory.js';
import { replicasStep, type Sizing } from './replicas.js';
import { spreadStep } from './spread.js';
import { targetUtilizationStep, type UtilizationTarget } from './utilization.js';

const LOOPBACK_WARNING = 'Loopback numbers are upper bounds: production adds network, TLS, ingress and logging. Re-measure CPU per request in the cluster and scale C_t by c_bench/c_prod.';

/**
 * Turns measurements, an SLO, the expected traffic and the cluster's facts into resources, HPA
 * settings and an RPS target, with every intermediate value, its spread over repetitions and the
 * reasoning. Pure: same input, same output.
 * @throws InvalidArgumentError when inputs are out of range, or when no valid measured step
 *   meets the SLO (nothing to recommend from).
 */
export function recommend(measurements: RecommendMeasurements, inputs: RecommendInputs): BenchRecommendation {
  const o = resolveInputs(inputs);
  const capacity = capacityStep(measurements, o);
  const { valid, points, capacity: cap } = capacity.value;
  const cpu = cpuModelStep(valid, points, cap);
  const pod = measuredPodStep(cpu.value.cpuCapCores, measurements.serverCpuQuotaMillicores ?? null);
  const utilization = targetUtilizationStep(pod.value.uMax, o);
  const request = cpuRequestStep(utilization.value.target, cpu.value.model, pod.value, cap.lambdaCap, o);
  const podCapacity = request.value.sloCapacityRps;
  const sizing = replicasStep({ cpu: cpu.value.model, lambdaCapRps: podCapacity, requestMillicores: request.value.requestMillicores, utilization: utilization.value }, o);
  const memory = memoryStep(valid, measurements.serverPeakRssMiB, podCapacity, o);
  const spread = spreadStep(valid, sizing.value.targetCores, o);
  const s = sizing.value;
  return {
    slo: o.slo,
    resources: {
      cpuRequestMillicores: request.value.requestMillicores,
      cpuLimitMillicores: request.value.limitMillicores,
      memoryRequestMiB: memory.value.requestMiB,
      memoryLimitMiB: memory.value.limitMiB,
    },
    hpa: { minReplicas: s.minReplicas, maxReplicas: s.maxReplicas, targetCPUUtilizationPercentage: Math.round(s.utilization * 100), behavior: { scaleUp: s.scaleUp, scaleDown: s.scaleDown } },
    // For RPS/concurrency autoscalers.
    rps: {
      // The epsilon keeps a computed 1499.9999999 at 1500.
      targetPerPod: Math.max(1, Math.floor(s.ctRps + 1e-6)),
      sloCapacityPerPod: Math.max(1, Math.floor(podCapacity + 1e-6)),
      targetUtilizationPercent: Math.min(100, Math.max(1, Math.round((100 * s.ctRps) / podCapacity))),
    },
    intermediates: intermediatesOf(measurements, o, { capacity: capacity.value, cpu: cpu.value, pod: pod.value, request: request.value, utilization: utilization.value, sizing: s }),
    spread: spread.value,
    reasoning: [capacity, cpu, pod, utilization, request, sizing, memory].flatMap((step) => step.reasoning),
    warnings: [...[capacity, cpu, pod, utilization, request, sizing, memory].flatMap((step) => step.warnings), LOOPBACK_WARNING, ...spread.warnings],
  };
}

/** Every intermediate value by name, with units in the name. */
function intermediatesOf(
  m: RecommendMeasurements,
  o: Resolved,
  steps: { capacity: CapacityFinding; cpu: { model: CpuModel; cpuCapCores: number }; pod: MeasuredPod; request: CpuRequest; utilization: UtilizationTarget; sizing: Sizing & { formulaTarget: number } },
): Record<string, number | null> {
  const { capacity: cap, dropped, valid } = steps.capacity;
  const { model, cpuCapCores } = steps.cpu;
  const u = steps.utilization;
  const s = steps.sizing;
  return {
    xMaxRps: m.saturation.maxRps,
    cpuUsPerRequestAtSaturation: m.saturation.cpuUsPerRequest,
    lambdaSloRps: cap.lambdaSlo,
    lambdaKneeRps: cap.lambdaKnee,
    lambdaCapRps: cap.lambdaCap,
    cpuCapCores,
    cpuUsPerRequestAtCap: (cpuCapCores / cap.lambdaCap) * 1e6,
    cpuModelIdleCores: model.idleCores,
    cpuModelUsPerRequest: model.usPerRequest,
    cpuModelR2: model.r2,
    cpuModelSamples: model.samples,
    measuredPodMillicores: steps.pod.millicores,
    uMax: steps.pod.uMax,
    peakShareRps: steps.request.peakShareRps,
    cpuRequestMillicores: steps.request.requestMillicores,
    podSloCapacityRps: steps.request.sloCapacityRps,
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
    validSteps: valid.length,
    invalidSteps: dropped,
  };
}
