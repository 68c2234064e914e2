import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOCUMENTED_CAPACITY, ORIGINAL_MEASURED, ORIGINAL_SETUP, computeCost, parseFleetConfig, readBenchCapacity } from '../../infra/index.js';
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
  // total at max: a 400m + b 300m + prober 2 x 60m
  assert.equal(report.total.max.requests.cpuMillis, 400 + 300 + 120);
  assert.equal(report.total.min.replicas, 2 + 3 + 2);
  // original: 2 apps x HPA 3..10 at the LimitRange defaults (50m/64Mi requests, 250m/256Mi
  // limits) + one shared exporter at the same defaults
  assert.equal(report.original.total.min.requests.cpuMillis, 2 * 3 * 50 + 50);
  assert.equal(report.original.total.min.requests.memoryBytes, (2 * 3 + 1) * 64 * Mi);
  assert.equal(report.original.total.max.replicas, 2 * 10 + 1);
  assert.equal(report.original.total.max.limits.cpuMillis, (2 * 10 + 1) * 250);
  assert.equal(report.original.total.max.limits.memoryBytes, (2 * 10 + 1) * 256 * Mi);
});

test('cost at equal availability: every app at the original three replicas (or its own higher minimum), against the original as written and as measured', () => {
  const report = computeCost(parseFleetConfig({
    apps: [
      { name: 'a', host: 'a.example.com', scaling: { minReplicas: 2, maxReplicas: 4 }, resources: { requests: { cpu: '40m', memory: '80Mi' }, limits: { cpu: '200m', memory: '160Mi' } } },
      { name: 'b', host: 'b.example.com', scaling: { minReplicas: 4, maxReplicas: 6 }, resources: { requests: { cpu: '40m', memory: '80Mi' }, limits: { cpu: '200m', memory: '160Mi' } } },
    ],
    monitoring: { prober: { replicas: 2, resources: { requests: { cpu: '20m', memory: '100Mi' }, limits: { cpu: '500m', memory: '128Mi' } } } },
  }));
  const eq = report.equalAvailability;
  assert.equal(eq.replicasPerApp, ORIGINAL_SETUP.minReplicas);
  assert.deepEqual(eq.ours, { cpuMillis: (3 + 4) * 40 + 2 * 20, memoryBytes: ((3 + 4) * 80 + 2 * 100) * Mi });
  assert.deepEqual(eq.originalWritten, { cpuMillis: 2 * 3 * 50 + 50, memoryBytes: (2 * 3 + 1) * 64 * Mi });
  assert.equal(eq.originalMeasuredMemoryBytes, 2 * 3 * ORIGINAL_MEASURED.appRssBytes + ORIGINAL_MEASURED.exporterRssBytes);
  assert.equal(eq.cpuWithinOriginal, true, '320m of CPU against the original 350m');
  assert.equal(eq.memoryWithinOriginalFootprint, false, '760Mi against the 627 MB the original holds');
});

test('cost per requested core: from a bench results file when given, else the documented measurement', () => {
  const config = parseFleetConfig(minimalInput());
  const documented = computeCost(config).perCore;
  assert.equal(documented.ours.rpsPerRequestedCore, DOCUMENTED_CAPACITY.hello.sloRpsPerPod / (DOCUMENTED_CAPACITY.hello.cpuRequestMillis / 1000));
  assert.equal(documented.ratio, documented.ours.rpsPerRequestedCore / documented.original.rpsPerRequestedCore);
  // the fixture: sloCapacityPerPod 13000 at a 1000m request
  const fromBench = computeCost(config, { capacity: readBenchCapacity(repoPath('test/fixtures/bench/results-v1.json')) }).perCore;
  assert.equal(fromBench.ours.rpsPerRequestedCore, 13_000);
  assert.match(fromBench.ours.source, /results-v1\.json/);
  assert.throws(() => readBenchCapacity(repoPath('package.json')), (error: Error & { code?: string }) => error.code === 'HELLO_ERR_CONFIG' && /^--bench: ".*package\.json" is not a usable bench results file/.test(error.message));
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
