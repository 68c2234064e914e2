// /proc/stat read per core: busy time without the host's steal, and the share of a window the
// host stole from the server's core, so the run checks can tell the VM's neighbours from this
// machine's own processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { backgroundCpuSecondsBetween, backgroundThreadsCpu, cpuListCores, parseCoreTimes, stealShareBetween } from '../../bench/index.js';

/** /proc/stat with two cores: user nice system idle iowait irq softirq steal guest guest_nice. */
const stat = (cpu0: readonly number[], cpu1: readonly number[]): string =>
  [`cpu  ${cpu0.map((v, i) => v + cpu1[i]!).join(' ')}`, `cpu0 ${cpu0.join(' ')}`, `cpu1 ${cpu1.join(' ')}`, 'intr 1 2 3', 'ctxt 42'].join('\n');

test('busy time leaves out idle, interrupts and steal; steal is kept apart', () => {
  // Guest time is already inside user: counting it again would make core 0's total 1040.
  const times = parseCoreTimes(stat([100, 5, 20, 800, 10, 3, 7, 55, 30, 10], [10, 0, 5, 980, 0, 0, 5, 0, 0, 0]));
  assert.deepEqual([...times.keys()], [0, 1]);
  assert.deepEqual(times.get(0), { busy: 125, steal: 55, total: 1000 });
  assert.deepEqual(times.get(1), { busy: 15, steal: 0, total: 1000 });
});

test('the steal share is taken over the asked cores only, and unknown for cores not in the readings', () => {
  const before = parseCoreTimes(stat([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  // Over the window core 0 ran 20 ticks, idled 50 and had 30 stolen; core 1 only idled.
  const after = parseCoreTimes(stat([20, 0, 0, 50, 0, 0, 0, 30, 0, 0], [0, 0, 0, 100, 0, 0, 0, 0, 0, 0]));
  assert.equal(stealShareBetween(before, after, [0]), 0.3);
  assert.equal(stealShareBetween(before, after, [1]), 0);
  assert.equal(stealShareBetween(before, after, [0, 1]), 0.15);
  assert.equal(stealShareBetween(before, after, [7]), null);
  assert.equal(stealShareBetween(before, after, []), null);
  // No time passed: nothing was stolen.
  assert.equal(stealShareBetween(before, before, [0]), 0);
});

test('taskset CPU lists', () => {
  assert.deepEqual(cpuListCores('0'), [0]);
  assert.deepEqual(cpuListCores('0-2,5'), [0, 1, 2, 5]);
  assert.equal(cpuListCores('zero'), null);
  assert.equal(cpuListCores(''), null);
  assert.equal(cpuListCores('0-6:2'), null, 'strides are not parsed');
});

test("a process's background threads' CPU counts them and not its main thread", { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const spin = (ms: number): void => {
    for (const end = Date.now() + ms; Date.now() < end; );
  };
  const before = backgroundThreadsCpu(process.pid);
  assert.ok(before !== null);
  // The main thread's own work is left out...
  spin(300);
  const afterMain = backgroundThreadsCpu(process.pid)!;
  assert.ok(backgroundCpuSecondsBetween(before, afterMain) < 0.15, `main thread counted: ${backgroundCpuSecondsBetween(before, afterMain)} s`);
  // The worker spins until it has used 300 ms of CPU itself, however busy the machine is.
  const worker = new Worker('while (process.threadCpuUsage().user < 300_000); require("node:worker_threads").parentPort.postMessage(1); setInterval(() => {}, 1000);', { eval: true });
  await new Promise((resolve) => worker.once('message', resolve));
  const afterWorker = backgroundThreadsCpu(process.pid)!;
  await worker.terminate();
  // ...and a worker thread's is counted, a thread that started in between in full.
  assert.ok(backgroundCpuSecondsBetween(afterMain, afterWorker) >= 0.25, `worker's 300 ms: ${backgroundCpuSecondsBetween(afterMain, afterWorker)} s`);
  // A thread that ended in between adds nothing; it does not take its past from the others.
  assert.equal(backgroundCpuSecondsBetween(new Map([['7', 5], ['8', 1]]), new Map([['8', 1.5]])), 0.5);
  assert.equal(backgroundThreadsCpu(2 ** 22 + 1), null, 'no such process');
});
