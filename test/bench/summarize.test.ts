// Summaries: histograms of repetitions are merged, never averaged, with an interval on the SLO
// percentile from batches, and a step the generator abandoned is invalid; the saturation sweep
// says what set X_max; refinement rates bracket the boundary.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLatencyHistogram, decodeHistogram, rateBelow, refineRates, sloLatencyOf, studentT95, summarizeOpenStep, summarizeSaturation, type BenchOpenStep } from '../../bench/index.js';

const close = (actual: number, expected: number, tolerance: number): void => assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected} +- ${tolerance}, got ${actual}`);
import { fakeRun, rec } from './support.js';

const slo = { percentile: 99, latencyMs: 25, errorBudgetFraction: 0.001 };

test('repetitions merge their histograms; a repetition the generator abandoned makes the step invalid', () => {
  // Rep 1: 98 fast + 2 slow (its p99 is 50 ms); rep 2: 100 fast (p99 0.5 ms). Merged, the 2 slow
  // samples are 1% of 200, so p99 is 0.5 ms and p99.9 50 ms; averaging p99s would say 25 ms.
  const a = fakeRun({ latencies: [...Array(98).fill(500), 50_000, 50_000] });
  const b = fakeRun({ latencies: Array(100).fill(500), abandoned: true, stopReason: 'lag' });
  const step = summarizeOpenStep([rec(a), rec(b)], slo);
  assert.equal(decodeHistogram(step.histogram).totalCount, 200);
  assert.ok(step.latencyUs.p99 < 1000, `merged p99 ${step.latencyUs.p99}`);
  assert.ok(step.latencyUs.p999 >= 49_000, `merged p99.9 ${step.latencyUs.p999}`);
  assert.ok(step.sloLatency!.mergedUs < 1000, 'the SLO is checked on the merged percentile');
  assert.equal(step.sloLatencyUsPerRepetition.length, 2);
  assert.ok(step.sloLatencyUsPerRepetition[0]! >= 49_000 && step.sloLatencyUsPerRepetition[1]! < 1000);
  assert.equal(step.valid, false);
  assert.deepEqual(step.problems, ['rep 2: generator fell too far behind its plan; the step was stopped after 1000 measured request(s)']);
  assert.deepEqual(step.failedChecks, ['abandoned-lag']);
  assert.equal(step.requests, 2000);
});

test('the SLO percentile\'s interval: the same slow requests in one batch leave more doubt than spread over all', () => {
  // 1000 requests at 10, 20, ..., 10 000 us in ten batches of 100; the 10 above the 9.9 ms
  // bound (1%, right at p99) either all in the last batch or one in each.
  const merged = createLatencyHistogram();
  for (let i = 1; i <= 1000; i++) merged.recordValue(10 * i);
  const bound = { percentile: 99, latencyMs: 9.9, errorBudgetFraction: 0.001 };
  const requests = Array(10).fill(100);
  const lumped = sloLatencyOf(merged, [{ requests, overBound: [0, 0, 0, 0, 0, 0, 0, 0, 0, 10] }], bound);
  // F = 10/1000 = 1%; SE = sqrt(10/9 * (9 * (0 - 1)^2 + (10 - 1)^2)) / 1000 = sqrt(100) / 1000 = 1%;
  // t(9) = 1.833, so the percentile moves by 1.833 points: low = p97.17 (the 972nd value, 9720 us),
  // high = p100 (the largest, 10 000 us).
  assert.equal(lumped.overBoundFraction, 0.01);
  close(lumped.overBoundStandardError, 0.01, 1e-12);
  assert.equal(lumped.batches, 10);
  close(lumped.mergedUs, 9900, 10);
  close(lumped.lowUs, 9720, 10);
  close(lumped.highUs, 10_000, 10);
  // One in each batch: every batch has exactly 1%, no doubt; the interval is the point.
  const spread = sloLatencyOf(merged, [{ requests, overBound: Array(10).fill(1) }], bound);
  assert.equal(spread.overBoundStandardError, 0);
  assert.deepEqual([spread.lowUs, spread.highUs], [spread.mergedUs, spread.mergedUs]);
  assert.equal(studentT95(9), 1.833);
  assert.equal(studentT95(200), 1.645);
});

test('saturation: says whether the server or the generator set X_max', () => {
  const base = { seconds: 3, errors: 0, timeouts: 0, non2xx: 0, closedLoopP99Ms: 2, otherCpuCores: 0.05, stealShare: 0.004 };
  const server = summarizeSaturation([{ ...base, connections: 4, rps: 9000, serverCpuCores: 0.6, generatorCpuCores: 0.5 }, { ...base, connections: 16, rps: 12000, serverCpuCores: 0.97, generatorCpuCores: 0.7 }], 1);
  assert.equal(server.maxRps, 12000);
  assert.equal(server.limitedBy, 'server');
  assert.ok(Math.abs(server.cpuUsPerRequest! - 80.83) < 0.01);
  const generator = summarizeSaturation([{ ...base, connections: 16, rps: 20000, serverCpuCores: 0.7, generatorCpuCores: 0.99 }], 1);
  assert.equal(generator.limitedBy, 'generator');
  assert.match(generator.steps[0]!.problems[0]!, /autocannon used 0\.99 cores/);
  // Neither CPU-bound, and the machine busy with other work: unknown, with the noise named.
  const noisy = summarizeSaturation([{ ...base, connections: 64, rps: 4700, serverCpuCores: 0.12, generatorCpuCores: 0.11, otherCpuCores: 1.7 }], 1);
  assert.equal(noisy.limitedBy, 'unknown');
  assert.deepEqual(noisy.steps[0]!.problems, ['noise: other processes used 1.70 cores']);
  // The host's steal on the server's core is kept per step and named above the gate; it is noise,
  // not a reason to drop the step.
  const stolen = summarizeSaturation([{ ...base, connections: 16, rps: 4000, serverCpuCores: 0.24, generatorCpuCores: 0.3, stealShare: 0.183 }], 0.25);
  assert.equal(stolen.steps[0]!.stealShare, 0.183);
  assert.deepEqual(stolen.steps[0]!.problems, ["noise: the host stole 18.3% of the server's core"]);
  assert.equal(stolen.steps[0]!.valid, true);
  assert.equal(server.steps[0]!.stealShare, 0.004);
  // Under a 250m quota, 0.24 cores is the server's ceiling.
  assert.equal(summarizeSaturation([{ ...base, connections: 16, rps: 4000, serverCpuCores: 0.24, generatorCpuCores: 0.3 }], 0.25).limitedBy, 'server');
});

test('refineRates: two more rates between the last good step and the first bad one', () => {
  const slo = { percentile: 99, latencyMs: 25, errorBudgetFraction: 0.001 };
  const step = (offeredRps: number, p99Us: number, valid = true): BenchOpenStep =>
    ({ offeredRps, achievedRps: offeredRps, requests: 1000, errors: 0, sloLatencyUsPerRepetition: [p99Us], valid }) as unknown as BenchOpenStep;
  // 2000 -> 4000: 2000 * 2^(1/3) = 2520, 2000 * 2^(2/3) = 3175.
  assert.deepEqual(refineRates([step(1000, 900), step(4000, 30_000), step(2000, 1000)], slo, 0.99), [2520, 3175]);
  // An invalid step is a boundary too.
  assert.deepEqual(refineRates([step(1000, 900), step(2000, 1000, false)], slo, 0.99), [1260, 1587]);
  assert.deepEqual(refineRates([step(1000, 900), step(1200, 30_000)], slo, 0.99), [], 'close enough already');
  assert.deepEqual(refineRates([step(1000, 30_000), step(2000, 30_000)], slo, 0.99), [], 'nothing good to refine from');
  assert.deepEqual(refineRates([step(1000, 900), step(2000, 900)], slo, 0.99), [], 'no boundary');
  // A bad (noisy) lowest step is skipped: the boundary is after the first good one.
  assert.deepEqual(refineRates([step(500, 90_000, false), step(1000, 900), step(2000, 30_000)], slo, 0.99), [1260, 1587]);
});

test('rateBelow: half the lowest rate while no step meets the SLO on its merged percentile, down to a floor', () => {
  const slo = { percentile: 99, latencyMs: 25, errorBudgetFraction: 0.001 };
  const step = (offeredRps: number, p99Us: number, achievedRps = offeredRps): BenchOpenStep =>
    ({ offeredRps, achievedRps, requests: 1000, errors: 0, sloLatencyUsPerRepetition: [p99Us], valid: true }) as unknown as BenchOpenStep;
  assert.equal(rateBelow([step(1001, 30_000), step(2000, 90_000)], slo, 0.99, 100), 501);
  // One passing step is enough to recommend from: nothing to add.
  assert.equal(rateBelow([step(1000, 30_000), step(2000, 900)], slo, 0.99, 100), null);
  // A step the server fell short at fails too, whatever its latency.
  assert.equal(rateBelow([step(1000, 900, 900)], slo, 0.99, 100), 500);
  assert.equal(rateBelow([step(150, 30_000)], slo, 0.99, 100), null, 'half of it is below the floor');
  assert.equal(rateBelow([step(1, 30_000)], slo, 0.99, 0), null, 'nothing below 1 req/s');
  assert.equal(rateBelow([], slo, 0.99, 0), null);
});

