// Comparing runs: spread relative to the median, a verdict, and the run checks that explain a
// disagreement.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareBenchResults, renderComparison, type BenchResults } from '../../bench/index.js';
import { runAt, sampleResults } from './support.js';

const close = (actual: number, expected: number, tolerance = 1e-9): void => assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

const sample = (): BenchResults => sampleResults(2);

test('a schemaVersion 1 run is named: its RPS target meant C_t', () => {
  const c = compareBenchResults([sample(), sampleResults(1), sample()]);
  assert.deepEqual(c.noise, ["run(s) 2: schemaVersion 1, whose rps.targetPerPod is C_t, not C_slo x u_t/u_max; `hello-cli bench --from FILE --json` recommends again with this version's rules."]);
});

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

test('a machine that ran slower in one run is named as the reason, and so are differing settings', () => {
  const a = sample();
  assert.deepEqual(compareBenchResults([a, a, a]).noise, []);
  const slow = JSON.parse(JSON.stringify(a)) as { measurements: { saturation: { cpuUsPerRequest: number }; openModel: Record<string, unknown> } };
  slow.measurements.saturation.cpuUsPerRequest = 63.3 * 1.3; // the same code costing 30% more CPU per request
  slow.measurements.openModel.remeasured = [
    { offeredRps: 1300, reason: 'send lag p99 7.50 ms; its GC paused up to 31 ms (80 ms in all)' },
    { offeredRps: 2600, reason: 'event-loop delay p99 9.00 ms' },
  ];
  slow.measurements.openModel.stillSpoiled = 0;
  const c = compareBenchResults([a, slow as unknown as BenchResults, a]);
  assert.deepEqual(c.cpuUsPerRequest.values, [63.3, 63.3 * 1.3, 63.3]);
  close(c.cpuUsPerRequest.spread, 0.3);
  assert.equal(c.cpuUsPerRequest.withinTolerance, false);
  assert.match(c.noise[0]!, /^Noise detected: the server needed 63\.3-82\.3 us of CPU per request at X_max \(30% apart\) with the same code: the machine ran at different speeds/);
  assert.match(c.noise[1]!, /^run 2: Noise detected: 2 repetition\(s\) failed/);
  // cpuUsPerRequest is a diagnosis, not a recommendation: it does not decide `agree`.
  assert.equal(c.agree, true);
  const quota = JSON.parse(JSON.stringify(a)) as { environment: { serverCpuQuotaMillicores: number | null } };
  quota.environment.serverCpuQuotaMillicores = 250;
  const differ = "The runs differ in mode, quota, pinning, the server's node flags, where the generator ran or inputs: they do not measure the same thing.";
  assert.deepEqual(compareBenchResults([a, quota as unknown as BenchResults]).noise, [differ]);
  // A server started with other node flags (or a file from before they were recorded) is another server.
  const flagged = JSON.parse(JSON.stringify(a)) as { target: { nodeFlags?: string[] } };
  flagged.target.nodeFlags = ['--single-threaded-gc'];
  assert.deepEqual(compareBenchResults([a, flagged as unknown as BenchResults]).noise, [differ]);
  assert.deepEqual(compareBenchResults([flagged as unknown as BenchResults, flagged as unknown as BenchResults]).noise, []);
});

