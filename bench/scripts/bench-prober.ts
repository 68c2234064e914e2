// `npm run bench:prober`: the Debian blackbox exporter vs our prober, in one run, on the same
// loopback targets and the same config. Each prober runs on CPU 0; the target and wrk share
// CPU 1 (taskset); load runs and accuracy probes alternate between the two probers. Prints probes/s under the same parallel /probe load, CPU-seconds per 1000
// probes (from /proc utime+stime), RSS idle and peak under load, and the accuracy of
// probe_duration_seconds against a target with a known 250 ms delay (mean and spread over 20
// sequential probes). A benchmark, not a test: it asserts nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const DIST = fileURLToPath(new URL('../../', import.meta.url));

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '20' },
    samples: { type: 'string', default: '20' },
    delay: { type: 'string', default: '250' },
    exporter: { type: 'string', default: '/usr/bin/prometheus-blackbox-exporter' },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opts.runs);
const DURATION_S = Number(opts.duration);
const CONNECTIONS = Number(opts.connections);
const SAMPLES = Number(opts.samples);
const DELAY_MS = Number(opts.delay);

const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const pinning = have('taskset');
const PROBER_CPU = '0';
const LOAD_CPU = '1';
const pinned = (cpu: string, cmd: string, args: string[]): { cmd: string; args: string[] } =>
  pinning ? { cmd: 'taskset', args: ['-c', cpu, cmd, ...args] } : { cmd, args };
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitUp(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited (${child.exitCode})`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${url} did not come up`);
}

function start(cmd: { cmd: string; args: string[] }, env: Record<string, string> = {}): ChildProcess {
  return spawn(cmd.cmd, cmd.args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'ignore'] });
}

/** The pid that does the work (taskset execs, so it is the same pid). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function memory(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  non2xx: number;
}

function wrk(url: string, seconds: number): WrkResult {
  const run = pinned(LOAD_CPU, 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, url]);
  const out = spawnSync(run.cmd, run.args, { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`wrk failed: ${out.stderr}`);
  const total = /(\d+) requests in ([\d.]+)(m?s)/.exec(out.stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out.stdout)?.[1] ?? 0);
  const requests = Number(total?.[1] ?? 0);
  const secs = Number(total?.[2] ?? seconds) / (total?.[3] === 'ms' ? 1000 : 1);
  return { requests, seconds: secs, rps: requests / secs, non2xx };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

interface Row {
  name: string;
  rps: number;
  cpuPer1000: number;
  rssIdleMb: number;
  rssPeakMb: number;
  failedProbes: number;
  durationMeanMs: number;
  durationMedianMs: number;
  durationSpreadMs: number;
  durationErrorMs: number;
  runs: { rps: number; cpuPer1000: number }[];
}

async function probeDuration(url: string): Promise<{ success: number; seconds: number }> {
  const text = await (await fetch(url)).text();
  const num = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { success: num('probe_success'), seconds: num('probe_duration_seconds') };
}

/** A prober under test, running, with what was measured of it. */
interface LiveProber {
  name: string;
  child: ChildProcess;
  base: string;
  rssIdleMb: number;
  failed: number;
  runs: { rps: number; cpuPer1000: number }[];
}

/** Targets on the load CPU: hello (the fast one) and a server that answers after DELAY_MS. */
async function startTargets(children: ChildProcess[]): Promise<{ fastTarget: string; slowTarget: string }> {
  const helloPort = await freePort();
  const hello = start(pinned(LOAD_CPU, process.execPath, [`${DIST}hello/main.js`]), { PORT: String(helloPort), HOST: '127.0.0.1', HELLO_LOG_LEVEL: 'warn' });
  const slowPort = await freePort();
  const slowScript = `require('node:http').createServer((q,s)=>setTimeout(()=>s.end('slow'),${DELAY_MS})).listen(${slowPort},'127.0.0.1')`;
  const slow = start(pinned(LOAD_CPU, process.execPath, ['-e', slowScript]));
  children.push(hello, slow);
  await waitUp(`http://127.0.0.1:${helloPort}/`, hello);
  await waitUp(`http://127.0.0.1:${slowPort}/`, slow);
  return { fastTarget: encodeURIComponent(`http://127.0.0.1:${helloPort}/`), slowTarget: encodeURIComponent(`http://127.0.0.1:${slowPort}/`) };
}

/**
 * Both probers side by side (each pinned to CPU 0, only one under load at a time), each checked
 * with one probe of hello and its idle RSS read.
 */
