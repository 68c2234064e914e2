// The pipelining bound shared by hello and the prober: a handler that answers later (as the
// prober's do) must not let one connection pile up unanswered requests without limit.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { test, type TestContext } from 'node:test';
import { limitPipelining, QUEUED_CONNECTIONS_PER_SERVER } from '../../common/index.js';

/** Listens on a free loopback port, closed after the test; resolves with the port. */
async function listen(t: TestContext, server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => server.close());
  return (server.address() as { port: number }).port;
}

/** Writes `requests` pipelined GETs on one connection, never reads, and resolves once the server closed it. */
async function floodUntilClosed(port: number, requests: number): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.on('error', () => undefined);
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(requests));
  await closed;
}

test('an async handler: past the bound the connection is dropped and the rest of the flood does no work', async (t) => {
  const waiting: ServerResponse[] = [];
  let dropped = 0;
  const port = await listen(t, createServer(limitPipelining((_req, res) => void waiting.push(res), 8, () => (dropped += 1))));
  await floodUntilClosed(port, 5000);
  assert.equal(dropped, 1);
  // The first request (not queued) and 8 queued ones reached the handler; nothing after the drop.
  assert.equal(waiting.length, 9);
  for (const res of waiting) res.destroy();
});

test('the drop stops node parsing the rest of the read: no request objects are built for it', async (t) => {
  let dropped = 0;
  const server = createServer(limitPipelining((_req, res) => res.end('ok'), 8, () => (dropped += 1)));
  // Every request node builds is emitted, whether or not the wrapped handler does work for it.
  let built = 0;
  server.on('request', () => (built += 1));
  // ~2,400 of these 27-byte requests fit in one 64 KiB read; without the stop node built them all.
  await floodUntilClosed(await listen(t, server), 5000);
  assert.equal(dropped, 1);
  // The first, 8 queued and the one that found the queue full; the parse stopped there.
  assert.ok(built <= 10, `node built ${built} requests on the dropped connection; the parse should stop at the drop`);
});

test('an async handler: a client that pipelines up to the bound and reads is served in full', async (t) => {
  const server = createServer(limitPipelining((_req, res) => setImmediate(() => res.end('ok')), 8));
  const socket = connect(await listen(t, server), '127.0.0.1');
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

test('a synchronous handler: answers not yet handed to the kernel count, so one write of more than the bound is dropped even from a reader', async (t) => {
  let dropped = 0;
  const server = createServer(limitPipelining((_req, res) => res.end('ok'), 8, () => (dropped += 1)));
  const port = await listen(t, server);
  const exchange = async (requests: number): Promise<{ answers: number; closed: boolean }> => {
    const socket = connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    const answers = (): number => (received.match(/HTTP\/1\.1 200/g) ?? []).length;
    const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(requests));
    let check: NodeJS.Timeout | undefined;
    const answered = new Promise<boolean>((resolve) => {
      check = setInterval(() => answers() === requests && resolve(false), 10);
    });
    const done = await Promise.race([closed, answered]);
    clearInterval(check);
    return { answers: answers(), closed: done };
  };
  // node parses one read in one go, and an answer's 'finish' comes a tick after its write: so all
  // but the first request of a read queue behind an answer, and the bound is per read.
  assert.deepEqual(await exchange(9), { answers: 9, closed: false }, 'the first plus 8 queued: at the bound');
  assert.equal(dropped, 0);
  const deep = await exchange(500);
  assert.equal(deep.closed, true, 'a read of 500 pipelined requests is dropped');
  assert.equal(dropped, 1);
});

test('the server-wide bound: with 8 connections\' worth of answers queued, a connection that queues one more is dropped', async (t) => {
  const waiting: ServerResponse[] = [];
  let dropped = 0;
  const scopes: string[] = [];
  const server = createServer(limitPipelining((_req, res) => void waiting.push(res), 8, (_socket, bound) => {
    dropped += 1;
    scopes.push(`${bound.scope} ${bound.limit}`);
  }));
  const port = await listen(t, server);
  const open = (requests: number): Promise<void> => {
    const socket = connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    socket.on('error', () => undefined);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(requests));
    const expected = waiting.length + requests;
    return new Promise((resolve) => {
      const check = setInterval(() => (waiting.length >= expected || dropped > 0) && (clearInterval(check), resolve()), 5);
    });
  };
  // Each connection: its first request holds the socket, the next 7 queue. 9 connections queue 63.
  for (let i = 0; i < QUEUED_CONNECTIONS_PER_SERVER + 1; i++) await open(8);
  assert.equal(dropped, 0, 'each connection stays within its own bound');
  // The 64th queued answer fills the server; the 65th drops its connection.
  await open(3);
  assert.equal(dropped, 1);
  assert.deepEqual(scopes, ['server 64'], 'the drop names the server-wide bound');
  // Once the queued answers are handed to the kernel, the server queues again.
  for (const res of waiting) res.end('ok');
  await new Promise((resolve) => setTimeout(resolve, 50));
  await open(8);
  assert.equal(dropped, 1, 'a connection is accepted again once the queue drained');
});
