// hello under a hostile client, inside a memory cgroup of its pod's limit: pipelined requests that
// are never read cost bounded memory (the connection is dropped), and a connection cap holds.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { readImageCommand } from '../../bench/scripts/workload.js';
import { DEFAULT_RESOURCES } from '../../infra/index.js';
import { memoryCgroup } from '../support/cgroup.js';
import { spawnListening, spawnServer } from '../support/child.js';
import { healthyWithin, pipelineFlood } from '../support/hostile.js';

const MAIN = fileURLToPath(new URL('../../hello/main.js', import.meta.url));
// hello as its pod runs it: infra's default memory limit, the image's node flags (the heap cap).
const POD_LIMIT_BYTES = DEFAULT_RESOURCES.limits.memoryBytes;
const { nodeFlags } = readImageCommand('Dockerfile.hello');

const DROPPED = 'dropped a connection with too many unanswered pipelined requests';
// Connections flooding together, up to the default connection cap (1,024). Their reads arrive in
// one turn of the event loop; before the drop stopped node's parse (common/http-limits.ts) each
// built all ~2,000 requests of its read first, about 1 MiB of heap per connection: 100 such
// connections ended in a V8 heap abort in one run of eight.
const CONNECTIONS = 1000;

// hello answers at once, but an answer to a pipelined request waits behind the one before it until
// that one is handed to the kernel; a client that never reads fills the kernel's buffers, and then
// every answer waits. Past the pipelining bound (common/http-limits.ts) the connection is dropped.
test(`${CONNECTIONS} connections pipelining 20,000 requests each and never reading: hello drops them and stays under its pod limit`, { timeout: 120_000 }, async (t) => {
  const group = memoryCgroup(t, POD_LIMIT_BYTES);
  if (!group) return;
  const { command, args } = group.wrap(process.execPath, [...nodeFlags, MAIN]);
  const hello = await spawnListening(t, command, args, { env: { ...process.env, PORT: '0', HOST: '127.0.0.1' }, timeoutMs: 10_000 });
  const port = Number(new URL(hello.url).port);
  const drops = (): number => hello.logs.filter((l) => l.msg === DROPPED).length;

  await pipelineFlood({ port, path: '/', connections: CONNECTIONS, requests: 20_000, done: () => drops() >= CONNECTIONS, timeoutMs: 30_000 });

  assert.equal(group.oomKills(), 0, 'no OOM kill in the pod-sized cgroup');
  assert.equal(hello.child.exitCode, null, 'hello still runs');
  assert.equal(drops(), CONNECTIONS, `every flooding connection was dropped, and the drop logged; other logs: ${JSON.stringify(hello.logs.filter((l) => l.msg !== DROPPED).slice(0, 5))}`);
  // A liveness bound, not a timing: before the bound counted answers waiting for the kernel, hello
  // held every parsed request of a read and took 4 s to 90+ s to answer again once the flood closed.
  const recoveredMs = await healthyWithin(`${hello.url}/healthz`, 30_000);
  t.diagnostic(`answered /healthz ${Math.round(recoveredMs)} ms after the flood ended`);
  const peakMiB = group.peakBytes() / 2 ** 20;
  t.diagnostic(`peak cgroup memory ${peakMiB.toFixed(1)} MiB of ${POD_LIMIT_BYTES / 2 ** 20} MiB`);
  assert.ok(peakMiB < (POD_LIMIT_BYTES / 2 ** 20) * 0.9, `peak ${peakMiB.toFixed(1)} MiB: under 90% of the limit`);
});

test('a client that pipelines a few requests and reads the answers is served in order', async (t) => {
  const hello = await spawnServer(t, MAIN, { PORT: '0', HOST: '127.0.0.1' });
  const socket = connect(Number(new URL(hello.url).port), '127.0.0.1');
  t.after(() => socket.destroy());
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(10));
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if ((received.match(/Hello World!/g) ?? []).length === 10) {
        clearInterval(check);
        resolve();
      }
    }, 20);
  });
  assert.equal((received.match(/HTTP\/1\.1 200 OK/g) ?? []).length, 10);
});

test('the connection cap: past HELLO_MAX_CONNECTIONS new connections are closed at once', async (t) => {
  const hello = await spawnServer(t, MAIN, { PORT: '0', HOST: '127.0.0.1', HELLO_MAX_CONNECTIONS: '3' });
  const port = Number(new URL(hello.url).port);
  const open = await Promise.all(Array.from({ length: 3 }, () => new Promise<ReturnType<typeof connect>>((resolve) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
  })));
  t.after(() => open.forEach((s) => s.destroy()));
  const extra = connect(port, '127.0.0.1');
  const closed = await new Promise<boolean>((resolve) => {
    extra.on('close', () => resolve(true));
    extra.on('error', () => undefined);
    extra.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    setTimeout(() => resolve(false), 3000);
  });
  assert.equal(closed, true, 'the fourth connection was closed');
  const res = await new Promise<string>((resolve) => {
    let text = '';
    open[0]!.on('data', (c) => (text += c.toString()));
    open[0]!.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    setTimeout(() => resolve(text), 500);
  });
  assert.match(res, /^HTTP\/1\.1 200/, 'connections under the cap are served');
});
