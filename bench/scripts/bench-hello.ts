// `npm run bench:hello`: hello vs a bare node:http server vs the original Flask app under gunicorn,
// in one run on one machine, measured with wrk. Server on one core, wrk on the other (taskset).
// Prints req/s (median of N runs), p50/p99 latency, RSS after load, peak RSS, cold start, and
// ratios against the bare server. hello runs as its image runs it (Dockerfile.hello's entry point
// and node flags); `--hello-flags` adds rows for other node flags (repeatable: `image` = the
// image's flags, `none` = no flags, or the flags themselves), and `--memory-limit 192Mi` runs
// every server in a cgroup of a pod's memory limit (V8 sizes its heap from it). A benchmark, not
// a test: it asserts nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { createMemoryLimit, type MemoryLimit } from '../host.js';
import { DIST, ROOT, freePort, have, median, parseMemoryOption, parseNodeFlags, pinned, readImageCommand, runWrk, treeRssMiB, type WrkResult } from './workload.js';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'cold-starts': { type: 'string', default: '5' },
    'hello-flags': { type: 'string', multiple: true, default: ['image'] },
    'memory-limit': { type: 'string', default: 'none' },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opts.runs);
const DURATION_S = Number(opts.duration);
const CONNECTIONS = Number(opts.connections);
const COLD_STARTS = Number(opts['cold-starts']);
const MEMORY_LIMIT = opts['memory-limit'] === 'none' ? null : parseMemoryOption(opts['memory-limit'], '--memory-limit');

interface Target {
  readonly name: string;
  /** Builds the command for a port, or says why the target is unavailable. */
  readonly command: (port: number) => { cmd: string; args: string[]; env?: Record<string, string> } | { skip: string };
}

const SERVER_CPU = '0';
const LOAD_CPU = '1';
const pinning = have('taskset');
const HELLO_IMAGE = readImageCommand('Dockerfile.hello');

function helloTarget(flagsOption: string): Target {
  const flags = flagsOption === 'none' ? [] : parseNodeFlags(flagsOption, HELLO_IMAGE);
  const label = flagsOption === 'image' ? `image flags${flags.length ? `: ${flags.join(' ')}` : ': none'}` : flags.join(' ') || 'no flags';
  return {
    name: `hello (${label})`,
    command: (port) => ({
      ...pinned(SERVER_CPU, process.execPath, [...flags, HELLO_IMAGE.main]),
      env: { ...HELLO_IMAGE.env, PORT: String(port), HOST: '127.0.0.1', HELLO_LOG_LEVEL: 'warn' },
    }),
  };
}

const targets: Target[] = [
  {
    name: 'bare node:http',
    command: (port) => ({ ...pinned(SERVER_CPU, process.execPath, [`${DIST}bench/baselines/bare-node-http.js`]), env: { PORT: String(port) } }),
  },
  ...opts['hello-flags'].map(helloTarget),
  {
    name: 'flask+gunicorn',
    command: (port) => {
      if (!have('gunicorn')) return { skip: 'gunicorn not found (apt-get install gunicorn python3-flask)' };
      const check = spawnSync('/usr/bin/python3', ['-c', 'import flask'], { encoding: 'utf8' });
      if (check.status !== 0) return { skip: 'python3-flask not found (apt-get install python3-flask)' };
      // gthread, 2 workers x 4 threads: the best gunicorn setting found on these machines,
      // held to the same single core as the Node servers.
      return pinned(SERVER_CPU, 'gunicorn', ['--chdir', `${ROOT}bench/baselines`, '-w', '2', '-k', 'gthread', '--threads', '4', '-b', `127.0.0.1:${port}`, '--log-level', 'warning', 'flask_hello:app']);
    },
  },
];

interface Row {
  name: string;
  skipped?: string;
  runs: WrkResult[];
  rps: number;
  p50ms: number;
  p99ms: number;
  rssMb: number;
  peakRssMb: number;
  coldStartMs: number;
}

