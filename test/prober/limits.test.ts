// The prober under a hostile client, inside a memory cgroup of its pod's limit: pipelined
// requests that are never read cost bounded memory (the connection is dropped), and the
// connection cap holds.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { readImageCommand } from '../../bench/scripts/workload.js';
import { DEFAULT_MAX_CONNECTIONS } from '../../common/index.js';
import { DEFAULT_PROBER_RESOURCES } from '../../infra/index.js';
import { memoryCgroup } from '../support/cgroup.js';
import { spawnListening, type ChildServer } from '../support/child.js';
import { healthyWithin, pipelineFlood } from '../support/hostile.js';

const MAIN = fileURLToPath(new URL('../../prober/main.js', import.meta.url));
// The prober as its pod runs it: infra's default memory limit, the image's node flags.
const POD_LIMIT_BYTES = DEFAULT_PROBER_RESOURCES.limits.memoryBytes;
const { nodeFlags } = readImageCommand('Dockerfile.prober');
const DROPPED = 'dropped a connection with too many unanswered pipelined requests';

function configFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'prober-limits-')), 'prober.yml');
  writeFileSync(file, 'modules:\n  http_2xx:\n    prober: http\n');
  return file;
}

async function startProber(t: TestContext, wrap?: (command: string, args: string[]) => { command: string; args: string[] }): Promise<ChildServer> {
  const plain = { command: process.execPath, args: [...nodeFlags, MAIN, '--config.file', configFile(), '--web.listen-address', '127.0.0.1:0'] };
  const { command, args } = wrap ? wrap(plain.command, plain.args) : plain;
  return spawnListening(t, command, args, { env: process.env, timeoutMs: 15_000 });
}

// Up to the connection cap, every connection pipelining /metrics. Per connection at most 32 answers
// queue (common/http-limits.ts), on the server at most 8 connections' worth, and concurrent scrapes
// share one render: before those two, 1,000 such connections kept the prober rendering for over a
// minute after they closed and then ended it in a heap abort.
const CONNECTIONS = 1000;

test(`${CONNECTIONS} connections pipelining 20,000 GET /metrics each and never reading: the prober drops them and survives its pod limit`, { timeout: 120_000 }, async (t) => {
  const group = memoryCgroup(t, POD_LIMIT_BYTES);
  if (!group) return;
  const prober = await startProber(t, group.wrap);
  const port = Number(new URL(prober.url).port);
  const drops = (): number => prober.logs.filter((l) => l.msg === DROPPED).length;

  await pipelineFlood({ port, path: '/metrics', connections: CONNECTIONS, requests: 20_000, done: () => drops() >= CONNECTIONS, timeoutMs: 60_000 });

  assert.equal(group.oomKills(), 0, 'no OOM kill in the pod-sized cgroup');
  assert.equal(prober.child.exitCode ?? prober.child.signalCode, null, 'the prober still runs');
  assert.equal(drops(), CONNECTIONS, 'every flooding connection was dropped, and the drop logged');
  // A liveness bound, not a timing: without shared renders it took over a minute.
  const recoveredMs = await healthyWithin(`${prober.url}/-/healthy`, 30_000);
  t.diagnostic(`answered /-/healthy ${Math.round(recoveredMs)} ms after the flood ended`);
  const peakMiB = group.peakBytes() / 2 ** 20;
  t.diagnostic(`peak cgroup memory ${peakMiB.toFixed(1)} MiB of ${POD_LIMIT_BYTES / 2 ** 20} MiB`);
  // One such connection peaked at 38-43 MiB (before the bound it took the prober to 379 MB);
  // 1,000 at 71-98 MiB (eight runs, 2026-12-03): idle sockets cost 15-24 KiB each.
  assert.ok(peakMiB < (POD_LIMIT_BYTES / 2 ** 20) * 0.9, `peak ${peakMiB.toFixed(1)} MiB: under 90% of the limit`);
});

test(`the connection cap: past ${DEFAULT_MAX_CONNECTIONS} connections new ones are closed at once, and those under it are served`, async (t) => {
  const prober = await startProber(t);
  const port = Number(new URL(prober.url).port);
  const open: Socket[] = [];
  t.after(() => open.forEach((s) => s.destroy()));
  for (let i = 0; i < DEFAULT_MAX_CONNECTIONS; i++) {
    open.push(await new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    }));
  }
  const extra = connect(port, '127.0.0.1');
  open.push(extra);
  const closed = await new Promise<boolean>((resolve) => {
    extra.on('close', () => resolve(true));
    extra.on('error', () => undefined);
    extra.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n');
    setTimeout(() => resolve(false), 5000);
  });
  assert.equal(closed, true, `connection ${DEFAULT_MAX_CONNECTIONS + 1} was closed`);
  const answer = await new Promise<string>((resolve) => {
    let text = '';
    open[0]!.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('Healthy')) resolve(text);
    });
    open[0]!.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  assert.match(answer, /^HTTP\/1\.1 200/);
});
