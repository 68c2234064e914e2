/**
 * Reading a bench results file for `resources: {fromBench: FILE}`: bench/'s versioned format,
 * validated by bench/, reduced to what infra needs. The recommendation is returned as the file
 * says it; load.ts makes (and reports) any adjustment.
 */
import { type BenchResults, validateBenchResults } from '../../bench/contract.js';
import { readConfigText } from '../../common/config-file.js';
import { ConfigError, describeError } from '../../common/index.js';
import type { BenchRecommendation } from './types.js';

/**
 * Reads and validates a bench results file (infra's one reader of bench's format).
 * @throws NotFoundError when it cannot be read; ConfigError naming the file (not UTF-8, not JSON)
 *   or the field inside it.
 */
export function readBenchResultsFile(file: string): BenchResults {
  const text = readConfigText(file, 'bench results file');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, `cannot be read as JSON: ${describeError(error)}`);
  }
  return validateBenchResults(doc);
}

/**
 * Reads a bench results file and returns its recommendation and whether the run passed its own
 * checks. Ephemeral storage is not measured by the bench, so none is returned for it.
 * @throws ConfigError naming the file (unreadable, not JSON) or the field inside it.
 */
export function readBenchRecommendation(file: string): BenchRecommendation {
  const results = readBenchResultsFile(file);
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