function get(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

interface Started {
  readonly child: ChildProcess;
  readonly coldMs: number;
  readonly memory: MemoryLimit | null;
}

/** Starts the target (in a memory cgroup when asked) and resolves with the ms from spawn to the first 200. */
async function start(target: Target, port: number): Promise<Started | { skip: string }> {
  const spec = target.command(port);
  if ('skip' in spec) return spec;
  const memory = MEMORY_LIMIT === null ? null : createMemoryLimit(MEMORY_LIMIT, 'bench-hello');
  if (typeof memory === 'string') throw new Error(`--memory-limit: ${memory}`);
  const run = memory ? memory.wrap(spec.cmd, spec.args) : { command: spec.cmd, args: spec.args };
  const t0 = performance.now();
  const child = spawn(run.command, run.args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = t0 + 15_000;
  while (performance.now() < deadline) {
    if ((await get(port)) === 200) return { child, coldMs: performance.now() - t0, memory };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  child.kill('SIGKILL');
  await memory?.remove();
  throw new Error(`${target.name} did not answer 200 within 15 s`);
}

async function stop(started: Started): Promise<void> {
  const { child, memory } = started;
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  await memory?.remove();
}

async function wrk(port: number, seconds: number): Promise<WrkResult> {
  const result = await runWrk(`http://127.0.0.1:${port}/`, CONNECTIONS, seconds, pinning ? LOAD_CPU : null);
  if (result.non2xx || result.socketErrors) process.stderr.write(`  wrk reported: ${result.non2xx} non-2xx, ${result.socketErrors} socket errors\n`);
  return result;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Cold starts, interleaved so a noisy moment hits every server alike. */
async function measureColdStarts(rows: Row[]): Promise<number[][]> {
  const cold: number[][] = targets.map(() => []);
  for (let i = 0; i < COLD_STARTS; i++) {
    for (const [k, target] of targets.entries()) {
      if (rows[k]!.skipped) continue;
      const started = await start(target, await freePort());
      if ('skip' in started) {
        rows[k]!.skipped = started.skip;
        log(`  ${target.name}: skipped: ${started.skip}`);
        continue;
      }
      cold[k]!.push(started.coldMs);
      await stop(started);
    }
  }
  return cold;
}

/** Throughput runs: round-robin over servers, each run on a fresh process after a warm-up. */
async function measureThroughput(rows: Row[]): Promise<void> {
  for (let run = 1; run <= RUNS; run++) {
    for (const [k, target] of targets.entries()) {
      const row = rows[k]!;
      if (row.skipped) continue;
      const port = await freePort();
      const started = await start(target, port);
      if ('skip' in started) continue;
      await wrk(port, 2); // warm-up (JIT, connection setup)
      const result = await wrk(port, DURATION_S);
      const rss = treeRssMiB(started.child.pid!);
      row.rssMb = Math.max(row.rssMb, rss.now);
      row.peakRssMb = Math.max(row.peakRssMb, rss.peak);
      await stop(started);
      row.runs.push(result);
      log(`  run ${run}/${RUNS} ${target.name.padEnd(15)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50ms.toFixed(2)} ms  p99 ${result.p99ms.toFixed(2)} ms  RSS ${rss.now.toFixed(1)} MB (peak ${rss.peak.toFixed(1)})`);
    }
  }
}

async function main(): Promise<void> {
  if (!have('wrk')) {
    process.stderr.write('bench:hello needs wrk (apt-get install wrk)\n');
    process.exit(1);
  }
  log(`bench:hello: node ${process.version}, wrk -t1 -c${CONNECTIONS} -d${DURATION_S}s, ${RUNS} runs, ${pinning ? `server on CPU ${SERVER_CPU}, wrk on CPU ${LOAD_CPU}` : 'no taskset: unpinned'}, memory limit ${opts['memory-limit']}`);
  const rows: Row[] = targets.map((t) => ({ name: t.name, runs: [], rps: 0, p50ms: 0, p99ms: 0, rssMb: 0, peakRssMb: 0, coldStartMs: 0 }));
  const cold = await measureColdStarts(rows);
  await measureThroughput(rows);
  for (const [k, row] of rows.entries()) {
    if (row.skipped) continue;
    row.rps = median(row.runs.map((r) => r.rps));
    row.p50ms = median(row.runs.map((r) => r.p50ms));
    row.p99ms = median(row.runs.map((r) => r.p99ms));
    row.coldStartMs = median(cold[k]!);
  }
  const bare = rows[0]!;
  const ratios = rows.map((r) => ({
    name: r.name,
    rps: r.rps / bare.rps,
    p99: r.p99ms / bare.p99ms,
    coldStart: r.coldStartMs / bare.coldStartMs,
    peakRss: r.peakRssMb / bare.peakRssMb,
  }));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, connections: CONNECTIONS, durationS: DURATION_S, runs: RUNS, pinned: pinning, memoryLimit: opts['memory-limit'], rows, ratios }, null, 2)}\n`);
    return;
  }
  const fmt = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const lines = [
    '| server | req/s (median) | p50 ms | p99 ms | RSS after load MB | peak RSS MB | cold start ms | req/s vs bare | p99 vs bare | cold start vs bare | peak RSS vs bare |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r, i) =>
      r.skipped
        ? `| ${r.name} | skipped: ${r.skipped} | | | | | | | | | |`
        : `| ${r.name} | ${fmt(r.rps)} | ${fmt(r.p50ms, 2)} | ${fmt(r.p99ms, 2)} | ${fmt(r.rssMb, 1)} | ${fmt(r.peakRssMb, 1)} | ${fmt(r.coldStartMs, 0)} | ${fmt(ratios[i]!.rps, 3)} | ${fmt(ratios[i]!.p99, 2)} | ${fmt(ratios[i]!.coldStart, 2)} | ${fmt(ratios[i]!.peakRss, 2)} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