test("each run's steal on the server's core is summed up, and files without it say so", () => {
  const a = sample();
  const stolen = JSON.parse(JSON.stringify(a)) as { measurements: { openModel: { steps: { offeredRps: number; stealShare?: number }[] } } };
  const [step] = stolen.measurements.openModel.steps;
  stolen.measurements.openModel.steps = [0.02, 0.1, 0.04].map((stealShare, i) => ({ ...step!, offeredRps: step!.offeredRps * (i + 1), stealShare }));
  const saturation = (stolen as unknown as { measurements: { saturation: { maxRps: number; steps: { rps: number; stealShare?: number }[] } } }).measurements.saturation;
  saturation.steps.find((st) => st.rps === saturation.maxRps)!.stealShare = 0.25;
  const c = compareBenchResults([a, stolen as unknown as BenchResults]);
  assert.deepEqual(c.hostSteal, [null, { median: 0.04, max: 0.1, atXMax: 0.25 }]);
  const text = renderComparison(c, ['a.json', 'b.json']);
  assert.match(text, /Host steal on the server's core, per open-model step \(median \/ worst\): run 1 not recorded, run 2 4\.0% \/ 10\.0%\./);
  assert.match(text, /Host steal during the run that set X_max: run 1 not recorded, run 2 25\.0%\./);
});

test('a run whose own repetitions disagree on the capacity is named, from files that did not say it themselves', () => {
  const a = sample();
  const wide = JSON.parse(JSON.stringify(a)) as { recommendation: { spread: Record<string, unknown>; warnings: string[] } };
  wide.recommendation.spread.lambdaCapRps = { min: 7910, median: 10600, max: 10600, samples: 3 };
  wide.recommendation.warnings = wide.recommendation.warnings.filter((w) => !w.startsWith('Noise detected'));
  const c = compareBenchResults([a, wide as unknown as BenchResults]);
  assert.ok(
    c.noise.some((n) => n === 'run 2: Noise detected: analysed alone, its 3 repetitions put the SLO capacity at 7910-10600 req/s (25% apart), more than the 10% the runs are compared at.'),
    c.noise.join('\n'),
  );
});

test('runs whose recommended values differ are told apart from runs whose intervals do not even meet', () => {
  const a = sample();
  const withInterval = (low: number, high: number, value: number): BenchResults => {
    const r = JSON.parse(JSON.stringify(a)) as { recommendation: { rps: { targetPerPod: number }; intervals: Record<string, unknown> } };
    r.recommendation.rps.targetPerPod = value;
    r.recommendation.intervals = { rpsTargetPerPod: { low, point: high, high } };
    return r as unknown as BenchResults;
  };
  const pick = (runs: BenchResults[]) => compareBenchResults(runs).values.find((v) => v.name === 'rps.targetPerPod')!;
  // 8000 and 9500 are 17% apart, but each run said 8000-10 000 and 9500-11 000: they overlap.
  assert.equal(pick([withInterval(8000, 10_000, 8000), withInterval(9500, 11_000, 9500)]).intervalsOverlap, true);
  assert.equal(pick([withInterval(8000, 8500, 8000), withInterval(9500, 11_000, 9500)]).intervalsOverlap, false);
  // A file without intervals (written before they existed): unknown.
  assert.equal(pick([a, withInterval(9500, 11_000, 9500)]).intervalsOverlap, null);
});

test("compare reads the server's CPU beside the generator's, and says whether the machine or the server moved", () => {
  // The slower machine shows in the closed loop's figure too.
  const slower = runAt(1.3);
  (slower.measurements.saturation as { cpuUsPerRequest: number }).cpuUsPerRequest *= 1.3;
  const speed = compareBenchResults([runAt(1), slower, runAt(1)]);
  assert.equal(speed.cpuUsPerRequest.withinTolerance, false);
  const m = speed.machineSpeed!;
  close(m.serverSpread, 0.3);
  close(m.ratioSpread, 0);
  assert.ok(speed.noise.some((n) => /^Noise detected: at 1414, 2000, 2828 req\/s the server's CPU was 30% apart between the runs, its ratio to the generator's CPU 0%: .*mostly the machine's speed moved/.test(n)), speed.noise.join('\n'));
  // The closed loop's verdict gives way to this one.
  assert.ok(!speed.noise.some((n) => n.includes('us of CPU per request at X_max')), speed.noise.join('\n'));
  assert.match(renderComparison(speed, ['a', 'b', 'c']), /Machine speed beside the generator: at 1414, 2000, 2828 req\/s the server used 0\.082 \/ 0\.107 \/ 0\.082 cores on average \(30\.0% apart\), 0\.54 \/ 0\.54 \/ 0\.54 times the generator's CPU \(0\.0% apart\)\./);
  const changed = compareBenchResults([runAt(1), runAt(1, 1.3), runAt(1)]);
  close(changed.machineSpeed!.ratioSpread, 0.3);
  assert.ok(changed.noise.some((n) => n.endsWith("more than the machine's speed moved between the runs (the server's state, or noise on one core only).")), changed.noise.join('\n'));
  // Within the tolerance: the figures, and no noise line.
  const steady = compareBenchResults([runAt(1), runAt(1.05), runAt(1)]);
  assert.ok(steady.machineSpeed !== null);
  assert.equal(steady.noise.length, 0);
});
