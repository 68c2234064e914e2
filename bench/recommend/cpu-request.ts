/** The CPU request and limit (bench-method.md section 6 step 5). */
import type { Resolved } from './inputs.js';
import { sig, type Reasoned } from './reasoned.js';

/** The CPU request and what it implies. */
export interface CpuRequest {
  readonly requestMillicores: number;
  /** The share of the request the server used at lambda_cap (at most 1). */
  readonly uMax: number;
  /** null: no CPU limit. */
  readonly limitMillicores: number | null;
}

/** R = min(1000m, max(100m, ceil50(CPU_cap))); u_max = min(1, CPU_cap / R); the limit by policy. */
export function cpuRequestStep(cpuCapCores: number, o: Resolved): Reasoned<CpuRequest> {
  const cpuCapMilli = cpuCapCores * 1000;
  // The epsilon keeps a fitted 200.0000001m at 200m rather than 250m.
  const requestMillicores = Math.min(1000, Math.max(100, Math.ceil(cpuCapMilli / 50 - 1e-9) * 50));
  const uMax = Math.min(1, cpuCapMilli / requestMillicores);
  const limitMillicores = o.cpuLimit === 'none' ? null : o.cpuLimit === 'double' ? 2 * requestMillicores : requestMillicores;
  const warnings: string[] = [];
  if (cpuCapMilli > 1000) warnings.push(`The server used ${sig(cpuCapCores)} cores at lambda_cap; the request is capped at 1000m (one Node process runs JS on one thread).`);
  if (o.cpuLimit === 'equal') warnings.push('limit = request: these numbers hold only if the bench ran under that quota (--cpu-quota); the target is kept below 1/(1+tolerance) - 0.05 to avoid the HPA dead zone.');
  return {
    value: { requestMillicores, uMax, limitMillicores },
    reasoning: [
      `CPU request R = min(1000m, max(100m, ceil50(${sig(cpuCapMilli)}m))) = ${requestMillicores}m; u_max = min(1, CPU_cap/R) = ${sig(uMax)}.`,
      limitMillicores === null ? 'No CPU limit (CFS quota throttles tails; bench-method.md section 4).' : `CPU limit ${limitMillicores}m (policy "${o.cpuLimit}").`,
    ],
    warnings,
  };
}