async function startProbers(config: string, fastTarget: string, children: ChildProcess[]): Promise<LiveProber[]> {
  const probers = [
    { name: 'blackbox_exporter', cmd: (port: number) => pinned(PROBER_CPU, opts.exporter, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn']) },
    {
      name: 'hello-prober',
      cmd: (port: number) => pinned(PROBER_CPU, process.execPath, [`${DIST}prober/main.js`, '--config.file', config, '--web.listen-address', `127.0.0.1:${port}`, '--log.level', 'warn']),
    },
  ];
  const live: LiveProber[] = [];
  for (const p of probers) {
    const port = await freePort();
    const child = start(p.cmd(port));
    children.push(child);
    const base = `http://127.0.0.1:${port}`;
    await waitUp(`${base}/-/healthy`, child);
    await new Promise((r) => setTimeout(r, 500));
    const rssIdleMb = memory(child.pid!).rssMb;
    const check = await probeDuration(`${base}/probe?module=http_2xx&target=${fastTarget}`);
    if (check.success !== 1) throw new Error(`${p.name}: probe of hello failed before the load`);
    live.push({ name: p.name, child, base, rssIdleMb, failed: 0, runs: [] });
  }
  return live;
}

/** The /probe load runs, alternating between the probers so both see the same background noise. */
function measureLoad(live: LiveProber[], fastTarget: string): void {
  for (const l of live) wrk(`${l.base}/probe?module=http_2xx&target=${fastTarget}`, 2); // warm-up
  for (let i = 0; i < RUNS; i++) {
    for (const l of live) {
      const cpuBefore = cpuSeconds(l.child.pid!);
      const result = wrk(`${l.base}/probe?module=http_2xx&target=${fastTarget}`, DURATION_S);
      const cpu = cpuSeconds(l.child.pid!) - cpuBefore;
      l.failed += result.non2xx;
      l.runs.push({ rps: result.rps, cpuPer1000: (cpu / result.requests) * 1000 });
      log(`  ${l.name} run ${i + 1}: ${result.rps.toFixed(0)} probes/s, ${((cpu / result.requests) * 1000).toFixed(2)} CPU-s/1000 probes${result.non2xx ? `, ${result.non2xx} non-2xx` : ''}`);
    }
  }
}

/**
 * Accuracy on the delayed target: sequential probes, alternating between the probers so both see
 * the same background noise; the mean, median, spread and error of probe_duration_seconds.
 */
async function measureAccuracy(live: readonly LiveProber[], slowTarget: string): Promise<Pick<Row, 'durationMeanMs' | 'durationMedianMs' | 'durationSpreadMs' | 'durationErrorMs'>[]> {
  const samples: number[][] = live.map(() => []);
  for (let i = 0; i < SAMPLES; i++) {
    for (const [j, l] of live.entries()) {
      const r = await probeDuration(`${l.base}/probe?module=http_2xx&target=${slowTarget}`);
      if (r.success === 1) samples[j]!.push(r.seconds * 1000);
    }
  }
  return samples.map((durations) => {
    const mean = durations.reduce((a, b) => a + b, 0) / Math.max(1, durations.length);
    return {
      durationMeanMs: mean,
      durationMedianMs: median(durations),
      durationSpreadMs: Math.sqrt(durations.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, durations.length - 1)),
      durationErrorMs: mean - DELAY_MS,
    };
  });
}

/** The table of both probers and the ratios, ours over the exporter's. */
function render(rows: readonly Row[]): string {
  const header = ['prober', 'probes/s', 'CPU-s/1000 probes', 'RSS idle MB', 'RSS peak MB', `duration @${DELAY_MS}ms: mean`, 'median', 'spread (sd)', 'error (mean)'];
  const table = rows.map((r) => [
    r.name,
    r.rps.toFixed(0),
    r.cpuPer1000.toFixed(2),
    r.rssIdleMb.toFixed(1),
    r.rssPeakMb.toFixed(1),
    `${r.durationMeanMs.toFixed(2)} ms`,
    `${r.durationMedianMs.toFixed(2)} ms`,
    `${r.durationSpreadMs.toFixed(2)} ms`,
    `${r.durationErrorMs >= 0 ? '+' : ''}${r.durationErrorMs.toFixed(2)} ms`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const [a, b] = rows;
  const lines = [line(header), ...table.map(line)];
  if (a && b) {
    lines.push('', `ours / exporter: probes/s x${(b.rps / a.rps).toFixed(2)}, CPU per probe x${(b.cpuPer1000 / a.cpuPer1000).toFixed(2)}, duration error ${(b.durationErrorMs - a.durationErrorMs).toFixed(2)} ms apart`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  if (!have('wrk')) {
    log('bench:prober needs wrk (apt-get install wrk)');
    process.exit(1);
  }
  if (!have(opts.exporter)) {
    log(`bench:prober needs the blackbox exporter at ${opts.exporter} (apt-get install prometheus-blackbox-exporter)`);
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-prober-'));
  const config = join(dir, 'blackbox.yml');
  writeFileSync(config, 'modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n');
  const children: ChildProcess[] = [];
  const cleanup = (): void => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  };
  process.on('exit', cleanup);
  const { fastTarget, slowTarget } = await startTargets(children);
  log(`bench:prober: node ${process.version}, wrk -t1 -c${CONNECTIONS} -d${DURATION_S}s on /probe, ${RUNS} runs, ${pinning ? `probers on CPU ${PROBER_CPU}, target + wrk on CPU ${LOAD_CPU}` : 'unpinned'}`);
  const live = await startProbers(config, fastTarget, children);
  measureLoad(live, fastTarget);
  const peaks = live.map((l) => memory(l.child.pid!).hwmMb);
  const accuracy = await measureAccuracy(live, slowTarget);
  cleanup();
  const rows: Row[] = live.map((l, j) => ({
    name: l.name,
    rps: median(l.runs.map((r) => r.rps)),
    cpuPer1000: median(l.runs.map((r) => r.cpuPer1000)),
    rssIdleMb: l.rssIdleMb,
    rssPeakMb: peaks[j]!,
    failedProbes: l.failed,
    ...accuracy[j]!,
    runs: l.runs,
  }));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, connections: CONNECTIONS, durationS: DURATION_S, runs: RUNS, delayMs: DELAY_MS, samples: SAMPLES, pinned: pinning, rows }, null, 2)}\n`);
    return;
  }
  process.stdout.write(render(rows));
}

await main();
