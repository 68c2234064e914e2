/**
 * Loopback targets and metric parsing shared by the prober tests. Every server listens on
 * 127.0.0.1 port 0 and is closed in `t.after`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { TestContext } from 'node:test';
import { silentLogger } from '../../common/index.js';
import { buildConfig, renderProbeMetrics, runModuleProbe } from '../../prober/index.js';
import { inCI, requireTool } from '../support/tools.js';

/** Directory of the prober fixtures (source tree; they are not compiled). */
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/prober/', import.meta.url));
export const TLS_CERT = `${FIXTURES}tls-cert.pem`;
export const TLS_KEY = `${FIXTURES}tls-key.pem`;

/** Size of the body of `/big`. */
export const BIG_BODY_BYTES = 3 * 1024 * 1024;

const BIG = Buffer.alloc(BIG_BODY_BYTES, 'x');

/** Body of `/redos`: no match for `^(\w+\s?)*$`, found by backtracking in exponential time. */
export const REDOS_BODY = `${'a'.repeat(29)}!`;

// Pseudo-random a/b (a fixed LCG), so no automaton can cache its way through a period.
const AB_BODY = Buffer.alloc(1024 * 1024);
for (let i = 0, x = 1; i < AB_BODY.length; i++) {
  x = (x * 1103515245 + 12345) % 2 ** 31;
  AB_BODY[i] = x & 0x10000 ? 0x61 : 0x62;
}

/** Routes every conformance case needs, on one handler (http and https share it). */
export function targetHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  switch (url.pathname) {
    case '/':
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '12' });
      return void res.end('Hello World!');
    case '/404':
      res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': '9' });
      return void res.end('not found');
    case '/redirect':
      res.writeHead(302, { Location: '/', 'Content-Length': '0' });
      return void res.end();
    case '/loop':
      res.writeHead(302, { Location: '/loop', 'Content-Length': '0' });
      return void res.end();
    case '/slow': {
      const ms = Number(url.searchParams.get('ms') ?? '250');
      const timer = setTimeout(() => {
        res.writeHead(200, { 'Content-Length': '4' });
        res.end('slow');
      }, ms);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    case '/never':
      // Read the request, never answer: the prober's deadline must end the probe.
      req.resume();
      return;
    case '/body':
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return void res.end('status: healthy\nversion: 1.2.3\n');
    case '/header':
      res.writeHead(200, { Server: 'nginx/1.25', 'X-Version': '2.0', 'Content-Length': '2' });
      return void res.end('ok');
    case '/only-head':
      if (req.method !== 'HEAD') {
        res.writeHead(405, { 'Content-Length': '0' });
        return void res.end();
      }
      res.writeHead(200, { 'Content-Length': '12' });
      return void res.end();
    case '/post': {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const ok = req.method === 'POST' && Buffer.concat(chunks).toString() === 'ping';
        res.writeHead(ok ? 200 : 400, { 'Content-Length': ok ? '4' : '0' });
        res.end(ok ? 'pong' : undefined);
      });
      return;
    }
    case '/big':
      res.writeHead(200, { 'Content-Length': String(BIG.length) });
      return void res.end(BIG);
    case '/chunked':
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Last-Modified': 'Wed, 21 Oct 2015 07:28:00 GMT' });
      res.write('chunk one\n');
      setImmediate(() => res.end('chunk two\n'));
      return;
    case '/gzip': {
      const body = gzipSync('Hello compressed world!');
      const wantsGzip = /gzip/.test(String(req.headers['accept-encoding'] ?? ''));
      if (!wantsGzip) {
        res.writeHead(200, { 'Content-Length': '23' });
        return void res.end('Hello compressed world!');
      }
      res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': String(body.length) });
      return void res.end(body);
    }
    case '/status': {
      // A bodiless status (204, 304, 205...), optionally with a Content-Length the client must ignore.
      const headers: Record<string, string> = {};
      const length = url.searchParams.get('content-length');
      if (length !== null) headers['Content-Length'] = length;
      res.writeHead(Number(url.searchParams.get('code') ?? '204'), headers);
      return void res.end();
    }
    case '/informational':
      // 1xx answers before the final one (103, and with ?continue an unrequested 100): the client must skip them.
      if (url.searchParams.has('continue')) res.writeContinue();
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.writeHead(200, { 'Content-Length': '5' });
      return void res.end('final');
    case '/method': {
      // Answers the method and the request body, so body regexps can check what was sent.
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = `${req.method ?? ''} ${Buffer.concat(chunks).toString()}`;
        res.writeHead(200, { 'Content-Length': String(Buffer.byteLength(text)), 'X-Method': req.method ?? '' });
        res.end(text);
      });
      return;
    }
    case '/redirect-302':
    case '/redirect-303':
    case '/redirect-307':
      res.writeHead(Number(url.pathname.slice(-3)), { Location: '/method', 'Content-Length': '0' });
      return void res.end();
    case '/redos':
      // The issue's case: 30 bytes that make a backtracking engine try every split of the word.
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(REDOS_BODY.length) });
      return void res.end(REDOS_BODY);
    case '/ab':
      // 1 MiB of a and b: costly for a[ab]{1000}(c|d) in any engine (about 10^9 steps).
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(AB_BODY.length) });
      return void res.end(AB_BODY);
    case '/echo-headers':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end(JSON.stringify(req.headers));
    case '/redirect-to':
      // Sends the prober wherever `?url=` says (metadata addresses, names that resolve there).
      res.writeHead(302, { Location: url.searchParams.get('url') ?? '/', 'Content-Length': '0' });
      return void res.end();
    default:
      res.writeHead(404, { 'Content-Length': '0' });
      return void res.end();
  }
}

