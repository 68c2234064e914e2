/**
 * A slowloris client (headers trickled one line a second, never finished) is cut by the prober's
 * 10 s headers timeout and told 408, instead of holding the socket until node's default 30 s
 * connection check and getting 400.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { silentLogger } from '../../common/index.js';
import { buildConfig, startProberServer } from '../../prober/index.js';

/** Headers timeout (10 s) + node's check interval (1 s) + room for a busy machine; the old 30 s check is past it. */
const CUT_WITHIN_MS = 20_000;

test('a slowloris client is cut by the headers timeout with 408', async (t) => {
  const prober = await startProberServer({ config: buildConfig({ modules: { http_2xx: { prober: 'http' } } }), listenAddress: '127.0.0.1:0', logger: silentLogger });
  t.after(() => prober.close());
  const url = new URL(prober.url);
  const socket = connect(Number(url.port), url.hostname);
  t.after(() => socket.destroy());
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  socket.on('error', () => undefined);
  socket.write('GET /-/healthy HTTP/1.1\r\nHost: prober\r\n');
  const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 1000);
  t.after(() => clearInterval(trickle));
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), CUT_WITHIN_MS);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  assert.ok(closed, `the connection was still open after ${CUT_WITHIN_MS} ms`);
  assert.match(answer, /^HTTP\/1\.1 408 /);
});
