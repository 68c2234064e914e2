// The whole pipeline on a tiny plan against the hello service the bench starts itself: run ->
// summarize -> recommend -> files and report. The gates are loosened and the SLO is generous so
// the pipeline reaches a recommendation on a busy machine too; the numbers are not checked, only
// that every stage produced what the next one (and infra/) reads.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  DEFAULT_SERVER_CPU_QUOTA_MILLICORES,
  readBenchResults,
  renderBenchReport,
  runBench,
  writeBenchFiles,
  writeMeasuredRun,
  type BenchMeasuredRun,
  type BenchPlan,
  type BenchProgress,
  type RunGates,
} from '../../bench/index.js';
import { NoRecommendationError } from '../../common/index.js';
import { HELLO_NODE_FLAGS } from '../../hello/contract.js';

const TINY: BenchPlan = {
  saturationConnections: [2],
  saturationWarmupSeconds: 0.5,
  saturationSeconds: 1,
  rateFractions: [0.01, 0.02, 0.03],
  repetitions: 1,
  openWarmupSeconds: 0.3,
  openSeconds: 1,
  coolDownSeconds: 0,
  retries: 1,
  requestPodRateFractions: [0.5, 1],
  requestPodRepetitions: 1,
};
const LOOSE: RunGates = { maxGeneratorCpuCores: 1e9, minAchievedRatio: 0, maxOtherCpuCores: 1e9, maxStealShare: 1 };

test('runBench: hello started, swept, recommended, written, read back', { timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-run-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const events: BenchProgress[] = [];
  const results = await runBench({
    mode: 'custom',
    plan: TINY,
    slo: { percentile: 99, latencyMs: 10_000, errorBudgetFraction: 1 },
    inputs: { peakRps: 100 },
    gates: LOOSE,
    onProgress: (e) => events.push(e),
  });
  assert.equal(results.target.startedByBench, true);
  assert.deepEqual(results.target.nodeFlags, HELLO_NODE_FLAGS);
  // The started server runs under the default pod-sized quota, or the run says why it could not.
  assert.ok(
    results.environment.serverCpuQuotaMillicores === DEFAULT_SERVER_CPU_QUOTA_MILLICORES ||
      results.validity.problems.some((p) => p.startsWith(`CPU quota of ${DEFAULT_SERVER_CPU_QUOTA_MILLICORES}m not applied`)),
    JSON.stringify(results.validity.problems),
  );
  assert.equal(results.measurements.saturation.steps.length, 1);
  assert.equal(results.measurements.openModel.steps.length, 3);
  // No step runs on a process that was offered a higher rate. From the progress lines, in order: a
  // step is announced, a fresh process may start, the step is measured ("achieved"); at that
  // moment its rate must be at least every rate measured since the last fresh process.
  let highest = 0;
  let fresh = 0;
  let announced: number | null = null;
  const order: number[] = [];
  for (const { message } of events.filter((e) => e.phase === 'open')) {
    const rate = /^(?:open model|refine|half the lowest rate:|re-measure) (\d+) req\/s/.exec(message)?.[1];
    const warmup = /^warming up the generator thread: (\d+) req\/s/.exec(message)?.[1];
    // The generator thread's warm-up offers its rate to the process the sweep starts with.
    if (warmup !== undefined) highest = Number(warmup);
    else if (rate !== undefined) announced = Number(rate);
    else if (message.startsWith('  fresh server process')) [fresh, highest] = [fresh + 1, 0];
    else if (message.startsWith('  achieved') && announced !== null) {
      order.push(announced);
      assert.ok(announced >= highest, `${announced} req/s measured on a process offered ${highest} req/s (order ${order.join(', ')})`);
      highest = Math.max(highest, announced);
    }
  }
  assert.equal(order.length, 3);
  assert.equal(results.measurements.openModel.freshServers, fresh);
  // Every planned rate is below the generator's warm-up rate (40% of X_max), so the rule was exercised.
  assert.ok(fresh >= 1, `order ${order.join(', ')}`);
  assert.ok(results.measurements.serverPeakRssMiB !== null && results.measurements.serverPeakRssMiB > 10);
  assert.ok(results.measurements.openModel.steps.every((s) => s.serverCpuCores !== null));
  // The host's steal on the server's core is read from /proc/stat for every step (a share, 0..1).
  const isShare = (x: number | null | undefined): boolean => typeof x === 'number' && x >= 0 && x <= 1;
  assert.ok(results.measurements.openModel.steps.every((s) => isShare(s.stealShare)));
  assert.ok(results.measurements.saturation.steps.every((s) => isShare(s.stealShare)));
  // Each step has its own memory peak (the high-water mark is reset per step), never above the run's.
  const runPeak = results.measurements.serverPeakRssMiB!;
  assert.ok(results.measurements.openModel.steps.every((s) => typeof s.serverPeakRssMiB === 'number' && s.serverPeakRssMiB > 10 && s.serverPeakRssMiB <= runPeak));
  assert.equal(results.environment.serverCpuQuotaPeriodMs === null || results.environment.serverCpuQuotaPeriodMs === 10, true);
  assert.ok(results.recommendation.hpa.maxReplicas >= results.recommendation.hpa.minReplicas);
  // With a 100 req/s peak the request is the 100m floor, below the 250m quota: a pod of that
  // size gets its own sweep (under its own quota), and recommend reads its capacity from it.
  const request = results.recommendation.resources.cpuRequestMillicores;
  const quotaApplied = results.environment.serverCpuQuotaMillicores === DEFAULT_SERVER_CPU_QUOTA_MILLICORES;
  assert.ok(request < DEFAULT_SERVER_CPU_QUOTA_MILLICORES, `request ${request}m`);
  const own = results.measurements.requestPod;
  if (quotaApplied) {
    assert.equal(own?.cpuQuotaMillicores, request);
    // Half and all of its predicted capacity, and the ceiling (the most it is credited with) when that is higher.
    const ceiling = results.recommendation.intermediates.podSloCapacityCeilingRps!;
    const fractions = ceiling > 1.05 * own.predictedSloCapacityRps ? [0.5, 1, ceiling / own.predictedSloCapacityRps] : [0.5, 1];
    assert.deepEqual(own.steps.map((s) => s.offeredRps), fractions.map((f) => Math.max(1, Math.round(own.predictedSloCapacityRps * f))));
    assert.equal(results.recommendation.intermediates.podSloCapacityMeasuredRps, results.recommendation.intermediates.podSloCapacityRps);
    assert.ok(!results.recommendation.warnings.some((w) => w.includes('assumes the SLO holds up to the same share')), results.recommendation.warnings.join('\n'));
    // That sweep keeps its process for lower rates (it sizes no memory); nothing overloaded it.
    assert.equal(own.freshServers, 0);
    assert.match(renderBenchReport(results), new RegExp(`The recommended pod, under a ${request}m quota, .*its SLO capacity, \\d+ req/s, is read from these steps`));
    assert.ok(!events.some((e) => e.phase === 'request-pod' && e.message.startsWith('  fresh server process (before')));
  }
  assert.deepEqual(
    [...new Set(events.map((e) => e.phase))],
    quotaApplied ? ['setup', 'saturation', 'open', 'request-pod', 'recommend'] : ['setup', 'saturation', 'open', 'recommend'],
  );

  const files = await writeBenchFiles(results, dir);
  const back = await readBenchResults(files.results);
  assert.deepEqual(back, results);
  const svg = await readFile(files.plot, 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /SLO p99 10000 ms/);
  assert.match(svg, /operating point C_t/);
  const report = renderBenchReport(results, files);
  assert.match(report, /HPA: min \d+, max \d+, target CPU \d+%/);
  // Its first line names the node flags the bench started hello with.
  assert.ok(report.split('\n')[0]!.endsWith(`(started by the bench, node ${HELLO_NODE_FLAGS.join(' ')})`), report.split('\n')[0]);
  assert.match(report, /Reasoning:/);
  // The step table has the host's steal on the server's core, in percent.
  assert.match(report, /other cores +steal % +stalls ms/);
  const step = results.measurements.openModel.steps[0]!;
  assert.match(report, new RegExp(` ${(100 * step.stealShare!).toFixed(1)} +\\d+ +(yes|NO)\n`));
});

