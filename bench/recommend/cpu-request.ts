/**
 * The pod the bench measured, and the CPU request and limit of the pod it recommends
 * (bench-method.md section 6 step 5, with the request sized to the expected traffic).
 */
import type { CapacitySides } from './capacity.js';
import type { CpuModel } from './cpu-model.js';
import type { Resolved } from './inputs.js';
import { sig, type Reasoned } from './reasoned.js';
import type { RequestPodCapacity } from './request-pod.js';

/** The pod whose capacity was measured. */
export interface MeasuredPod {
  /** Its CPU: the server's quota, or without one ceil50(CPU_cap) (as if sized to what it used). */
  readonly millicores: number;
  /** u_max: the share of that CPU the server used where the SLO still held (at most 1). */
  readonly uMax: number;
}

/** What a pod is guaranteed and may use. */
export interface CpuRequest {
  readonly requestMillicores: number;
  /** null: no CPU limit. */
  readonly limitMillicores: number | null;
  /** The rate at which the per-pod share of the forecast peak lands (with minReplicas pods). */
  readonly peakShareRps: number;
  /** The recommended pod's SLO capacity: lambda_cap, or for a smaller pod the measured or else the predicted one. */
  readonly sloCapacityRps: number;
  /** The smaller pod's SLO capacity on the measured pod's CPU line (lambda_cap when R is the measured pod). */
  readonly predictedSloCapacityRps: number;
  /** The smaller pod's SLO capacity from its own sweep (at most the ceiling); null without one. */
  readonly measuredSloCapacityRps: number | null;
  /** The most a smaller pod is credited with: lambda_cap, or where the CPU line reaches all of R if lower. */
  readonly ceilingRps: number;
  /** The server's CPU its own sweep measured at that capacity (interpolated between its steps); null without one. */
  readonly measuredCpuCores: number | null;
}

/** The measured pod and u_max: the SLO held up to CPU_cap (the CPU at lambda_cap), u_max of the pod's CPU. */
export function measuredPodStep(cpuCapCores: number, lambdaCapRps: number, quotaMillicores: number | null): Reasoned<MeasuredPod> {
  const cpuCapMilli = cpuCapCores * 1000;
  // The epsilon keeps a fitted 200.0000001m at 200m rather than 250m.
  const millicores = quotaMillicores ?? Math.min(1000, Math.max(100, Math.ceil(cpuCapMilli / 50 - 1e-9) * 50));
  const uMax = Math.min(1, cpuCapMilli / millicores);
  const warnings: string[] = [];
  if (quotaMillicores === null && cpuCapMilli > 1000) warnings.push(`The server used ${sig(cpuCapCores)} cores at lambda_cap; the request is capped at 1000m (one Node process runs JS on one thread).`);
  return {
    value: { millicores, uMax },
    reasoning: [
      `lambda_cap = min(lambda_slo, lambda_knee) = ${sig(lambdaCapRps)} req/s per pod, using CPU_cap = ${sig(cpuCapCores)} cores there.`,
      quotaMillicores === null
        ? `The measured pod had no CPU quota: taken as one of ceil50(CPU_cap) = ${millicores}m (at most 1000m); u_max = min(1, CPU_cap / ${millicores}m) = ${sig(uMax)}.`
        : `The measured pod had a ${millicores}m CPU quota; the SLO held up to CPU_cap = ${sig(cpuCapMilli)}m of it: u_max = min(1, CPU_cap / ${millicores}m) = ${sig(uMax)}.`,
    ],
    warnings,
  };
}

/** The recommended pod's own sweep, read on the side of the SLO intervals being sized. */
export interface MeasuredRequestPod {
  readonly capacity: RequestPodCapacity;
  readonly side: keyof CapacitySides;
}

/**
 * R = min(measured pod, max(100m, ceil50(CPU(peak share) / u_t))): a pod needs no more CPU than
 * what lets minReplicas pods carry the forecast peak at the HPA's target (at the bottom of its
 * band), so a quiet service gets small pods; a busy one gets the pod the bench measured. A smaller
 * pod's SLO capacity is what its own sweep under an R quota measured (run.ts), at most the
 * measured pod's; without that sweep, the rate at which it uses u_max of its request (the measured
 * pod's SLO utilization, assumed to hold at any size: a warning says how to measure it instead).
 * When its sweep found no rate that meets the SLO, R is the measured pod.
 */
