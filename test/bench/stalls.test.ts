// The stall monitor in a real child process: freezing the whole process (SIGSTOP, what a VM pause
// does to every thread) is counted as a stall; a main thread busy for as long is not, because the
// monitor's worker thread keeps running beside it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';

const STALLS_MODULE = new URL('../../bench/stalls.js', import.meta.url).href;
const CHILD = `
import { startStallMonitor } from ${JSON.stringify(STALLS_MODULE)};
const monitor = startStallMonitor();
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  for (const cmd of chunk.split('\\n').filter(Boolean)) {
    if (cmd === 'busy') { const t = performance.now(); while (performance.now() - t < 400); }
    process.stdout.write(JSON.stringify(monitor.read()) + '\\n');
  }
});
setTimeout(() => process.stdout.write('ready\\n'), 100);
`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('a frozen process is a stall; a busy main thread is not', { timeout: 30_000 }, async (t) => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => (await lines.next()).value as string;
  assert.equal(await next(), 'ready');
  const read = async (cmd = 'read'): Promise<{ count: number; totalMs: number }> => {
    child.stdin!.write(`${cmd}\n`);
    return JSON.parse(await next()) as { count: number; totalMs: number };
  };

  // The main thread spins for 400 ms: the worker still ticks, so at most a VM pause of this
  // machine (tens of ms) can show up, never the 400 ms.
  const before = await read();
  const afterBusy = await read('busy');
  assert.ok(afterBusy.totalMs - before.totalMs < 150, `busy main thread counted as a stall: ${JSON.stringify({ before, afterBusy })}`);

  // The whole process frozen for 300 ms, as a paused VM freezes it.
  child.kill('SIGSTOP');
  await sleep(300);
  child.kill('SIGCONT');
  await sleep(50);
  const afterStop = await read();
  assert.ok(afterStop.count >= afterBusy.count + 1, JSON.stringify({ afterBusy, afterStop }));
  assert.ok(afterStop.totalMs - afterBusy.totalMs >= 250, `expected >= 250 ms of stall, got ${afterStop.totalMs - afterBusy.totalMs}`);
  child.stdin!.end();
  child.kill('SIGKILL');
  await once(child, 'exit');
});
