// The hello service the bench starts: its GC pauses are visible to the bench, and it can be
// replaced by a fresh process (after an overload step) that answers at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../common/index.js';
import { startHelloTarget } from '../../bench/index.js';

async function load(url: string, requests: number): Promise<void> {
  for (let i = 0; i < requests; i++) {
    const res = await fetch(url);
    await res.arrayBuffer();
  }
}

test('started hello: GC pauses by window, and a fresh process on demand', { timeout: 60_000 }, async (t) => {
  const target = await startHelloTarget({ cpus: null, quotaMillicores: null, logger: silentLogger });
  t.after(() => target.close());
  const first = target.pid;
  target.markGc();
  // Enough requests that a young generation fills at least once.
  await load(target.url, 2000);
  const gc = await target.readGc();
  assert.ok(gc !== null, 'the GC report arrived');
  assert.ok(gc.count >= 1 && gc.totalMs > 0 && gc.maxMs > 0 && gc.maxMs <= gc.totalMs, JSON.stringify(gc));
  // A window with nothing in it reports (nearly) nothing.
  target.markGc();
  const idle = await target.readGc();
  assert.ok(idle !== null && idle.count <= 1, JSON.stringify(idle));

  assert.equal(await target.fresh(), true);
  assert.notEqual(target.pid, first, 'a new process');
  assert.throws(() => process.kill(first!, 0), 'the old one is gone');
  const res = await fetch(target.url);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'Hello World!');
  target.markGc();
  assert.ok((await target.readGc()) !== null, 'the fresh process reports its GC too');
});