export function cpuRequestStep(uTarget: number, cpu: CpuModel, pod: MeasuredPod, lambdaCapRps: number, o: Resolved, own: MeasuredRequestPod | null): Reasoned<CpuRequest> {
  const peakShareRps = (o.peakRps * (1 + o.forecastMargin)) / (o.minReplicasFloor * (1 - o.tolerance));
  const neededMilli = (1000 * cpu.at(peakShareRps)) / uTarget;
  const sized = Math.min(pod.millicores, Math.max(100, Math.ceil(neededMilli / 50 - 1e-9) * 50));
  const sweep = sized < pod.millicores && own?.capacity.millicores === sized ? own.capacity : null;
  const requestMillicores = sweep?.kind === 'failed' ? pod.millicores : sized;
  const smaller = requestMillicores < pod.millicores;
  const predictedSloCapacityRps = smaller ? Math.min(lambdaCapRps, cpu.rateAt((pod.uMax * requestMillicores) / 1000)) : lambdaCapRps;
  const ownCapacity = sweep?.kind === 'measured' ? sweep.sides[own!.side] : null;
  // At most the measured pod's capacity, and at most where the line reaches the whole request: a
  // pod under an R quota cannot use more, so a sweep that seems to do better is noise.
  const ceilingRps = Math.min(lambdaCapRps, cpu.rateAt(requestMillicores / 1000));
  const measuredSloCapacityRps = ownCapacity ? Math.min(ceilingRps, ownCapacity.lambdaCap) : null;
  const sloCapacityRps = measuredSloCapacityRps ?? predictedSloCapacityRps;
  const limitMillicores = o.cpuLimit === 'none' ? null : o.cpuLimit === 'double' ? 2 * requestMillicores : requestMillicores;
  const warnings: string[] = [...(sweep?.warnings ?? [])];
  if (sweep?.kind === 'failed') {
    warnings.push(`A ${sized}m pod, measured under a ${sized}m quota, met the SLO at none of its rates (${sweep.why}): the request stays at the measured pod's ${pod.millicores}m.`);
  } else if (smaller && ownCapacity === null) {
    const why = sweep?.kind === 'invalid' ? `its own sweep under a ${requestMillicores}m quota had no valid step (${sweep.why}), so its SLO capacity` : `its SLO capacity`;
    warnings.push(
      `The request (${requestMillicores}m) is smaller than the pod the bench measured (${pod.millicores}m): ${why} (${sig(sloCapacityRps)} req/s) assumes the SLO holds up to the same share of its CPU; run the bench with --cpu-quota ${requestMillicores}m to measure a pod of this size.`,
    );
  } else if (ownCapacity?.sloNotReached && ownCapacity.lambdaCap < ceilingRps) {
    warnings.push(`No step of the ${requestMillicores}m pod's own sweep broke the SLO: its SLO capacity (${sig(sloCapacityRps)} req/s) is a lower bound.`);
  }
  if (o.cpuLimit === 'equal') warnings.push('limit = request: these numbers hold only if the bench ran under that quota (--cpu-quota); the target is kept below 1/(1+tolerance) - 0.05 to avoid the HPA dead zone.');
  return {
    value: { requestMillicores, limitMillicores, peakShareRps, sloCapacityRps, predictedSloCapacityRps, measuredSloCapacityRps, ceilingRps, measuredCpuCores: measuredSloCapacityRps === null || sweep?.kind !== 'measured' ? null : sweep.cpuAt(measuredSloCapacityRps) },
    reasoning: [
      `CPU request R = min(${pod.millicores}m, max(100m, ceil50(CPU(${sig(peakShareRps)} req/s) / u_t))) = min(${pod.millicores}m, max(100m, ceil50(${sig(neededMilli)}m))) = ${sized}m: ${o.minReplicasFloor} pods carry the forecast peak ${o.peakRps}*(1+${o.forecastMargin}) at the target (at the bottom of its band, 1-${o.tolerance})${smaller ? `; ${capacityReason(requestMillicores, predictedSloCapacityRps, measuredSloCapacityRps, ceilingRps)}` : ''}${sweep?.kind === 'failed' ? `; a ${sized}m pod's own sweep met the SLO at none of its rates, so R = the measured pod, ${pod.millicores}m` : ''}.`,
      limitMillicores === null ? 'No CPU limit (CFS quota throttles tails; bench-method.md section 4).' : `CPU limit ${limitMillicores}m (policy "${o.cpuLimit}").`,
    ],
    warnings,
  };
}

/**
 * u_max of the recommended pod, when its own sweep measured its SLO capacity: the share of its
 * request it used there, by the CPU line or by its own steps, whichever is lower (the side that
 * protects the SLO; the steps' reading also stays below R where the line's may not). The HPA
 * target and the RPS target are then derived for the pod that is deployed, not the one measured
 * first: a small pod that keeps the SLO to a lower share of its CPU gets a lower target, so a CPU
 * HPA does not hold it nearer its capacity than the RPS target would.
 */
export function requestPodUMaxStep(cpu: CpuModel, request: CpuRequest): Reasoned<MeasuredPod> | null {
  const capacity = request.measuredSloCapacityRps;
  if (capacity === null) return null;
  const line = cpu.at(capacity);
  const own = request.measuredCpuCores ?? line;
  const cores = Math.min(line, own);
  const uMax = Math.min(1, (1000 * cores) / request.requestMillicores);
  return {
    value: { millicores: request.requestMillicores, uMax },
    reasoning: [
      `The ${request.requestMillicores}m pod met the SLO up to ${sig(capacity)} req/s, where it used ${sig(own)} cores (its own steps) and the CPU line puts it at ${sig(line)}: its u_max = min(1, ${sig(1000 * cores)}m / ${request.requestMillicores}m) = ${sig(uMax)}, the lower; its HPA and RPS targets follow from that, while R was sized at the measured pod's target.`,
    ],
    warnings: [],
  };
}

/** Where the smaller pod's SLO capacity comes from. */
function capacityReason(requestMillicores: number, predicted: number, measured: number | null, ceiling: number): string {
  const line = `CPU(lambda) = u_max*R on the measured pod's CPU line: ${sig(predicted)} req/s`;
  return measured === null
    ? `its SLO capacity is ${line}`
    : `its SLO capacity is ${sig(measured)} req/s, measured by its own sweep under a ${requestMillicores}m quota (${line}; at most ${sig(ceiling)} req/s, the measured pod's lambda_cap or where the line reaches all of R)`;
}
