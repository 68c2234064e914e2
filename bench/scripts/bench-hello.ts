// `npm run bench:hello`: hello vs a bare node:http server vs the original Flask app under gunicorn,
// in one run on one machine, measured with wrk. Server on one core, wrk on the other (taskset).
// Prints req/s (median of N runs), p50/p99 latency, RSS after load, cold start, and ratios
// against the bare server. A benchmark, not a test: it asserts nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIST = fileURLToPath(new URL('../../', import.meta.url));

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'cold-starts': { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opts.runs);
const DURATION_S = Number(opts.duration);
const CONNECTIONS = Number(opts.connections);
const COLD_STARTS = Number(opts['cold-starts']);

interface Target {
  readonly name: string;
  /** Builds the command for a port; `null` means the target is unavailable (reason given). */
  readonly command: (port: number) => { cmd: string; args: string[]; env?: Record<string, string> } | { skip: string };
}

const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const pinning = have('taskset');
const SERVER_CPU = '0';
const LOAD_CPU = '1';
const pinned = (cpu: string, cmd: string, args: string[]): { cmd: string; args: string[] } =>
  pinning ? { cmd: 'taskset', args: ['-c', cpu, cmd, ...args] } : { cmd, args };

const targets: Target[] = [
  {
    name: 'bare node:http',
    command: (port) => ({ ...pinned(SERVER_CPU, process.execPath, [`${DIST}bench/baselines/bare-node-http.js`]), env: { PORT: String(port) } }),
  },
  {
    name: 'hello',
    command: (port) => ({
      ...pinned(SERVER_CPU, process.execPath, [`${DIST}hello/main.js`]),
      env: { PORT: String(port), HOST: '127.0.0.1', HELLO_LOG_LEVEL: 'warn' },
    }),
  },
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

interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
}

interface Row {
  name: string;
  skipped?: string;
  runs: WrkResult[];
  rps: number;
  p50ms: number;
  p99ms: number;
  rssMb: number;
  coldStartMs: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
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

/** Starts the target and resolves with the child and the ms from spawn to the first 200. */
async function start(target: Target, port: number): Promise<{ child: ChildProcess; coldMs: number } | { skip: string }> {
  const spec = target.command(port);
  if ('skip' in spec) return spec;
  const t0 = performance.now();
  const child = spawn(spec.cmd, spec.args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = t0 + 15_000;
  while (performance.now() < deadline) {
    if ((await get(port)) === 200) return { child, coldMs: performance.now() - t0 };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  child.kill('SIGKILL');
  throw new Error(`${target.name} did not answer 200 within 15 s`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Resident set of a process and its descendants (gunicorn forks workers), in MB. */
function rssMb(pid: number): number {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      const children = readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, 'utf8').trim();
      if (children) pids.push(...children.split(/\s+/).map(Number));
    } catch {
      // process gone
    }
  }
  let kb = 0;
  for (const p of pids) {
    try {
      const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      kb += Number(match?.[1] ?? 0);
    } catch {
      // process gone
    }
  }
  return kb / 1024;
}

function wrk(port: number, seconds: number): WrkResult {
  const run = pinned(LOAD_CPU, 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`]);
  const out = spawnSync(run.cmd, run.args, { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`wrk failed: ${out.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)?.[1]);
  const p50ms = toMs(/\s50%\s+([\d.]+\w+)/.exec(out.stdout)?.[1]);
  const p99ms = toMs(/\s99%\s+([\d.]+\w+)/.exec(out.stdout)?.[1]);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out.stdout);
  if (errors) process.stderr.write(`  wrk reported: ${errors[0]}\n`);
  return { rps, p50ms, p99ms };
}

function toMs(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text ?? '');
  if (!m) return Number.NaN;
  const scale = m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1;
  return Number(m[1]) * scale;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Cold starts: interleaved so a noisy moment hits every server alike; a server that cannot start is marked skipped. */
async function measureColdStarts(rows: Row[]): Promise<number[][]> {
  const cold: number[][] = targets.map(() => []);
  for (let i = 0; i < COLD_STARTS; i++) {
    for (const [k, target] of targets.entries()) {
      if (rows[k]!.skipped) continue;
      const port = await freePort();
      const started = await start(target, port);
      if ('skip' in started) {
        rows[k]!.skipped = started.skip;
        log(`  ${target.name}: skipped: ${started.skip}`);
        continue;
      }
      cold[k]!.push(started.coldMs);
      await stop(started.child);
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
      wrk(port, 2); // warm-up (JIT, connection setup)
      const result = wrk(port, DURATION_S);
      row.rssMb = Math.max(row.rssMb, rssMb(started.child.pid!));
      await stop(started.child);
      row.runs.push(result);
      log(`  run ${run}/${RUNS} ${target.name.padEnd(15)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50ms.toFixed(2)} ms  p99 ${result.p99ms.toFixed(2)} ms`);
    }
  }
}

/** The markdown table, medians and ratios against the bare server (the first row). */
function render(rows: readonly Row[], ratios: readonly { rps: number; p99: number; coldStart: number }[]): string {
  const fmt = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const lines = [
    '| server | req/s (median) | p50 ms | p99 ms | RSS after load MB | cold start ms | req/s vs bare | p99 vs bare | cold start vs bare |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r, i) =>
      r.skipped
        ? `| ${r.name} | skipped: ${r.skipped} | | | | | | | |`
        : `| ${r.name} | ${fmt(r.rps)} | ${fmt(r.p50ms, 2)} | ${fmt(r.p99ms, 2)} | ${fmt(r.rssMb, 1)} | ${fmt(r.coldStartMs, 0)} | ${fmt(ratios[i]!.rps, 3)} | ${fmt(ratios[i]!.p99, 2)} | ${fmt(ratios[i]!.coldStart, 2)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  if (!have('wrk')) {
    process.stderr.write('bench:hello needs wrk (apt-get install wrk)\n');
    process.exit(1);
  }
  log(`bench:hello: node ${process.version}, wrk -t1 -c${CONNECTIONS} -d${DURATION_S}s, ${RUNS} runs, ${pinning ? `server on CPU ${SERVER_CPU}, wrk on CPU ${LOAD_CPU}` : 'no taskset: unpinned'}`);
  const rows: Row[] = targets.map((t) => ({ name: t.name, runs: [], rps: 0, p50ms: 0, p99ms: 0, rssMb: 0, coldStartMs: 0 }));
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
  }));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, connections: CONNECTIONS, durationS: DURATION_S, runs: RUNS, pinned: pinning, rows, ratios }, null, 2)}\n`);
    return;
  }
  process.stdout.write(render(rows, ratios));
}

await main();