test('runBench: when not even the lowest rate meets the SLO there is no recommendation, but the measurements are kept', { timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-run-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // A 1 us bound no server meets stands in for a service too slow for its SLO.
  const impossible = { percentile: 99, latencyMs: 0.001, errorBudgetFraction: 1 };
  const error = await runBench({ mode: 'custom', plan: TINY, slo: impossible, inputs: { peakRps: 100 }, gates: LOOSE }).then(
    () => assert.fail('expected no recommendation'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof NoRecommendationError);
  assert.equal(error.code, 'HELLO_ERR_NO_RECOMMENDATION');
  const measured = error.measured as BenchMeasuredRun;
  assert.match(error.message, /no recommendation: the SLO p99 <= 0\.001 ms fails already at the lowest valid offered rate/);
  // Before giving up, the sweep halved the lowest of the three planned rates, up to three times
  // (to 1/8 of it; fewer only if that fell below 1 req/s), looking for a rate it could vouch for.
  const rates = measured.measurements.openModel.steps.map((s) => s.offeredRps).sort((a, b) => a - b);
  const added = rates.length - TINY.rateFractions.length;
  assert.ok(added >= 1 && added <= 3, `halvings: ${added}`);
  assert.equal(added, rates[added]! >= 8 ? 3 : added, 'three halvings from a lowest rate of 8 req/s or more');
  for (let i = 0; i < added; i++) assert.equal(rates[i], Math.round(rates[i + 1]! / 2));
  assert.ok(measured.measurements.openModel.steps.every((s) => s.sloLatency !== undefined && s.sloLatency.mergedUs > 1));
  const files = await writeMeasuredRun(measured, dir);
  assert.match(files.results, /\.invalid\.json$/);
  const doc = JSON.parse(await readFile(files.results, 'utf8')) as { recommendation: unknown };
  assert.equal(doc.recommendation, null);
  await assert.rejects(readBenchResults(files.results), { code: 'HELLO_ERR_CONFIG' });
  assert.match(await readFile(files.plot, 'utf8'), /no recommendation \(see the report\)/);
});
