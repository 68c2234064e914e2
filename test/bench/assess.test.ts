// The run checks: a generator that gave up on its plan makes a step invalid, one whose lateness
// decided the SLO verdict spoils the repetition (measured again), with a reason typed by a code;
// noise and stalls mark the run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assessRun,
  checkOpenRun,
  describeOpenRunProblem,
  describeRunProblem,
  noiseOf,
  serverFellShort,
  spoiledByGenerator,
  stealOf,
  summarizeOpenStep,
  type BenchSaturation,
  type RunEvidence,
} from '../../bench/index.js';
import { fakeRun, rec } from './support.js';

const slo = { percentile: 99, latencyMs: 10, errorBudgetFraction: 0.001 };
/** 98 fast requests and 2 at 30 ms: p99 30 ms, above the 10 ms bound. */
const twoSlow = [...Array(98).fill(500), 30_000, 30_000];

test('only a generator that gave up invalidates a step; its lateness spoils a repetition only when it decided the SLO', () => {
  const table: [string, Parameters<typeof fakeRun>[0], RegExp | null][] = [
    ['healthy', {}, null],
    // Late, hot or slow to wake, but the step meets the SLO anyway: lateness can only make a step
    // look worse, so the verdict stands.
    ['late but harmless', { lagUs: 7500, eventLoopDelayP99Ms: 12, generatorCpuCores: 0.95 }, null],
    // The server's verdicts are measurements, not problems.
    ['achieved short', { achievedRps: 950 }, null],
    ['overload', { abandoned: true, stopReason: 'timeouts', timeouts: 250 }, null],
    ['server slow on its own', { latencies: twoSlow, lagUs: 7500 }, null],
    ['abandoned', { abandoned: true, stopReason: 'lag' }, /^generator fell too far behind its plan; the step was stopped after 1000 measured request/],
    [
      'lateness decided the SLO',
      { latencies: twoSlow, dispatchLatencies: Array(100).fill(500), lagUs: 29_500 },
      /^the generator's own lateness decided the SLO: p99 30\.\d\d ms from the intended send time, 0\.50 ms from dispatch \(bound 10\.00 ms; send lag p99 29\.5\d ms\)$/,
    ],
  ];
  for (const [name, over, expected] of table) {
    const problems = checkOpenRun(rec(fakeRun(over)), slo).map(describeOpenRunProblem);
    if (expected === null) assert.deepEqual(problems, [], name);
    else assert.ok(problems.length === 1 && expected.test(problems[0]!), `${name}: ${problems.join('; ')}`);
  }
});

test('noise from other processes is reported, not silently accepted', () => {
  assert.equal(noiseOf(rec(fakeRun(), 0.1)), null);
  assert.match(noiseOf(rec(fakeRun(), 1.2)) ?? '', /other processes used 1\.20 cores during the 1000 req\/s step/);
  assert.equal(noiseOf(rec(fakeRun(), null)), null);
});


test('what is worth measuring again: a repetition the generator spoiled, not one where the server fell short', () => {
  const decided = { latencies: twoSlow, dispatchLatencies: Array(100).fill(500), lagUs: 29_500 };
  assert.equal(spoiledByGenerator(rec(fakeRun()), slo), null);
  assert.equal(spoiledByGenerator(rec(fakeRun({ lagUs: 7500 })), slo), null);
  assert.match(spoiledByGenerator(rec(fakeRun(decided)), slo) ?? '', /^p99 30\.\d\d ms from the intended time, 0\.50 ms from dispatch; send lag p99 29\.5\d ms$/);
  assert.match(spoiledByGenerator(rec(fakeRun(decided), 0, 143.4), slo) ?? '', /; the whole machine stalled 143 ms$/);
  assert.match(spoiledByGenerator(rec(fakeRun({ ...decided, gcMaxPauseMs: 31.2, gcTotalMs: 80.4 })), slo) ?? '', /; its GC paused up to 31 ms \(80 ms in all\)$/);
  assert.equal(spoiledByGenerator(rec(fakeRun({ abandoned: true, stopReason: 'lag' })), slo), 'the generator fell too far behind its plan');
  assert.equal(serverFellShort(rec(fakeRun())), false);
  assert.equal(serverFellShort(rec(fakeRun({ achievedRps: 950 }))), true);
  assert.equal(serverFellShort(rec(fakeRun({ abandoned: true, stopReason: 'timeouts', timeouts: 250 }))), true);
  // The step keeps the worst repetition's stall time.
  assert.equal(summarizeOpenStep([rec(fakeRun(), 0, 40), rec(fakeRun(), 0, 90)], slo).machineStallMs, 90);
  assert.equal(summarizeOpenStep([rec(fakeRun())], slo).machineStallMs, null);
});

