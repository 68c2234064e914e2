// The HPA simulation: scale-up lag, stabilization and policies, worked through by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulateHpa, type HpaSimulationInput } from '../../bench/index.js';

// One pod: 1 core request, CPU = rate / 1000 (1 core at 1000 req/s), SLO capacity 1000 req/s.
const base: Omit<HpaSimulationInput, 'traffic' | 'durationSeconds'> = {
  requestCores: 1,
  targetUtilization: 0.8,
  minReplicas: 2,
  maxReplicas: 50,
  scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }, { type: 'Pods', value: 4, periodSeconds: 15 }] },
  scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }, { type: 'Pods', value: 2, periodSeconds: 60 }] },
  tolerance: 0.1,
  syncPeriodSeconds: 15,
  metricsResolutionSeconds: 15,
  podReadySeconds: 15,
  cpuAtRate: (rps) => rps / 1000,
  sloCapacityRps: 1000,
};

test('steady load inside the tolerance band: nothing moves, no violation', () => {
  // 1600 req/s on 2 pods: 0.8 cores each = exactly the target.
  const r = simulateHpa({ ...base, traffic: () => 1600, durationSeconds: 600 });
  assert.equal(r.violationSeconds, 0);
  assert.equal(r.peakReplicas, 2);
  assert.equal(r.finalReplicas, 2);
});

test('a step up breaks the SLO until new pods are ready, then the HPA catches up', () => {
  // 1600 -> 3000 req/s at t = 100 on 2 pods: 1500 req/s per pod > 1000, a violation from t = 100.
  // Sample at t = 105 averages t = 91..105: (9 x 0.8 + 6 x 1.5) / 15 = 1.08 cores -> ratio 1.35 ->
  // desired ceil(1.35 x 2) = 3 at the sync at t = 105; the pod is ready at t = 120.
  // From t = 120, 3 pods get 1000 req/s each: at capacity, not above it. So 20 s of violation.
  const r = simulateHpa({ ...base, traffic: (t) => (t < 100 ? 1600 : 3000), durationSeconds: 400 });
  assert.equal(r.firstViolationAt, 100);
  assert.equal(r.violationSeconds, 20);
  assert.equal(r.replicasOverTime[104], 2);
  assert.equal(r.replicasOverTime[105], 3);
  // At t = 120 the two old pods' samples (t = 106..120) average (14 x 1.5 + 1.0) / 15 = 1.467
  // cores; the new pod has no sample yet and counts as 0: 2.933 / (3 x 0.8) = 1.22 > 1.1 ->
  // ceil(1.22 x 3) = 4. With 4 pods at 0.75 cores (ratio 0.94, inside the tolerance) it stays.
  assert.equal(r.replicasOverTime[119], 3);
  assert.equal(r.replicasOverTime[120], 4);
  assert.equal(r.finalReplicas, 4);
});

test('scale-down waits out the stabilization window, then moves by the smaller policy', () => {
  // 10 pods at 8000 req/s (0.8 cores each) until t = 600, then 1000 req/s (0.1 cores each).
  // The last high recommendation is at t = 600, so the first scale-down is at t = 900; the
  // policies allow min(50% of 10 -> 5, 10 - 2 -> 8) -> keep the larger count: 8.
  const r = simulateHpa({ ...base, initialReplicas: 10, traffic: (t) => (t < 600 ? 8000 : 1000), durationSeconds: 1500 });
  assert.equal(r.violationSeconds, 0);
  assert.equal(r.replicasOverTime[899], 10);
  assert.equal(r.replicasOverTime[900], 8);
  // 60 s later the Pods policy again allows 2 fewer: 6 at t = 960, then 4, then 2 (the floor).
  assert.equal(r.replicasOverTime[960], 6);
  assert.equal(r.finalReplicas, 2);
});

test('maxReplicas binds and is reported', () => {
  const r = simulateHpa({ ...base, maxReplicas: 3, traffic: () => 5000, durationSeconds: 300 });
  assert.equal(r.hitMaxReplicas, true);
  assert.equal(r.finalReplicas, 3);
  assert.ok(r.violationSeconds > 200);
});
