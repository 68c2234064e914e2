// `npm run bench:prober`: the Debian blackbox exporter vs our prober, in one run, on the same
// loopback targets and the same config. Each prober runs on CPU 0; the target and wrk share
// CPU 1 (taskset); load runs and accuracy probes alternate between the probers. Prints probes/s
// under the same parallel /probe load, CPU-seconds per 1000 probes (from /proc utime+stime), RSS
// idle and peak under load, and the accuracy of probe_duration_seconds against a target with a
// known 250 ms delay (mean and spread over 20 sequential probes). Our prober runs as its image runs
// it (Dockerfile.prober's entry point and node flags); `--prober-flags` adds a prober per set of
// node flags (repeatable: `image`, `none`, or the flags, as `--prober-flags=--max-semi-space-size=2`),
// and `--memory-limit 128Mi` runs every prober in a cgroup of a pod's memory limit (V8 sizes its
// heap from it; the peak then includes the cgroup's charge and any OOM kill). A benchmark, not a
// test: it asserts nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { processCpuSeconds } from '../host.js';
import {
  DIST, freePort, have, imageArgv, median, parseMemoryOption, parseNodeFlags, pinned, processMemoryMiB, readImageCommand, runWrk, startWorkload,
  waitUntilServing, type Workload,
} from './workload.js';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '20' },
    samples: { type: 'string', default: '20' },
    delay: { type: 'string', default: '250' },
    exporter: { type: 'string', default: '/usr/bin/prometheus-blackbox-exporter' },
    'prober-flags': { type: 'string', multiple: true, default: ['image'] },
    'memory-limit': { type: 'string', default: 'none' },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opts.runs);
const DURATION_S = Number(opts.duration);
const CONNECTIONS = Number(opts.connections);
const SAMPLES = Number(opts.samples);
const DELAY_MS = Number(opts.delay);
const MEMORY_LIMIT = opts['memory-limit'] === 'none' ? null : parseMemoryOption(opts['memory-limit'], '--memory-limit');

const pinning = have('taskset');
const PROBER_CPU = pinning ? '0' : null;
const LOAD_CPU = pinning ? '1' : null;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Row {
  name: string;
  rps: number;
  cpuPer1000: number;
  rssIdleMb: number;
  rssPeakMb: number;
  /** Peak charge of the prober's memory cgroup, MiB (null without --memory-limit). */
  cgroupPeakMb: number | null;
  oomKills: number;
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

/** Targets on the load CPU: hello (the fast one) and a server that answers after DELAY_MS. */
async function startTargets(): Promise<{ fast: string; slow: string; children: ChildProcess[] }> {
  const helloPort = await freePort();
  const hello = pinned(LOAD_CPU, process.execPath, [`${DIST}hello/main.js`]);
  const slowPort = await freePort();
  const slowScript = `require('node:http').createServer((q,s)=>setTimeout(()=>s.end('slow'),${DELAY_MS})).listen(${slowPort},'127.0.0.1')`;
  const slow = pinned(LOAD_CPU, process.execPath, ['-e', slowScript]);
  const children = [
    spawn(hello.cmd, hello.args, { env: { ...process.env, PORT: String(helloPort), HOST: '127.0.0.1', HELLO_LOG_LEVEL: 'warn' }, stdio: 'ignore' }),
    spawn(slow.cmd, slow.args, { stdio: 'ignore' }),
  ];
  process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
  await waitUntilServing(`http://127.0.0.1:${helloPort}/`, children[0]!);
  await waitUntilServing(`http://127.0.0.1:${slowPort}/`, children[1]!);
  return { fast: encodeURIComponent(`http://127.0.0.1:${helloPort}/`), slow: encodeURIComponent(`http://127.0.0.1:${slowPort}/`), children };
}

/** The probers of the run: the exporter, then ours once per `--prober-flags`. */
function proberCommands(config: string): { name: string; argv: (port: number) => { command: string; args: string[] }; env?: Record<string, string> }[] {
  const image = readImageCommand('Dockerfile.prober');
  const listen = (port: number): string[] => [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'];
  return [
    { name: 'blackbox_exporter', argv: (port) => ({ command: opts.exporter, args: listen(port) }) },
    ...opts['prober-flags'].map((option) => {
      const flags = option === 'none' ? [] : parseNodeFlags(option, image);
      const label = option === 'image' ? `image flags${flags.length ? `: ${flags.join(' ')}` : ': none'}` : flags.join(' ') || 'no flags';
      return { name: `hello-prober (${label})`, argv: (port: number) => imageArgv(image, flags, listen(port)), env: { ...image.env } };
    }),
  ];
}

interface Live {
  name: string;
  workload: Workload;
  base: string;
  rssIdleMb: number;
  failed: number;
  runs: { rps: number; cpuPer1000: number }[];
}

async function startProbers(config: string, fastTarget: string): Promise<Live[]> {
  const live: Live[] = [];
  for (const p of proberCommands(config)) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const workload = await startWorkload({ ...p.argv(port), ...(p.env ? { env: p.env } : {}), memoryLimitBytes: MEMORY_LIMIT, cpu: PROBER_CPU, readyUrl: `${base}/-/healthy` });
    workload.notes.forEach(log);
    process.on('exit', () => workload.child.kill('SIGKILL'));
    await new Promise((r) => setTimeout(r, 500));
    const rssIdleMb = processMemoryMiB(workload.pid).rss;
    const check = await probeDuration(`${base}/probe?module=http_2xx&target=${fastTarget}`);
    if (check.success !== 1) throw new Error(`${p.name}: probe of hello failed before the load`);
    workload.memory?.resetPeak();
    live.push({ name: p.name, workload, base, rssIdleMb, failed: 0, runs: [] });
  }
  return live;
}

/** The load runs alternate between the probers so all see the same background noise. */
async function runLoad(live: Live[], fastTarget: string): Promise<void> {
  for (const l of live) await runWrk(`${l.base}/probe?module=http_2xx&target=${fastTarget}`, CONNECTIONS, 2, LOAD_CPU); // warm-up
  for (let i = 0; i < RUNS; i++) {
    for (const l of live) {
      const cpuBefore = processCpuSeconds(l.workload.pid) ?? 0;
      const result = await runWrk(`${l.base}/probe?module=http_2xx&target=${fastTarget}`, CONNECTIONS, DURATION_S, LOAD_CPU);
      const cpu = (processCpuSeconds(l.workload.pid) ?? 0) - cpuBefore;
      const cpuPer1000 = (cpu / result.requests) * 1000;
      l.failed += result.non2xx + result.socketErrors;
      l.runs.push({ rps: result.rps, cpuPer1000 });
      log(`  ${l.name} run ${i + 1}: ${result.rps.toFixed(0)} probes/s, ${cpuPer1000.toFixed(2)} CPU-s/1000 probes${result.non2xx ? `, ${result.non2xx} non-2xx` : ''}${result.socketErrors ? `, ${result.socketErrors} socket errors` : ''}`);
    }
  }
}

/** Accuracy on the delayed target: sequential probes, alternating between the probers. */
async function measureAccuracy(live: Live[], rows: Row[], slowTarget: string): Promise<void> {
  const samples: number[][] = live.map(() => []);
  for (let i = 0; i < SAMPLES; i++) {
    for (const [j, l] of live.entries()) {
      const r = await probeDuration(`${l.base}/probe?module=http_2xx&target=${slowTarget}`);
      if (r.success === 1) samples[j]!.push(r.seconds * 1000);
    }
  }
  for (const [j, row] of rows.entries()) {
    const durations = samples[j]!;
    const mean = durations.reduce((a, b) => a + b, 0) / Math.max(1, durations.length);
    row.durationMeanMs = mean;
    row.durationMedianMs = durations.length ? median(durations) : Number.NaN;
    row.durationSpreadMs = Math.sqrt(durations.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, durations.length - 1));
    row.durationErrorMs = mean - DELAY_MS;
  }
}

