// The hello service the bench starts: as its image starts it (the same node flags), its GC pauses
// visible to the bench, and replaceable by a fresh process (after an overload, or before a lower
// rate) that answers at once.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { silentLogger } from '../../common/index.js';
import { sendClosedLoop, startHelloTarget, warmupVerdict } from '../../bench/index.js';
import { readImageCommand } from '../../bench/scripts/workload.js';
import { argvOf } from '../support/child.js';

/** The node flags of Dockerfile.hello's entry point, each on the process's command line before the script. */
function assertImageFlags(pid: number): void {
  const args = argvOf(pid);
  const { nodeFlags } = readImageCommand('Dockerfile.hello');
  assert.ok(nodeFlags.length > 0, 'the image sets node flags');
  const script = args.findIndex((a) => a.endsWith('hello/main.js'));
  for (const flag of nodeFlags) assert.ok(args.indexOf(flag) > 0 && args.indexOf(flag) < script, `${flag} in ${JSON.stringify(args)}`);
}

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
  assertImageFlags(first!);
  assert.deepEqual(target.nodeFlags, readImageCommand('Dockerfile.hello').nodeFlags, 'the flags it reports are the image\'s');
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

  const warmup = await target.fresh();
  // Warmed up until V8's background threads went quiet: never on the first slice, which always
  // has the optimizing compiler at work.
  assert.ok(warmup !== null && warmup.requests >= 10_000 && warmup.requests % 5000 === 0, JSON.stringify(warmup));
  assert.equal(warmup.settled, process.platform === 'linux' ? true : null);
  assert.notEqual(target.pid, first, 'a new process');
  assertImageFlags(target.pid!);
  assert.throws(() => process.kill(first!, 0), 'the old one is gone');
  const res = await fetch(target.url);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'Hello World!');
  target.markGc();
  assert.ok((await target.readGc()) !== null, 'the fresh process reports its GC too');

  // Ctrl-C before a replacement: nothing is replaced.
  const before = target.pid;
  await assert.rejects(target.fresh(AbortSignal.abort()), { code: 'HELLO_ERR_ABORTED' });
  assert.equal(target.pid, before);
  // Ctrl-C during one: the warm-up (never done within its first slice, above) stops, and close
  // stops the new process.
  const stop = new AbortController();
  const replacing = target.fresh(stop.signal);
  for (let waited = 0; target.pid === before && waited < 10_000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
  stop.abort();
  await assert.rejects(replacing, { code: 'HELLO_ERR_ABORTED' });
  const replacement = target.pid!;
  assert.notEqual(replacement, before);
  assert.throws(() => process.kill(before!, 0), 'the old one is gone');
  await target.close();
  assert.throws(() => process.kill(replacement, 0), 'close stopped the new one');
});

test('a warm-up ends at the first quiet slice, or after 12 slices, or after 4 when the threads cannot be seen', () => {
  // Slices of 5,000 requests; "quiet" is at most one clock tick (10 ms) of the background threads' CPU.
  assert.equal(warmupVerdict(1, 0.08), null);
  assert.deepEqual(warmupVerdict(2, 0.01), { requests: 10_000, settled: true });
  assert.deepEqual(warmupVerdict(5, 0), { requests: 25_000, settled: true });
  assert.equal(warmupVerdict(11, 0.02), null);
  assert.deepEqual(warmupVerdict(12, 0.02), { requests: 60_000, settled: false });
  assert.equal(warmupVerdict(3, null), null);
  assert.deepEqual(warmupVerdict(4, null), { requests: 20_000, settled: null });
});

test('the warm-up\'s requests under way are aborted, not waited for', { timeout: 10_000 }, async (t) => {
  // A server that accepts and never answers: only an abort ends the requests.
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const stop = new AbortController();
  const sending = sendClosedLoop(`http://127.0.0.1:${port}/`, 100, stop.signal);
  while (sockets.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  stop.abort();
  await assert.rejects(sending);
});
