// The open-model driver against a loopback server that stalls for a known time: latency from the
// intended send time shows the stall in p99, where autocannon's closed loop (which stops sending
// while it waits) hides it; and the achieved rate matches the offered one. The assertions use the
// stall's structure (it delays ~13% of the requests by 0-400 ms) with wide margins, never
// throughput numbers of this machine.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import autocannon from 'autocannon';
import { percentileUs, runOpenModel } from '../../bench/index.js';
import { spawnServer } from '../support/child.js';

const STALL_SERVER = fileURLToPath(new URL('../../../test/fixtures/bench/stall-server.mjs', import.meta.url));
const STALL_MS = 400;

async function arm(url: string, afterMs: number): Promise<void> {
  const res = await fetch(`${url}/arm?after=${afterMs}&ms=${STALL_MS}`);
  await res.text();
}

test('open model: a 400 ms stall shows in p99 and achieved = offered; closed loop hides it', { timeout: 60_000 }, async (t) => {
  const { url } = await spawnServer(t, STALL_SERVER, {});

  // Open model: 400 req/s, 0.5 s warm-up + 3 s measured; the stall starts ~1 s into the window.
  // Requests due during the stall (~160 of 1200) wait 0-400 ms, so p99 is about 370 ms.
  await arm(url, 1500);
  const open = await runOpenModel({ url, rateRps: 400, warmupSeconds: 0.5, durationSeconds: 3, seed: 7, connections: 256, timeoutMs: 30_000, abandonAfterLagMs: 30_000 });
  const openP99Ms = percentileUs(open.response, 99) / 1000;
  assert.equal(open.planned, 1200);
  assert.equal(open.errors, 0);
  assert.equal(open.completed, open.planned);
  // The bench's own run check: if the generator itself stalled (a machine overloaded by other
  // work), its timing says nothing about the server; skip the timing assertions and say so.
  const lagP99Ms = percentileUs(open.sendLag, 99) / 1000;
  if (lagP99Ms > 50) {
    t.skip(`generator send lag p99 ${lagP99Ms.toFixed(1)} ms: this machine is too busy for the timing assertions`);
    return;
  }
  assert.ok(openP99Ms >= STALL_MS / 2, `open-model p99 ${openP99Ms} ms should show the ${STALL_MS} ms stall`);
  assert.ok(open.achievedRps >= 0.95 * 400 && open.achievedRps <= 1.05 * 400, `achieved ${open.achievedRps} req/s should match the offered 400`);
  // Service time (from the actual send) is what a closed loop sees; the stall is in it too, but
  // the response time from the intended time can only be larger.
  assert.ok(percentileUs(open.response, 99) >= percentileUs(open.service, 99));

  // Closed loop: 10 connections wait through the stall, so it yields ~10 slow samples among thousands.
  await arm(url, 1000);
  const closed = await autocannon({ url, connections: 10, duration: 3, pipelining: 1 });
  assert.ok(closed.latency.max >= STALL_MS * 0.75, `autocannon saw the stall in its max (${closed.latency.max} ms)`);
  assert.ok(closed.latency.p99 < STALL_MS / 2, `closed-loop p99 ${closed.latency.p99} ms hides the stall (open-model p99 ${openP99Ms} ms)`);
  t.diagnostic(`open-model p99 ${openP99Ms.toFixed(1)} ms vs closed-loop p99 ${closed.latency.p99} ms (max ${closed.latency.max} ms), achieved ${open.achievedRps.toFixed(1)}/400 req/s`);
});

