// `npm run build && taskset -c 0 node_modules/.bin/node dist/bench/scripts/machine-speed.js [--rounds 10] [--pause 6s]`:
// how steady this machine's speed is. It times the same fixed work again and again, on the
// process's own CPU clock, so neither the scheduler nor a CPU quota can show up in the figure.
// The machine's own speed can: another tenant on the host sharing caches and memory bandwidth, or a
// changed clock frequency. The host's steal ticks are printed beside each round (a VM that is paused
// shows there; a host that is merely busy does not). There are two kinds of work: an integer loop
// that stays in registers, the clean measure, and an allocation-heavy one (hashing, objects, JSON)
// closer to what a web server does, whose time includes this process's own garbage collection and
// so varies by itself too. The bench's rates and CPU figures can be no steadier than the first.
// docs/BENCHMARKS.md (set 9) records a run. A benchmark, not a test: it asserts nothing.
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { parseDuration } from '../../common/index.js';
import { readCoreTimes } from '../host.js';
import { spreadOf } from '../recommend/spread.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10' }, pause: { type: 'string', default: '6s' } } });
const rounds = Number(values.rounds);
const pauseMs = parseDuration(values.pause, '--pause');

function registerLoop(): number {
  let x = 0;
  for (let i = 0; i < 3e8; i++) x = (x * 31 + i) | 0;
  return x;
}

function allocatingWork(): number {
  let hash = 'x';
  for (let i = 0; i < 100_000; i++) hash = createHash('sha256').update(hash).digest('hex');
  const objects = Array.from({ length: 200_000 }, (_, i) => ({ i, s: String(i) }));
  return (JSON.parse(JSON.stringify(objects)) as unknown[]).length + hash.length;
}

// Ticks the host ran something else while this VM waited, summed over its cores.
const stealTicks = (): number => [...(readCoreTimes()?.values() ?? [])].reduce((sum, core) => sum + core.steal, 0);

function cpuMs(work: () => number): number {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

registerLoop();
allocatingWork(); // compiled and warm before the first timed round
const loops: number[] = [];
const allocating: number[] = [];
for (let round = 1; round <= rounds; round++) {
  const steal = stealTicks();
  loops.push(cpuMs(registerLoop));
  allocating.push(cpuMs(allocatingWork));
  console.log(`${new Date().toISOString().slice(11, 19)}  register loop ${loops.at(-1)!.toFixed(0)} ms  allocating ${allocating.at(-1)!.toFixed(0)} ms  steal ${stealTicks() - steal} ticks`);
  if (round < rounds) await new Promise((resolve) => setTimeout(resolve, pauseMs));
}
for (const [name, xs] of [['register loop', loops], ['allocating', allocating]] as const) {
  const { min, median, max } = spreadOf(xs);
  console.log(`${name}: median ${median.toFixed(0)} ms, ${min.toFixed(0)}-${max.toFixed(0)} ms (the slowest round ${((max / min - 1) * 100).toFixed(0)}% slower than the fastest)`);
}
