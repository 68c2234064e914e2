import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../../common/index.js';
import { loadHelloConfig, startHelloService, type HelloService } from '../../hello/index.js';

async function start(t: TestContext, env: Record<string, string> = {}): Promise<HelloService> {
  const service = await startHelloService(
    loadHelloConfig({ PORT: '0', HOST: '127.0.0.1', HELLO_DRAIN_DELAY: '200ms', HELLO_SHUTDOWN_TIMEOUT: '5s', ...env }),
    silentLogger,
  );
  t.after(() => service.shutdown('test over'));
  return service;
}

/** Sends raw bytes and resolves with everything the server wrote before closing (or `waitMs`). */
function rawExchange(url: string, payload: string, waitMs = 2000): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(received);
    }, waitMs);
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on('error', reject);
    socket.write(payload);
  });
}

const routes: { method: string; path: string; status: number; body: string; allow?: string }[] = [
  { method: 'GET', path: '/', status: 200, body: 'Hello World!' },
  { method: 'GET', path: '/?utm=x', status: 200, body: 'Hello World!' },
  { method: 'HEAD', path: '/', status: 200, body: '' },
  { method: 'POST', path: '/', status: 405, body: 'Method Not Allowed\n', allow: 'GET, HEAD' },
  { method: 'DELETE', path: '/', status: 405, body: 'Method Not Allowed\n', allow: 'GET, HEAD' },
  { method: 'GET', path: '/healthz', status: 200, body: 'ok\n' },
  { method: 'GET', path: '/readyz', status: 200, body: 'ok\n' },
  { method: 'PUT', path: '/readyz', status: 405, body: 'Method Not Allowed\n', allow: 'GET, HEAD' },
  { method: 'GET', path: '/nope', status: 404, body: 'Not Found\n' },
  { method: 'GET', path: '/index.html', status: 404, body: 'Not Found\n' },
];

test('routes', async (t) => {
  const service = await start(t);
  for (const route of routes) {
    const res = await fetch(`${service.url}${route.path}`, { method: route.method });
    assert.equal(res.status, route.status, `${route.method} ${route.path}`);
    assert.equal(await res.text(), route.body, `${route.method} ${route.path}`);
    assert.equal(res.headers.get('allow'), route.allow ?? null, `${route.method} ${route.path}`);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  }
});

test('GET / sends lean headers: no server banner, exact length, text/plain utf-8', async (t) => {
  const service = await start(t);
  const raw = await rawExchange(service.url, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const [head, body] = raw.split('\r\n\r\n');
  const names = head!.split('\r\n').slice(1).map((line) => line.split(':')[0]!.toLowerCase()).sort();
  assert.deepEqual(names, ['connection', 'content-length', 'content-type', 'date']);
  assert.match(head!, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(head!, /\r\nContent-Length: 12(\r\n|$)/);
  assert.equal(body, 'Hello World!');
});

test('readiness turns 503 at once on shutdown while / keeps answering with Connection: close', async (t) => {
  const service = await start(t, { HELLO_DRAIN_DELAY: '1s' });
  assert.equal((await fetch(`${service.url}/readyz`)).status, 200);
  assert.equal(service.phase(), 'serving');
  const done = service.shutdown('test');
  assert.equal(service.phase(), 'draining');
  const ready = await fetch(`${service.url}/readyz`);
  assert.equal(ready.status, 503);
  assert.equal(await ready.text(), 'draining\n');
  const hello = await fetch(`${service.url}/`);
  assert.equal(hello.status, 200);
  assert.equal(hello.headers.get('connection'), 'close');
  assert.equal((await fetch(`${service.url}/healthz`)).status, 200, 'liveness stays 200 while draining');
  const result = await done;
  assert.equal(result.clean, true);
  assert.equal(service.phase(), 'closed');
  await assert.rejects(fetch(`${service.url}/`), 'the listener is closed after the drain');
});

test('malformed HTTP gets 400 and the server lives on', async (t) => {
  const service = await start(t);
  const raw = await rawExchange(service.url, 'GARBAGE\r\n\r\n');
  assert.match(raw, /^HTTP\/1\.1 400 Bad Request/);
  const bad2 = await rawExchange(service.url, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n');
  assert.match(bad2, /^HTTP\/1\.1 400 Bad Request/);
  const res = await fetch(`${service.url}/`);
  assert.equal(await res.text(), 'Hello World!');
});

test('an oversized header gets 431', async (t) => {
  const service = await start(t, { HELLO_MAX_HEADER_SIZE: '4096' });
  const raw = await rawExchange(service.url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
  assert.match(raw, /^HTTP\/1\.1 431 Request Header Fields Too Large/);
  assert.equal((await fetch(`${service.url}/`)).status, 200);
});

test('a slowloris client is cut off by the header timeout', async (t) => {
  const service = await start(t, { HELLO_HEADERS_TIMEOUT: '500ms', HELLO_REQUEST_TIMEOUT: '1s' });
  const { port } = new URL(service.url);
  const socket = connect(Number(port), '127.0.0.1');
  t.after(() => socket.destroy());
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
  // Trickle one header every 100 ms, never finishing: bounded at 100 headers (10 s).
  let sent = 0;
  const trickle = setInterval(() => {
    if (socket.writable && sent < 100) socket.write(`X-Slow-${sent++}: y\r\n`);
  }, 100);
  t.after(() => clearInterval(trickle));
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  clearInterval(trickle);
  assert.match(received, /^HTTP\/1\.1 408 Request Timeout/);
  assert.ok(sent < 100, 'the server closed the socket before the client gave up');
});

test('the shutdown deadline destroys what is still open and reports it', async (t) => {
  const service = await start(t, { HELLO_DRAIN_DELAY: '100ms', HELLO_SHUTDOWN_TIMEOUT: '600ms' });
  const { port } = new URL(service.url);
  // A request that never completes its headers (well within the 10 s headers timeout).
  const socket = connect(Number(port), '127.0.0.1');
  t.after(() => socket.destroy());
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const result = await service.shutdown('test');
  assert.equal(result.clean, false);
  assert.equal(result.forcedConnections, 1);
  await closed;
});
