// The bench results file: the sample v1 file reads back; every kind of mistake is refused with a
// message naming the field, the value and what is allowed (common/validate.ts's message shapes).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BENCH_RESULTS_SCHEMA_VERSION, readBenchResults, validateBenchResults } from '../../bench/index.js';

const SAMPLE = fileURLToPath(new URL('../../../test/fixtures/bench/results-v1.json', import.meta.url));
const sample = async (): Promise<Record<string, any>> => JSON.parse(await readFile(SAMPLE, 'utf8')); // eslint-disable-line @typescript-eslint/no-explicit-any

test('the sample v1 results file reads back', async () => {
  const results = await readBenchResults(SAMPLE);
  // Version 1 still reads (only rps.targetPerPod meant something else); this code writes version 2.
  assert.equal(results.schemaVersion, 1);
  assert.equal(BENCH_RESULTS_SCHEMA_VERSION, 2);
  assert.equal(results.recommendation.hpa.targetCPUUtilizationPercentage, 65);
  assert.equal(results.recommendation.resources.cpuLimitMillicores, null);
  // It predates stealShare; the field is optional, and null (not recorded) is allowed.
  assert.equal(results.measurements.openModel.steps[0]!.stealShare, undefined);
  const doc = JSON.parse(JSON.stringify(results)) as { measurements: { openModel: { steps: { stealShare?: number | null }[] } } };
  doc.measurements.openModel.steps[0]!.stealShare = null;
  assert.equal(validateBenchResults(doc).measurements.openModel.steps[0]!.stealShare, null);
});

const cases: [string, (doc: Record<string, any>) => void, RegExp][] = [ // eslint-disable-line @typescript-eslint/no-explicit-any
  ['future schema version', (d) => (d.schemaVersion = 3), /^schemaVersion: 3 is not supported; this hello-edge reads schemaVersion 1 or 2/],
  ['unknown field', (d) => (d.recommendation.hpa.targetMemory = 1), /^recommendation\.hpa\.targetMemory: unknown key; allowed here: minReplicas, maxReplicas/],
  ['missing field', (d) => delete d.recommendation.resources.memoryLimitMiB, /^recommendation\.resources\.memoryLimitMiB: is required/],
  ['utilization out of range', (d) => (d.recommendation.hpa.targetCPUUtilizationPercentage = 150), /targetCPUUtilizationPercentage: 150 is not allowed; use a whole number from 1 to 100/],
  ['fractional replicas', (d) => (d.recommendation.hpa.minReplicas = 1.5), /minReplicas: 1\.5 is not allowed; use a whole number >= 1/],
  ['wrong type', (d) => (d.recommendation.resources.cpuRequestMillicores = '500m'), /cpuRequestMillicores: "500m" is not allowed; use a whole number/],
  ['bad enum', (d) => (d.recommendation.hpa.behavior.scaleUp.selectPolicy = 'Most'), /scaleUp\.selectPolicy: "Most" is not allowed; use Max or Min/],
  ['bad policy item', (d) => (d.recommendation.hpa.behavior.scaleDown.policies[1].periodSeconds = 3600), /scaleDown\.policies\[1\]\.periodSeconds: 3600 is not allowed; use a whole number from 1 to 1800/],
  ['max below min', (d) => (d.recommendation.hpa.maxReplicas = 1), /maxReplicas: 1 is not allowed; use >= recommendation\.hpa\.minReplicas \(2\)/],
  ['limit below request', (d) => (d.recommendation.resources.cpuLimitMillicores = 500), /cpuLimitMillicores: 500 is not allowed; use null or >= cpuRequestMillicores \(1000\)/],
  ['bad time', (d) => (d.createdAt = 'yesterday'), /createdAt: "yesterday" is not allowed; use an ISO 8601 UTC time/],
  ['not an object', (d) => (d.measurements.openModel.steps[0].latencyUs = [1, 2]), /openModel\.steps\[0\]\.latencyUs: must be a map, got a list/],
  ['steal share above 1', (d) => (d.measurements.openModel.steps[0].stealShare = 1.5), /openModel\.steps\[0\]\.stealShare: 1\.5 is not allowed; use/],
  ['request pod without a quota', (d) => (d.measurements.requestPod = { ...requestPod(d), cpuQuotaMillicores: 0 }), /^measurements\.requestPod\.cpuQuotaMillicores: 0 is not allowed; use a whole number >= 1/],
  ['request pod step out of range', (d) => (d.measurements.requestPod = { ...requestPod(d), steps: [{ ...d.measurements.openModel.steps[0], achievedRps: -1 }] }), /^measurements\.requestPod\.steps\[0\]\.achievedRps: -1 is not allowed/],
];

/** A valid recommended pod's sweep (`measurements.requestPod`): the sample's steps under a 100m quota. */
function requestPod(d: Record<string, any>): Record<string, unknown> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return { cpuQuotaMillicores: 100, predictedSloCapacityRps: 2400, steps: d.measurements.openModel.steps, remeasured: [], stillSpoiled: 0, freshServers: 0, unsettledWarmups: 0 };
}

test('a recommended pod\'s sweep reads back', async () => {
  const doc = await sample();
  doc.measurements.requestPod = requestPod(doc);
  assert.equal(validateBenchResults(doc).measurements.requestPod?.cpuQuotaMillicores, 100);
});

for (const [name, mutate, message] of cases) {
  test(`refused: ${name}`, async () => {
    const doc = await sample();
    mutate(doc);
    assert.throws(() => validateBenchResults(doc), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'HELLO_ERR_CONFIG');
      assert.match(error.message, message);
      return true;
    });
  });
}

test('readBenchResults names the file: missing, not JSON, invalid', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(readBenchResults(join(dir, 'none.json')), { code: 'HELLO_ERR_NOT_FOUND', message: /none\.json: cannot read \(ENOENT\)/ });
  await writeFile(join(dir, 'bad.json'), '{ nope');
  await assert.rejects(readBenchResults(join(dir, 'bad.json')), { code: 'HELLO_ERR_CONFIG', message: /bad\.json: is not JSON/ });
  const doc = await sample();
  doc.mode = 'fast';
  await writeFile(join(dir, 'mode.json'), JSON.stringify(doc));
  await assert.rejects(readBenchResults(join(dir, 'mode.json')), { code: 'HELLO_ERR_CONFIG', message: /mode\.json: mode: "fast" is not allowed; use one of quick, full, custom/ });
});