test('open model: errors and timeouts are counted and recorded, not dropped', { timeout: 30_000 }, async (t) => {
  const { url } = await spawnServer(t, STALL_SERVER, {});
  // A 400 ms stall with a 150 ms timeout: the requests caught in it time out and still land in
  // the histogram at >= 150 ms.
  await arm(url, 700);
  const run = await runOpenModel({ url, rateRps: 200, warmupSeconds: 0.2, durationSeconds: 1.5, timeoutMs: 150, connections: 256 });
  assert.ok(run.timeouts > 0, 'some requests timed out');
  assert.equal(run.timeouts, run.errorKinds.timeout);
  assert.equal(run.errors, Object.values(run.errorKinds).reduce((a, b) => a + b, 0));
  assert.equal(run.response.totalCount, run.planned, 'every planned request is in the histogram');
  assert.ok(run.response.maxValue >= 150_000, 'timeouts recorded at >= the timeout');
  // Nothing is sent to a closed port after the plan: the run is bounded.
  assert.ok(run.wallSeconds < 1.5 + 1.5 + 1);
});

test('open model: the arrival plan is seeded and exact', async () => {
  const { planArrivals, createRandom } = await import('../../bench/index.js');
  const a = planArrivals(1000, 2, 'poisson', createRandom(42));
  const b = planArrivals(1000, 2, 'poisson', createRandom(42));
  assert.deepEqual(a, b);
  assert.equal(a.length, 2000);
  for (let i = 1; i < a.length; i++) assert.ok(a[i]! >= a[i - 1]!);
  assert.ok(a[a.length - 1]! < 2e6);
  // Exponential gaps: the coefficient of variation of inter-arrival times is ~1 (uniform: 0).
  const gaps = Array.from(a.subarray(1), (v, i) => v - a[i]!);
  const mean = gaps.reduce((x, y) => x + y, 0) / gaps.length;
  const sd = Math.sqrt(gaps.reduce((x, y) => x + (y - mean) ** 2, 0) / gaps.length);
  assert.ok(Math.abs(sd / mean - 1) < 0.1, `CV ${sd / mean}`);
  const u = planArrivals(1000, 2, 'uniform', createRandom(1));
  assert.equal(u[1]! - u[0]!, 1000);
});

test('a step\'s seed comes from its identity, not from what ran before it', async () => {
  const { deriveSeed } = await import('../../bench/index.js');
  assert.equal(deriveSeed(1, 8000, 2, 0), deriveSeed(1, 8000, 2, 0));
  const seeds = new Set([deriveSeed(1, 8000, 2, 0), deriveSeed(1, 8000, 2, 1), deriveSeed(1, 8000, 1, 0), deriveSeed(1, 8001, 2, 0), deriveSeed(2, 8000, 2, 0)]);
  assert.equal(seeds.size, 5, 'rate, repetition, attempt and run seed each change it');
});

test('open model: the measured window is cut into ten batches, counting the requests over the SLO bound', { timeout: 30_000 }, async (t) => {
  const { url } = await spawnServer(t, STALL_SERVER, {});
  // A 400 ms stall about 1 s into a 2 s window at 200 req/s: the requests it delays all fall in
  // the batches around it (0.2 s each); the others are far under a 100 ms bound.
  await arm(url, 1200);
  const run = await runOpenModel({ url, rateRps: 200, warmupSeconds: 0.2, durationSeconds: 2, connections: 256, sloBoundUs: 100_000 });
  assert.equal(run.batches.requests.length, 10);
  assert.equal(run.batches.requests.reduce((a, b) => a + b, 0), run.planned);
  const over = run.batches.overBound;
  assert.ok(over.reduce((a, b) => a + b, 0) > 0, 'the stall put some requests over the bound');
  // Latency from dispatch leaves out the generator's own lateness: never more than from the intended time.
  assert.ok(percentileUs(run.fromDispatch, 99) <= percentileUs(run.response, 99));
  if (percentileUs(run.sendLag, 99) / 1000 > 50) {
    t.skip('generator send lag p99 over 50 ms: this machine is too busy for the timing assertion');
    return;
  }
  assert.ok(over.filter((k) => k > 0).length <= 4, `the slow requests are in a few neighbouring batches: ${over.join(',')}`);
});
