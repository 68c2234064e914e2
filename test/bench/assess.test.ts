// The run checks: a generator that lags, runs hot or falls short of the offered rate makes a step
// invalid with a reason, typed by a code; noise and stalls mark the run; what only the generator
// spoiled is worth measuring again.
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
  summarizeOpenStep,
  type BenchSaturation,
  type OpenModelRun,
  type RunEvidence,
} from '../../bench/index.js';
import { fakeRun, rec } from './support.js';

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

test('the whole run: each problem has its code, and a clean run has none', () => {
  const saturation: BenchSaturation = { steps: [], maxRps: 10_000, cpuUsPerRequest: 25, limitedBy: 'server' };
  const clean: RunEvidence = {
    loadAverageBefore: 0.1,
    cpus: 2,
    setupNotes: [],
    quotaAskedForUrl: false,
    serverPidKnown: true,
    saturation,
    saturationRuns: [],
    records: [rec(fakeRun())],
    steps: [summarizeOpenStep([rec(fakeRun())], 99)],
    openSeconds: 10,
  };
  assert.deepEqual(assessRun(clean), []);
  const table: [Partial<RunEvidence>, string][] = [
    [{ loadAverageBefore: 1.2 }, 'load-before'],
    [{ cpus: 1, loadAverageBefore: 0 }, 'one-cpu'],
    [{ setupNotes: ['taskset could not pin pid 1 to CPU 1: no such CPU'] }, 'setup'],
    [{ quotaAskedForUrl: true }, 'quota-not-for-url'],
    [{ serverPidKnown: false }, 'server-pid-unknown'],
    [{ saturation: { ...saturation, limitedBy: 'generator' } }, 'saturation-generator-bound'],
    // 40 ms of stalls in 10 s of measurement: 0.4%, above the 0.2% a p99 can take.
    [{ records: [rec(fakeRun(), 0, 40)] }, 'machine-stalls'],
    [{ records: [rec(fakeRun(), 1.2)] }, 'other-processes'],
    [{ steps: [summarizeOpenStep([rec(fakeRun({ lagUs: 7500 }))], 99)] }, 'invalid-steps'],
  ];
  for (const [over, code] of table) assert.deepEqual(assessRun({ ...clean, ...over }).map((p) => p.code), [code], code);
  const [stalls] = assessRun({ ...clean, records: [rec(fakeRun(), 0, 40)] });
  assert.equal(
    describeRunProblem(stalls!),
    'noise: the whole machine stalled (every timer late by >= 20 ms; the VM paused by its host) for 40 ms over 10 s of measurement (0.40%, worst window 40 ms): high percentiles include those pauses',
  );
  const [invalid] = assessRun({ ...clean, steps: [summarizeOpenStep([rec(fakeRun({ lagUs: 7500 }))], 99)] });
  assert.equal(describeRunProblem(invalid!), '1 of 1 open-model step(s) failed the run checks: 1000 req/s (generator send lag p99 7.50 ms > 5 ms)');
});
