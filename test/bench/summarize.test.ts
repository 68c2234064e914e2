// The run checks: a generator that lags, runs hot or falls short of the offered rate makes a step
// invalid with a reason; histograms of repetitions are merged, never averaged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkOpenRun,
  createLatencyHistogram,
  describeOpenRunProblem,
  decodeHistogram,
  noiseOf,
  refineRates,
  serverFellShort,
  spoiledByGenerator,
  summarizeOpenStep,
  summarizeSaturation,
  type BenchOpenStep,
  type OpenModelRun,
  type OpenRunRecord,
} from '../../bench/index.js';

function fakeRun(over: Partial<OpenModelRun> & { latencies?: number[]; lagUs?: number } = {}): OpenModelRun {
  const response = createLatencyHistogram();
  for (const v of over.latencies ?? [500, 600, 700]) response.recordValue(v);
  const sendLag = createLatencyHistogram();
  sendLag.recordValue(over.lagUs ?? 300);
  return {
    offeredRps: 1000,
    planned: 1000,
    completed: 1000,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    achievedRps: 1000,
    response,
    service: createLatencyHistogram(),
    sendLag,
    eventLoopDelayP99Ms: 1,
    generatorCpuCores: 0.2,
    errorKinds: {},
    abandoned: false,
    stopReason: null,
    maxInFlight: 3,
    queuedInPool: 0,
    wallSeconds: 1,
    gcMaxPauseMs: 1,
    gcTotalMs: 2,
    ...over,
  };
}
const rec = (run: OpenModelRun, other: number | null = 0, machineStallMs: number | null = null): OpenRunRecord => ({ run, serverCpuCores: 0.1, otherCpuCores: other, throttledPeriods: null, machineStallMs, serverPeakRssMiB: null });

test('each generator gate names what failed', () => {
  const table: [string, Partial<OpenModelRun> & { lagUs?: number }, RegExp | null][] = [
    ['healthy', {}, null],
    ['event-loop delay', { eventLoopDelayP99Ms: 12 }, /generator event-loop delay p99 12\.00 ms > 5 ms/],
    ['send lag', { lagUs: 7500 }, /generator send lag p99 7\.50 ms > 5 ms/],
    ['generator CPU', { generatorCpuCores: 0.95 }, /generator CPU 0\.95 cores > 0\.7/],
    ['achieved short', { achievedRps: 950 }, /achieved 950 req\/s < 99% of offered 1000 req\/s/],
    ['abandoned', { abandoned: true, stopReason: 'lag' }, /generator fell too far behind its plan; the step was stopped after 1000 measured request/],
    ['overload', { abandoned: true, stopReason: 'timeouts', timeouts: 250 }, /stopped early: 250 request\(s\) timed out \(overload\) after 1000 sent/],
  ];
  for (const [name, over, expected] of table) {
    const problems = checkOpenRun(rec(fakeRun(over))).map(describeOpenRunProblem);
    if (expected === null) assert.deepEqual(problems, [], name);
    else assert.ok(problems.length === 1 && expected.test(problems[0]!), `${name}: ${problems.join('; ')}`);
  }
});

test('noise from other processes is reported, not silently accepted', () => {
  assert.equal(noiseOf(rec(fakeRun(), 0.1)), null);
  assert.match(noiseOf(rec(fakeRun(), 1.2)) ?? '', /other processes used 1\.20 cores during the 1000 req\/s step/);
  assert.equal(noiseOf(rec(fakeRun(), null)), null);
});

test('repetitions merge their histograms; a bad repetition makes the step invalid', () => {
  // Rep 1: 98 fast + 2 slow (its p99 is 50 ms); rep 2: 100 fast (p99 0.5 ms). Merged, the 2 slow
  // samples are 1% of 200, so p99 is 0.5 ms and p99.9 50 ms; averaging p99s would say 25 ms.
  const a = fakeRun({ latencies: [...Array(98).fill(500), 50_000, 50_000] });
  const b = fakeRun({ latencies: Array(100).fill(500), lagUs: 6000 });
  const step = summarizeOpenStep([rec(a), rec(b)], 99);
  assert.equal(decodeHistogram(step.histogram).totalCount, 200);
  assert.ok(step.latencyUs.p99 < 1000, `merged p99 ${step.latencyUs.p99}`);
  assert.ok(step.latencyUs.p999 >= 49_000, `merged p99.9 ${step.latencyUs.p999}`);
  assert.equal(step.sloLatencyUsPerRepetition.length, 2);
  assert.ok(step.sloLatencyUsPerRepetition[0]! >= 49_000 && step.sloLatencyUsPerRepetition[1]! < 1000);
  assert.equal(step.valid, false);
  assert.deepEqual(step.problems, ['rep 2: generator send lag p99 6.00 ms > 5 ms']);
  assert.equal(step.requests, 2000);
});

test('saturation: says whether the server or the generator set X_max', () => {
  const base = { seconds: 3, errors: 0, timeouts: 0, non2xx: 0, closedLoopP99Ms: 2, otherCpuCores: 0.05 };
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

test('what is worth measuring again: generator timing spoils a run, the server falling short does not', () => {
  assert.equal(spoiledByGenerator(rec(fakeRun())), null);
  assert.equal(spoiledByGenerator(rec(fakeRun({ lagUs: 7500 }))), 'send lag p99 7.50 ms');
  assert.equal(spoiledByGenerator(rec(fakeRun({ lagUs: 7500 }), 0, 143.4)), 'send lag p99 7.50 ms; the whole machine stalled 143 ms');
  assert.equal(spoiledByGenerator(rec(fakeRun({ lagUs: 7500, gcMaxPauseMs: 31.2, gcTotalMs: 80.4 }))), 'send lag p99 7.50 ms; its GC paused up to 31 ms (80 ms in all)');
  assert.equal(spoiledByGenerator(rec(fakeRun({ eventLoopDelayP99Ms: 9 }))), 'event-loop delay p99 9.00 ms');
  assert.equal(spoiledByGenerator(rec(fakeRun({ abandoned: true, stopReason: 'lag' }))), 'the generator fell too far behind its plan');
  // Generator CPU is the driver's structural limit: measuring again would not change it.
  assert.equal(spoiledByGenerator(rec(fakeRun({ generatorCpuCores: 0.95 }))), null);
  assert.equal(serverFellShort(rec(fakeRun())), false);
  assert.equal(serverFellShort(rec(fakeRun({ achievedRps: 950 }))), true);
  assert.equal(serverFellShort(rec(fakeRun({ abandoned: true, stopReason: 'timeouts', timeouts: 250 }))), true);
  // The step keeps the worst repetition's stall time.
  assert.equal(summarizeOpenStep([rec(fakeRun(), 0, 40), rec(fakeRun(), 0, 90)], 99).machineStallMs, 90);
  assert.equal(summarizeOpenStep([rec(fakeRun())], 99).machineStallMs, null);
});
