import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeCost, parseFleetConfig } from '../../infra/index.js';
import { minimalInput, repoPath } from './support.js';

const Mi = 2 ** 20;

test('cost: per-app envelope at min and max replicas, prober, total, and the original setup', () => {
  const report = computeCost(parseFleetConfig({
    apps: [
      { name: 'a', host: 'a.example.com', scaling: { minReplicas: 2, maxReplicas: 4 }, resources: { requests: { cpu: '100m', memory: '100Mi' }, limits: { cpu: '200m', memory: '200Mi' } } },
      { name: 'b', host: 'b.example.com', scaling: { minReplicas: 3, maxReplicas: 6 }, resources: { requests: { cpu: '50m', memory: '50Mi' }, limits: { cpu: '100m', memory: '100Mi' } } },
    ],
  }));
  assert.deepEqual(report.apps[0], {
    name: 'a',
    min: { replicas: 2, requests: { cpuMillis: 200, memoryBytes: 200 * Mi }, limits: { cpuMillis: 400, memoryBytes: 400 * Mi } },
    max: { replicas: 4, requests: { cpuMillis: 400, memoryBytes: 400 * Mi }, limits: { cpuMillis: 800, memoryBytes: 800 * Mi } },
  });
  assert.equal(report.prober?.min.replicas, 2);
  // total at max: a 400m + b 300m + prober 2 x 50m
  assert.equal(report.total.max.requests.cpuMillis, 400 + 300 + 100);
  assert.equal(report.total.min.replicas, 2 + 3 + 2);
  // original: 2 apps x 3 replicas x 50m + 2 exporters x 50m, no limits
  assert.equal(report.original.total.min.requests.cpuMillis, 2 * 3 * 50 + 2 * 50);
  assert.equal(report.original.total.min.requests.memoryBytes, (2 * 3 + 2) * 64 * Mi);
  assert.equal(report.original.total.max.limits.cpuMillis, null);
});

test('cost: no prober line with a shared exporter; a bench app without CPU limit makes the CPU limit total unbounded', () => {
  const report = computeCost(parseFleetConfig(minimalInput(
    { monitoring: { prober: { mode: 'shared', url: 'bb.monitoring.svc:9115' } } },
    { resources: { fromBench: repoPath('test/fixtures/bench/results-v1.json') } },
  )));
  assert.equal(report.prober, undefined);
  assert.equal(report.total.max.limits.cpuMillis, null);
  assert.equal(report.total.max.limits.memoryBytes, 4 * 128 * Mi);
});
