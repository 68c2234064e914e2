// The recommended pod's sweep offers the plan's fractions of the predicted capacity up to the
// measured pod's capacity, and that capacity on top (the sweep itself runs in run.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QUICK_PLAN } from '../../bench/index.js';
import { requestPodFractions } from '../../bench/request-pod-sweep.js';

const fractions = (predictedSloCapacityRps: number, ceilingRps: number): number[] =>
  requestPodFractions({ plan: QUICK_PLAN, predictedSloCapacityRps, ceilingRps });

test('the request pod is offered up to the measured pod\'s capacity, and that capacity on top', () => {
  assert.deepEqual(QUICK_PLAN.requestPodRateFractions, [0.5, 0.7, 0.85, 1.0, 1.15, 1.3, 1.6]);
  // The line's prediction far below the measured pod's capacity: every fraction, then 3x.
  assert.deepEqual(fractions(1000, 3000), [0.5, 0.7, 0.85, 1.0, 1.15, 1.3, 1.6, 3]);
  // Between two fractions: those below it, then the capacity itself.
  assert.deepEqual(fractions(1000, 1250), [0.5, 0.7, 0.85, 1.0, 1.15, 1.25]);
  // Within 5% of the highest fraction kept, it adds nothing.
  assert.deepEqual(fractions(1000, 1200), [0.5, 0.7, 0.85, 1.0, 1.15]);
  // The prediction is the capacity (it never exceeds it): up to 1.
  assert.deepEqual(fractions(1000, 1000), [0.5, 0.7, 0.85, 1.0]);
});
