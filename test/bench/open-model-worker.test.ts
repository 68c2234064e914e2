// The open-model driver on its worker thread (bench/open-model-worker.ts), as the bench runs its
// steps: against a loopback server that stalls once, the thread's result is the driver's (the
// stall in p99, every planned request in the histograms), the window hooks run on this thread
// around it, one thread serves steps one after another, its new space stays at the small size it
// was given, an abort (also one that came before the step) stops a step early, bad options keep
// their error code, and a closed thread rejects its step and every later one.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { GeneratorThread, percentileUs } from '../../bench/index.js';
import { spawnServer } from '../support/child.js';

const STALL_SERVER = fileURLToPath(new URL('../../../test/fixtures/bench/stall-server.mjs', import.meta.url));

async function arm(url: string, afterMs: number, ms: number): Promise<void> {
  const res = await fetch(`${url}/arm?after=${afterMs}&ms=${ms}`);
  await res.text();
}

test('generator thread: a step gives the driver\'s result, with the window hooks on this thread', { timeout: 60_000 }, async (t) => {
  const { url } = await spawnServer(t, STALL_SERVER, {});
  const generator = new GeneratorThread();
  t.after(() => generator.close());
  const events: string[] = [];
  let armed: Promise<unknown> = Promise.resolve();
  // The stall is armed when the window opens (however long the thread took to start): 400 ms,
  // 0.8 s into a 2 s window at 300 req/s, so ~120 of 600 requests wait for it.
  const run = await generator.run({
    url,
    rateRps: 300,
    warmupSeconds: 0.3,
    durationSeconds: 2,
    seed: 3,
    connections: 256,
    sloBoundUs: 100_000,
    hooks: {
      windowStart: () => {
        events.push('start');
        armed = arm(url, 800, 400).catch((error: unknown) => error);
      },
      windowEnd: () => events.push('end'),
    },
  });
  assert.equal(await armed, undefined, 'the stall was armed');
  assert.deepEqual(events, ['start', 'end']);
  assert.equal(run.planned, 600);
  assert.equal(run.completed, run.planned);
  assert.equal(run.response.totalCount, run.planned, 'the histograms came back whole');
  assert.ok(run.batches.overBound.reduce((a, b) => a + b, 0) > 0, 'the stall put requests over the bound');
  if (percentileUs(run.sendLag, 99) / 1000 > 50) {
    t.skip('generator send lag p99 over 50 ms: this machine is too busy for the timing assertion');
    return;
  }
  assert.ok(percentileUs(run.response, 99) >= 200_000, `p99 ${percentileUs(run.response, 99)} us shows the 400 ms stall`);
});

test('generator thread: steps one after another; the new space stays small', { timeout: 60_000 }, async (t) => {
  const { url } = await spawnServer(t, STALL_SERVER, {});
  const generator = new GeneratorThread();
  t.after(() => generator.close());
  assert.equal(generator.largestNewSpaceMiB, null, 'no step yet');
  // Enough requests for V8's default young generation to grow past 4 MiB (a thread without the
  // limit reads 16 MiB after such a step: docs/BENCHMARKS.md set 14); the limit holds it at 4.
  const [a, b] = await Promise.all([
    generator.run({ url, rateRps: 3000, warmupSeconds: 0, durationSeconds: 2, seed: 1 }),
    generator.run({ url, rateRps: 100, warmupSeconds: 0, durationSeconds: 0.5, seed: 2 }),
  ]);
  assert.equal(a.planned, 6000);
  assert.equal(b.planned, 50);
  const newSpace = generator.largestNewSpaceMiB;
  assert.ok(newSpace !== null && newSpace > 0 && newSpace <= 4, `new space ${newSpace} MiB`);
});

test('generator thread: aborts, bad options and a closed thread', { timeout: 60_000 }, async (t) => {
  const { url } = await spawnServer(t, STALL_SERVER, {});
  const generator = new GeneratorThread();
  t.after(() => generator.close());
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 300);
  const cut = await generator.run({ url, rateRps: 200, warmupSeconds: 0, durationSeconds: 10, signal: abort.signal });
  assert.ok(cut.planned < 1000, `stopped after ${cut.planned} of 2000 planned requests`);
  const early = await generator.run({ url, rateRps: 200, warmupSeconds: 0, durationSeconds: 10, signal: AbortSignal.abort() });
  assert.ok(early.planned < 200, `a signal aborted before the step: stopped after ${early.planned} requests`);
  await assert.rejects(generator.run({ url, rateRps: 0, durationSeconds: 1 }), { code: 'HELLO_ERR_INVALID_ARG', message: /rate 0/ });
  // The thread still serves after a failed step.
  assert.equal((await generator.run({ url, rateRps: 100, warmupSeconds: 0, durationSeconds: 0.3 })).completed, 30);
  const running = generator.run({ url, rateRps: 100, warmupSeconds: 0, durationSeconds: 5 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  await generator.close();
  await assert.rejects(running, /closed/);
  await assert.rejects(generator.run({ url, rateRps: 100, durationSeconds: 0.3 }), /closed/);
});