async function listen(t: TestContext, server: Server | ReturnType<typeof createNetServer>, host = '127.0.0.1'): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, host);
  await once(server, 'listening');
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/**
 * An http target on `host` (default 127.0.0.1; `::` listens on both families); resolves with its
 * base URL (no trailing slash).
 */
export async function startHttpTarget(t: TestContext, host = '127.0.0.1'): Promise<string> {
  const port = await listen(t, createServer(targetHandler), host);
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** An https target with the fixture's self-signed certificate (CN=localhost, SAN 127.0.0.1). */
export async function startHttpsTarget(t: TestContext): Promise<string> {
  const server = createHttpsServer({ cert: readFileSync(TLS_CERT), key: readFileSync(TLS_KEY) }, targetHandler);
  const port = await listen(t, server as unknown as Server);
  return `https://127.0.0.1:${port}`;
}

/**
 * A line-based tcp target on `host`: greets with `220 hello-edge ready`, answers `PING` with
 * `PONG`, `ECHO x` with `x`, `QUIT` with `221 bye` and a close. Resolves with `host:port`.
 */
export async function startTcpTarget(t: TestContext, host = '127.0.0.1'): Promise<string> {
  const server = createNetServer((socket) => {
    socket.write('220 hello-edge ready\r\n');
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line === 'PING') socket.write('PONG\r\n');
        else if (line.startsWith('ECHO ')) socket.write(`${line.slice(5)}\r\n`);
        else if (line === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('500 what?\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  const port = await listen(t, server, host);
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** A port on 127.0.0.1 where nothing listens (bound once, then closed). */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** One sample of an exposition. */
export interface Sample {
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** A metric family of an exposition. */
export interface Family {
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/** Parses Prometheus text format 0.0.4 into families (enough for our assertions). */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) {
      f = { type: 'untyped', help: '', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const f = family(meta[2] as string);
      if (meta[1] === 'TYPE') f.type = meta[3] as string;
      else f.help = meta[3] as string;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/.exec(line);
    if (!m) throw new Error(`cannot parse exposition line: ${line}`);
    const name = m[1] as string;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, '$1');
    const base = name.replace(/_(bucket|sum|count)$/, '');
    const owner = families.has(name) ? name : families.has(base) ? base : name;
    family(owner).samples.push({ name, labels, value: Number(m[4]) });
  }
  return families;
}

/** The value of an unlabelled sample (or the first sample) of `name`, or undefined. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.get(name);
  const s = f?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value;
}

/** What {@link probeModule} returns. */
export interface ProbeResult {
  readonly success: boolean;
  readonly m: Map<string, Family>;
  readonly logs: readonly string[];
  readonly seconds: number;
}

/**
 * Runs one probe in-process with `module` given as plain config data (`{prober: 'http', http:
 * {...}}`) and an optional `target_policy`; the deadline is the module's timeout, else 10 s.
 */
export async function probeModule(module: Record<string, unknown>, target: string, policy?: Record<string, unknown>): Promise<ProbeResult> {
  const config = buildConfig({ modules: { m: module }, ...(policy ? { target_policy: policy } : {}) });
  const compiled = config.modules.m!;
  const outcome = await runModuleProbe(compiled, target, compiled.timeoutMs > 0 ? compiled.timeoutMs / 1000 : 10, silentLogger);
  return { success: outcome.success, m: parseExposition(await renderProbeMetrics(outcome)), logs: outcome.logs, seconds: outcome.durationSeconds };
}

/** Fetches a URL and returns status, headers and body text. */
export async function get(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Set in the environment of a test file that runs inside its own network namespace. */
const NETNS_ENV = 'HELLO_EDGE_TEST_NETNS';

/** True in a test file re-run by {@link rerunInNetns}: its traffic cannot leave the namespace. */
export function insideTestNetns(): boolean {
  return process.env[NETNS_ENV] === '1';
}

/**
 * Re-runs the test file `fileUrl` (pass `import.meta.url`) with Node inside a new network and
 * mount namespace (`unshare -n -m`, as root): its only interface is loopback (127.0.0.1 and ::1)
 * and its /etc/hosts is `hosts`, so names resolve as the test says and a probe that gets past a
 * target policy finds no route off the machine. Fails with the run's output when a test in it
 * fails. Skips (fails under CI=true) when unshare or ip is missing or not permitted.
 */
export async function rerunInNetns(t: TestContext, fileUrl: string, hosts: string): Promise<void> {
  const unshare = requireTool(t, 'unshare', 'apt-get install util-linux');
  const ip = unshare && requireTool(t, 'ip', 'apt-get install iproute2');
  if (!unshare || !ip) return;
  const probe = spawnSync(unshare, ['-n', '-m', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const message = `unshare -n -m is not permitted here (${probe.stderr.trim() || `exit ${probe.status}`}); it needs root or CAP_SYS_ADMIN`;
    if (inCI) throw new Error(`${message}; CI=true requires every real-tool test to run`);
    t.skip(message);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'prober-netns-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const hostsFile = join(dir, 'hosts');
  writeFileSync(hostsFile, hosts);
  const script = 'set -e; "$1" link set lo up; mount --bind "$2" /etc/hosts; shift 2; exec "$@"';
  // Without the runner's NODE_TEST_CONTEXT the file reports as a top-level run would (spec text).
  const { NODE_TEST_CONTEXT: _runnerContext, ...env } = process.env;
  const child = spawn(unshare, ['-n', '-m', 'sh', '-c', script, 'sh', ip, hostsFile, process.execPath, '--test-reporter=spec', fileURLToPath(fileUrl)], {
    env: { ...env, [NETNS_ENV]: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  for (const line of output.split('\n').filter((l) => /^ℹ (tests|pass|fail|skipped) /.test(l))) t.diagnostic(line.slice(2));
  // The runner's closing summary repeats every failure with its diff: that is the part to show.
  const failures = output.indexOf('✖ failing tests:');
  assert.equal(code, 0, `the run inside the network namespace failed:\n${(failures === -1 ? output : output.slice(failures)).slice(0, 60_000)}`);
}
