// `node dist/bench/scripts/connection-memory.js [--connections 2000,8000]`: what an idle
// keep-alive connection costs hello in RSS, the measurement behind DEFAULT_MAX_CONNECTIONS
// (common/http-limits.ts). For each count N: start hello (no connection cap), read its RSS, open N
// connections that each get one answer and then stay idle, read the RSS again. A benchmark, not a
// test: it asserts nothing. Run on an otherwise idle machine; quote the median of a few runs.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HELLO_MAIN = fileURLToPath(new URL('../../hello/main.js', import.meta.url));
const { values } = parseArgs({ options: { connections: { type: 'string', default: '2000,8000' }, json: { type: 'boolean', default: false } } });
const counts = values.connections.split(',').map(Number);

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

// One request and its answer, then the connection stays open and idle.
function idleConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    socket.once('data', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function measure(count: number): Promise<{ connections: number; baselineMiB: number; loadedMiB: number; perConnectionKiB: number }> {
  const child = spawn(process.execPath, [HELLO_MAIN], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', HELLO_MAX_CONNECTIONS: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const [line] = (await once(child.stderr!, 'data')) as [Buffer];
  const port = Number(new URL((JSON.parse(line.toString().split('\n')[0]!) as { url: string }).url).port);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const baselineMiB = rssMiB(child.pid!);
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) sockets.push(await idleConnection(port));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const loadedMiB = rssMiB(child.pid!);
  for (const socket of sockets) socket.destroy();
  child.kill('SIGKILL');
  return { connections: count, baselineMiB, loadedMiB, perConnectionKiB: ((loadedMiB - baselineMiB) * 1024) / count };
}

const rows = [];
for (const count of counts) rows.push(await measure(count));
if (values.json) console.log(JSON.stringify(rows, null, 2));
else for (const r of rows) console.log(`${r.connections} idle connections: RSS ${r.baselineMiB.toFixed(1)} -> ${r.loadedMiB.toFixed(1)} MiB, ${r.perConnectionKiB.toFixed(1)} KiB per connection`);