function toRow(l: Live): Row {
  const alive = l.workload.child.exitCode === null && l.workload.child.signalCode === null;
  return {
    name: l.name,
    rps: median(l.runs.map((r) => r.rps)),
    cpuPer1000: median(l.runs.map((r) => r.cpuPer1000)),
    rssIdleMb: l.rssIdleMb,
    rssPeakMb: alive ? processMemoryMiB(l.workload.pid).peak : Number.NaN,
    cgroupPeakMb: l.workload.memory ? l.workload.memory.peakBytes() / 2 ** 20 : null,
    oomKills: l.workload.memory?.oomKills() ?? 0,
    failedProbes: l.failed,
    durationMeanMs: 0,
    durationMedianMs: 0,
    durationSpreadMs: 0,
    durationErrorMs: 0,
    runs: l.runs,
  };
}

function render(rows: Row[]): string {
  const header = ['prober', 'probes/s', 'CPU-s/1000 probes', 'RSS idle MB', 'RSS peak MB', 'cgroup peak MiB', 'OOM kills', `duration @${DELAY_MS}ms: mean`, 'median', 'spread (sd)', 'error (mean)'];
  const table = rows.map((r) => [
    r.name,
    r.rps.toFixed(0),
    r.cpuPer1000.toFixed(2),
    r.rssIdleMb.toFixed(1),
    r.rssPeakMb.toFixed(1),
    r.cgroupPeakMb === null ? '-' : r.cgroupPeakMb.toFixed(1),
    String(r.oomKills),
    `${r.durationMeanMs.toFixed(2)} ms`,
    `${r.durationMedianMs.toFixed(2)} ms`,
    `${r.durationSpreadMs.toFixed(2)} ms`,
    `${r.durationErrorMs >= 0 ? '+' : ''}${r.durationErrorMs.toFixed(2)} ms`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const [exporter, ...ours] = rows;
  const lines = [line(header), ...table.map(line)];
  if (exporter && ours.length) lines.push('');
  for (const b of ours) {
    lines.push(`${b.name} / exporter: probes/s x${(b.rps / exporter!.rps).toFixed(2)}, CPU per probe x${(b.cpuPer1000 / exporter!.cpuPer1000).toFixed(2)}, duration error ${(b.durationErrorMs - exporter!.durationErrorMs).toFixed(2)} ms apart`);
  }
  return lines.join('\n');
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
  const config = join(mkdtempSync(join(tmpdir(), 'bench-prober-')), 'blackbox.yml');
  writeFileSync(config, 'modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n');
  const targets = await startTargets();
  log(`bench:prober: node ${process.version}, wrk -t1 -c${CONNECTIONS} -d${DURATION_S}s on /probe, ${RUNS} runs, ${pinning ? `probers on CPU ${PROBER_CPU}, target + wrk on CPU ${LOAD_CPU}` : 'unpinned'}, memory limit ${opts['memory-limit']}`);
  // The probers run side by side (each pinned to CPU 0, only one under load at a time).
  const live = await startProbers(config, targets.fast);
  await runLoad(live, targets.fast);
  const rows = live.map(toRow);
  await measureAccuracy(live, rows, targets.slow);
  for (const l of live) await l.workload.stop();
  targets.children.forEach((c) => c.kill('SIGKILL'));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, connections: CONNECTIONS, durationS: DURATION_S, runs: RUNS, delayMs: DELAY_MS, samples: SAMPLES, pinned: pinning, memoryLimit: opts['memory-limit'], rows }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${render(rows)}\n`);
}

await main();
