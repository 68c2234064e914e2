/**
 * Reading a bench results file for `resources: {fromBench: FILE}`: bench/'s versioned format,
 * validated by bench/, reduced to what infra needs. The recommendation is returned as the file
 * says it; load.ts makes (and reports) any adjustment.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, describeError } from '../../common/index.js';
import { validateBenchResults } from '../../bench/index.js';
import type { BenchRecommendation } from './types.js';

/**
 * Reads a bench results file and returns its recommendation and whether the run passed its own
 * checks. Ephemeral storage is not measured by the bench, so none is returned for it.
 * @throws ConfigError naming the file (unreadable, not JSON) or the field inside it.
 */
export function readBenchRecommendation(file: string): BenchRecommendation {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(file, `cannot be read as JSON: ${describeError(error)}`);
  }
  const results = validateBenchResults(doc);
  const rec = results.recommendation;
  return {
    valid: results.validity.valid,
    problems: [...results.validity.problems],
    requests: { cpu: `${rec.resources.cpuRequestMillicores}m`, memory: `${rec.resources.memoryRequestMiB}Mi` },
    limits: { cpu: rec.resources.cpuLimitMillicores === null ? null : `${rec.resources.cpuLimitMillicores}m`, memory: `${rec.resources.memoryLimitMiB}Mi` },
    minReplicas: rec.hpa.minReplicas,
    maxReplicas: rec.hpa.maxReplicas,
    targetCpuUtilization: rec.hpa.targetCPUUtilizationPercentage,
    behavior: {
      scaleUp: { ...rec.hpa.behavior.scaleUp, policies: rec.hpa.behavior.scaleUp.policies.map((p) => ({ ...p })) },
      scaleDown: { ...rec.hpa.behavior.scaleDown, policies: rec.hpa.behavior.scaleDown.policies.map((p) => ({ ...p })) },
    },
  };
}