test('the whole run: each problem has its code, and a clean run has none', () => {
  const saturation: BenchSaturation = { steps: [], maxRps: 10_000, cpuUsPerRequest: 25, limitedBy: 'server' };
  const clean: RunEvidence = {
    otherCoresBefore: 0.05,
    cpus: 2,
    setupNotes: [],
    quotaAskedForUrl: false,
    serverPidKnown: true,
    saturation,
    saturationRuns: [],
    records: [rec(fakeRun())],
    steps: [summarizeOpenStep([rec(fakeRun())], slo)],
    openSeconds: 10,
    stillSpoiled: 0,
    unsettledWarmups: 0,
    slo,
  };
  assert.deepEqual(assessRun(clean), []);
  const table: [Partial<RunEvidence>, string][] = [
    [{ otherCoresBefore: 1.2 }, 'busy-before'],
    [{ cpus: 1 }, 'one-cpu'],
    [{ setupNotes: ['taskset could not pin pid 1 to CPU 1: no such CPU'] }, 'setup'],
    [{ quotaAskedForUrl: true }, 'quota-not-for-url'],
    [{ serverPidKnown: false }, 'server-pid-unknown'],
    [{ saturation: { ...saturation, limitedBy: 'generator' } }, 'saturation-generator-bound'],
    // 40 ms of stalls in 10 s of measurement: 0.4%, above the 0.2% a p99 can take.
    [{ records: [rec(fakeRun(), 0, 40)] }, 'machine-stalls'],
    [{ records: [rec(fakeRun(), 1.2)] }, 'other-processes'],
    // The host stole 6% of the server's core: above the 5% gate; 5% itself is not.
    [{ records: [rec(fakeRun(), 0, null, 0.06)] }, 'host-steal'],
    [{ records: [rec(fakeRun(), 0, null, 0.05)] }, ''],
    [{ records: [rec(fakeRun({ generatorCpuCores: 0.95, latencies: twoSlow }))] }, 'generator-busy'],
    // A busy generator where the step passed, or where the server fell short anyway, is moot.
    [{ records: [rec(fakeRun({ generatorCpuCores: 0.95 }))] }, ''],
    [{ records: [rec(fakeRun({ generatorCpuCores: 0.95, latencies: twoSlow, achievedRps: 900 }))] }, ''],
    [{ stillSpoiled: 2 }, 'still-spoiled'],
    [{ unsettledWarmups: 1 }, 'unsettled-warmups'],
    [{ steps: [summarizeOpenStep([rec(fakeRun({ abandoned: true, stopReason: 'lag' }))], slo)] }, 'invalid-steps'],
  ];
  for (const [over, code] of table) assert.deepEqual(assessRun({ ...clean, ...over }).map((p) => p.code), code ? [code] : [], code);
  const [stalls] = assessRun({ ...clean, records: [rec(fakeRun(), 0, 40)] });
  assert.equal(
    describeRunProblem(stalls!),
    'noise: the whole machine stalled (every timer late by >= 20 ms; the VM paused by its host) for 40 ms over 10 s of measurement (0.40%, worst window 40 ms): high percentiles include those pauses',
  );
  const [steal] = assessRun({ ...clean, records: [rec(fakeRun(), 0, null, 0.004), rec(fakeRun(), 0, null, 0.123), rec(fakeRun(), 0, null, 0.07)] });
  assert.equal(
    describeRunProblem(steal!),
    "noise: the host stole more than 5% of the server's core in 2 of 3 open-model run(s) (worst 12.3% during the 1000 req/s step): the VM's neighbours took CPU it was ready to use, and the server's latency includes those waits",
  );
  assert.equal(stealOf(rec(fakeRun(), 0, null, 0.123)), 0.123);
  assert.equal(stealOf(rec(fakeRun(), 0, null, null)), null);
  // The step keeps the worst repetition's steal.
  assert.equal(summarizeOpenStep([rec(fakeRun(), 0, null, 0.02), rec(fakeRun(), 0, null, 0.07)], slo).stealShare, 0.07);
  const [invalid] = assessRun({ ...clean, steps: [summarizeOpenStep([rec(fakeRun({ abandoned: true, stopReason: 'lag' }))], slo)] });
  assert.equal(describeRunProblem(invalid!), '1 of 1 open-model step(s) failed the run checks: 1000 req/s (generator fell too far behind its plan; the step was stopped after 1000 measured request(s))');
});
