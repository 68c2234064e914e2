// Comparing runs: spread relative to the median, a verdict, and the run checks that explain a
// disagreement.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compareBenchResults, validateBenchResults, type BenchResults } from '../../bench/index.js';

const sample = (): BenchResults =>
  validateBenchResults(JSON.parse(readFileSync(fileURLToPath(new URL('../../../test/fixtures/bench/results-v1.json', import.meta.url)), 'utf8')));

test('identical runs agree; one value 25% off does not, and noisy runs are named', () => {
  const a = sample();
  assert.equal(compareBenchResults([a, a, a]).agree, true);
  const b = JSON.parse(JSON.stringify(a)) as { recommendation: { rps: { targetPerPod: number } }; validity: { valid: boolean; problems: string[] } };
  b.recommendation.rps.targetPerPod = 9000 * 1.25; // median 9000, range 2250 -> 25%
  b.validity = { valid: false, problems: ['noise: load average 3.1 before the run'] };
  const c = compareBenchResults([a, b as unknown as BenchResults, a]);
  assert.equal(c.agree, false);
  const v = c.values.find((x) => x.name === 'rps.targetPerPod')!;
  assert.deepEqual(v.values, [9000, 11250, 9000]);
  assert.equal(v.median, 9000);
  assert.equal(v.spread, 0.25);
  assert.equal(v.withinTolerance, false);
  assert.equal(c.values.find((x) => x.name === 'cpuRequestMillicores')!.withinTolerance, true);
  assert.deepEqual(c.runProblems, ['run 2 (2026-11-26T07:00:00.000Z): noise: load average 3.1 before the run']);
});
