// The pipelining bound shared by hello and the prober: a handler that answers later (as the
// prober's do) must not let one connection pile up unanswered requests without limit.
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { limitPipelining } from '../../common/index.js';

test('an async handler: past the bound the connection is dropped and the rest of the flood does no work', async (t) => {
  const waiting: ServerResponse[] = [];
  let dropped = 0;
  const server = createServer(limitPipelining((_req, res) => void waiting.push(res), 8, () => (dropped += 1)));
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => server.close());
  const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.on('error', () => undefined);
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(5000));
  await closed;
  assert.equal(dropped, 1);
  // The first request (not queued) and 8 queued ones reached the handler; nothing after the drop.
  assert.equal(waiting.length, 9);
  for (const res of waiting) res.destroy();
});

test('a client that pipelines and reads is served in full, however many requests it sends', async (t) => {
  const server = createServer(limitPipelining((_req, res) => setImmediate(() => res.end('ok')), 8));
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => server.close());
  const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
  t.after(() => socket.destroy());
  let received = '';
  const all = new Promise<void>((resolve) => {
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if ((received.match(/HTTP\/1\.1 200/g) ?? []).length === 8) resolve();
    });
  });
  // Eight at once: at the bound, not past it.
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(8));
  await all;
  assert.equal(socket.destroyed, false);
});
