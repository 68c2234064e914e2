// `npm run build && node dist/bench/scripts/footprint.js`: what hello and the prober cost as their
// pods run them: the image's entry point, node flags and environment (read from Dockerfile.hello
// and Dockerfile.prober) on the compiled tree, inside a cgroup v1 memory group of the pod's memory
// limit, pinned to CPU 0, with the kubelet's probes running throughout. For each load phase: CPU
// (cores, from /proc utime+stime over the window), RSS at the end, peak RSS (VmHWM, reset at the
// phase start), the cgroup's peak charge and OOM kills. The load runs on CPU 1 (this process, wrk
// and the prober's targets). The numbers behind infra's default requests and limits (docs/COST.md).
// A benchmark, not a test: it asserts nothing. Needs root for the cgroup and wrk for the
// prober's loads; run it on an otherwise idle machine (the header prints the load average).
import { connect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HELLO_PATHS } from '../../hello/contract.js';
import { PROBER_PATHS } from '../../prober/contract.js';
import { loadAverage, pinProcess, processCpuSeconds, resetPeakRss } from '../host.js';
import { percentileUs, readBenchResults, runOpenModel } from '../index.js';
import {
  DIST, freePort, have, imageArgv, parseMemoryOption, parseNodeFlags, pinned, processMemoryMiB, readImageCommand, runWrk, startWorkload, waitUntilServing,
  type Workload,
} from './workload.js';

const { values: opts } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'hello,prober' },
    seconds: { type: 'string', default: '10' },
    'hello-memory-limit': { type: 'string', default: '192Mi' }, // infra's DEFAULT_RESOURCES limit
    'prober-memory-limit': { type: 'string', default: '160Mi' }, // infra's DEFAULT_PROBER_RESOURCES limit (bench/ may not import infra/)
    'hello-node-flags': { type: 'string', default: 'image' },
    'prober-node-flags': { type: 'string', default: 'image' },
    'normal-rps': { type: 'string', default: '50' },
    'capacity-rps': { type: 'string', default: '10000' },
    bench: { type: 'string' },
    'probe-rate': { type: 'string', default: '1' },
    'prober-concurrency': { type: 'string', default: '100' },
    json: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(opts.seconds);
const WORKLOAD_CPU = '0';
const LOAD_CPU = '1';
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One measured window. */
interface PhaseResult {
  readonly workload: string;
  readonly phase: string;
  readonly load: string;
  readonly cpuCores: number | null;
  readonly rssMiB: number | null;
  readonly anonMiB: number | null;
  readonly peakRssMiB: number | null;
  readonly cgroupPeakMiB: number | null;
  readonly oomKills: number;
  /** False when the process was gone at the end of the window. */
  readonly alive: boolean;
  /** What the load achieved (rate, latency, failures). */
  readonly result: string;
}

/** A load phase: drives the workload for the window and says what it achieved. */
interface Phase {
  readonly name: string;
  readonly load: string;
  /** Runs on a newly started process (hostile phases: one may end in an OOM kill). */
  readonly fresh: boolean;
  run(base: string, workload: Workload): Promise<string>;
}

/** The kubelet's probes of the pod spec (infra/constructs): readiness every 5 s, liveness every 10 s. */
function kubeletProbes(base: string, readiness: string, liveness: string): () => void {
  const get = (path: string): void => void fetch(`${base}${path}`).then((res) => res.arrayBuffer(), () => undefined);
  const timers = [setInterval(() => get(readiness), 5000), setInterval(() => get(liveness), 10_000)];
  get(readiness);
  get(liveness);
  return () => timers.forEach(clearInterval);
}

async function measure(name: string, phase: Phase, base: string, workload: Workload): Promise<PhaseResult> {
  const { pid, memory } = workload;
  resetPeakRss(pid);
  memory?.resetPeak();
  const oomBefore = memory?.oomKills() ?? 0;
  const cpuBefore = processCpuSeconds(pid);
  const started = performance.now();
  const result = await phase.run(base, workload).catch((error: unknown) => `load failed: ${(error as Error).message}`);
  const wall = (performance.now() - started) / 1000;
  const cpuAfter = processCpuSeconds(pid);
  const alive = workload.child.exitCode === null && workload.child.signalCode === null;
  const mem = alive ? processMemoryMiB(pid) : null;
  return {
    workload: name,
    phase: phase.name,
    load: phase.load,
    cpuCores: cpuBefore !== null && cpuAfter !== null ? (cpuAfter - cpuBefore) / wall : null,
    rssMiB: mem?.rss ?? null,
    anonMiB: mem?.anon ?? null,
    peakRssMiB: mem?.peak ?? null,
    cgroupPeakMiB: memory ? memory.peakBytes() / 2 ** 20 : null,
    oomKills: (memory?.oomKills() ?? 0) - oomBefore,
    alive,
    result: alive ? result : `${result}; process gone (${workload.child.signalCode ?? workload.child.exitCode})`,
  };
}

/** Open-model load (Poisson arrivals) at `rps` for the window; says what it achieved. */
async function openLoad(base: string, rps: number, connections: number): Promise<string> {
  const run = await runOpenModel({ url: base, path: HELLO_PATHS.root, rateRps: rps, durationSeconds: SECONDS, warmupSeconds: 1, connections });
  const p99 = percentileUs(run.response, 99) / 1000;
  return `${Math.round(run.achievedRps)} req/s, p99 ${p99.toFixed(1)} ms, ${run.errors} failed, send lag p99 ${(percentileUs(run.sendLag, 99) / 1000).toFixed(1)} ms`;
}

/** Sockets that each write `requests` pipelined GETs of `path` and never read an answer. */
function pipelineWithoutReading(port: number, path: string, connections: number, requests: number): Socket[] {
  const burst = `GET ${path} HTTP/1.1\r\nHost: footprint\r\n\r\n`.repeat(requests);
  return Array.from({ length: connections }, () => {
    const socket = connect(port, '127.0.0.1', () => socket.write(burst));
    socket.pause();
    socket.on('error', () => undefined);
    return socket;
  });
}

async function floodPhase(base: string, path: string, connections: number, requests: number, liveness: string): Promise<string> {
  const sockets = pipelineWithoutReading(Number(new URL(base).port), path, connections, requests);
  await sleep(SECONDS * 1000);
  sockets.forEach((s) => s.destroy());
  // How long the process needs to serve again once the flood has gone.
  const ended = performance.now();
  while (performance.now() - ended < 30_000) {
    const status = await fetch(`${base}${liveness}`).then((res) => res.status, () => 0);
    if (status === 200) return `${liveness} answered ${Math.round(performance.now() - ended)} ms after the flood`;
    await sleep(50);
  }
  return `${liveness} did not answer within 30 s after the flood`;
}

/** Opens `count` keep-alive connections that each get one answer and then stay idle. */
async function idleConnectionsPhase(base: string, count: number): Promise<string> {
  const port = Number(new URL(base).port);
  const sockets: Socket[] = [];
  let answered = 0;
  const open = (): Promise<void> => new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: footprint\r\n\r\n'));
    sockets.push(socket);
    socket.once('data', () => { answered++; resolve(); });
    socket.once('close', () => resolve());
    socket.on('error', () => undefined);
  });
  for (let i = 0; i < count; i += 100) await Promise.all(Array.from({ length: Math.min(100, count - i) }, open));
  await sleep(SECONDS * 1000);
  sockets.forEach((s) => s.destroy());
  return `${answered} of ${count} connections answered and held idle`;
}

function helloPhases(capacityRps: number): Phase[] {
  const normalRps = Number(opts['normal-rps']);
  return [
    { name: 'idle', load: 'kubelet probes only', fresh: false, run: async () => { await sleep(SECONDS * 1000); return '-'; } },
    { name: 'normal', load: `${normalRps} req/s (Poisson) + kubelet probes`, fresh: false, run: (base) => openLoad(base, normalRps, 8) },
    { name: 'capacity', load: `${capacityRps} req/s (Poisson, 64 connections): the bench's SLO capacity per pod`, fresh: false, run: (base) => openLoad(base, capacityRps, 64) },
    { name: 'hostile: pipelining', load: '100 connections x 20,000 pipelined GET / never read', fresh: true, run: (base) => floodPhase(base, HELLO_PATHS.root, 100, 20_000, HELLO_PATHS.liveness) },
    { name: 'hostile: connections', load: '1,124 idle keep-alive connections (the 1,024 cap + 100)', fresh: true, run: (base) => idleConnectionsPhase(base, 1124) },
  ];
}

/** Closed-loop /probe load with wrk; says probes/s, CPU per 1000 probes and failures. */
async function probeLoad(base: string, workload: Workload, target: string, connections: number): Promise<string> {
  const cpuBefore = processCpuSeconds(workload.pid) ?? 0;
  const run = await runWrk(`${base}${PROBER_PATHS.probe}?module=http_2xx&target=${encodeURIComponent(target)}`, connections, SECONDS, LOAD_CPU);
  const cpu = (processCpuSeconds(workload.pid) ?? 0) - cpuBefore;
  return `${Math.round(run.rps)} probes/s, ${((cpu / Math.max(1, run.requests)) * 1000).toFixed(2)} CPU-s/1000 probes, ${run.non2xx} non-2xx, ${run.socketErrors} socket errors`;
}

/** Probes at `rate` per second and a /metrics scrape, for the window. */
async function normalProbes(base: string, target: string, rate: number): Promise<string> {
  const url = `${base}${PROBER_PATHS.probe}?module=http_2xx&target=${encodeURIComponent(target)}`;
  let ok = 0;
  let sent = 0;
  const scrape = fetch(`${base}${PROBER_PATHS.metrics}`).then((res) => res.arrayBuffer());
  const timer = setInterval(() => {
    sent++;
    void fetch(url).then(async (res) => { if (/^probe_success 1$/m.test(await res.text())) ok++; }, () => undefined);
  }, 1000 / rate);
  await sleep(SECONDS * 1000);
  clearInterval(timer);
  await scrape;
  return `${ok} of ${sent} probes succeeded`;
}

function proberPhases(targets: { fast: string; slow: string }): Phase[] {
  const rate = Number(opts['probe-rate']);
  const limit = Number(opts['prober-concurrency']);
  return [
    { name: 'idle', load: 'kubelet probes only', fresh: false, run: async () => { await sleep(SECONDS * 1000); return '-'; } },
    { name: 'normal', load: `${rate} probe/s + a /metrics scrape + kubelet probes`, fresh: false, run: (base) => normalProbes(base, targets.fast, rate) },
    { name: 'bench load', load: '20 concurrent /probe of hello (wrk -c20, as bench:prober)', fresh: false, run: (base, w) => probeLoad(base, w, targets.fast, 20) },
    { name: 'concurrency limit', load: `${limit} concurrent /probe of hello`, fresh: false, run: (base, w) => probeLoad(base, w, targets.fast, limit) },
    { name: 'concurrency limit, slow target', load: `${limit} concurrent /probe of a target answering after 250 ms`, fresh: false, run: (base, w) => probeLoad(base, w, targets.slow, limit) },
    { name: 'hostile: over the limit', load: `${2 * limit} concurrent /probe of the slow target`, fresh: true, run: (base, w) => probeLoad(base, w, targets.slow, 2 * limit) },
    { name: 'hostile: pipelining', load: '100 connections x 2,000 pipelined GET /metrics never read', fresh: true, run: (base) => floodPhase(base, PROBER_PATHS.metrics, 100, 2000, PROBER_PATHS.healthy) },
  ];
}

/** Runs the phases on one process (a fresh one for each `fresh` phase). */
async function runPhases(name: string, phases: readonly Phase[], start: () => Promise<{ base: string; workload: Workload }>): Promise<PhaseResult[]> {
  const results: PhaseResult[] = [];
  let current: { base: string; workload: Workload } | null = null;
  for (const phase of phases) {
    if (phase.fresh || current === null) {
      await current?.workload.stop();
      current = await start();
      await sleep(1000); // settle after start, as a pod is before its first traffic
    }
    const readiness = name === 'hello' ? HELLO_PATHS.readiness : PROBER_PATHS.ready;
    const liveness = name === 'hello' ? HELLO_PATHS.liveness : PROBER_PATHS.healthy;
    const stopProbes = kubeletProbes(current.base, readiness, liveness);
    const result = await measure(name, phase, current.base, current.workload);
    stopProbes();
    log(`  ${name} ${phase.name}: ${formatRow(result).join(' | ')}`);
    results.push(result);
  }
  await current?.workload.stop();
  return results;
}

async function measureHello(): Promise<PhaseResult[]> {
  const image = readImageCommand('Dockerfile.hello');
  const nodeFlags = parseNodeFlags(opts['hello-node-flags'], image);
  const memoryLimitBytes = opts['hello-memory-limit'] === 'none' ? null : parseMemoryOption(opts['hello-memory-limit'], '--hello-memory-limit');
  const capacityRps = opts.bench ? (await readBenchResults(opts.bench)).recommendation?.rps.sloCapacityPerPod ?? Number(opts['capacity-rps']) : Number(opts['capacity-rps']);
  log(`hello: node ${nodeFlags.join(' ') || '(no flags)'} ${image.main}, memory limit ${opts['hello-memory-limit']}`);
  return runPhases('hello', helloPhases(Math.round(capacityRps)), async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const workload = await startWorkload({
      ...imageArgv(image, nodeFlags), memoryLimitBytes, cpu: WORKLOAD_CPU, readyUrl: `${base}${HELLO_PATHS.readiness}`,
      env: { ...image.env, PORT: String(port), HOST: '127.0.0.1', HELLO_LOG_LEVEL: 'warn' }, // only the log level differs from the image
    });
    workload.notes.forEach(log);
    return { base, workload };
  });
}

/** The prober's targets on the load CPU: hello, and a server answering after 250 ms. */
async function startTargets(): Promise<{ fast: string; slow: string; stop: () => void }> {
  const helloPort = await freePort();
  const slowPort = await freePort();
  const hello = pinned(LOAD_CPU, process.execPath, [`${DIST}hello/main.js`]);
  const slowScript = `require('node:http').createServer((q,s)=>setTimeout(()=>s.end('slow'),250)).listen(${slowPort},'127.0.0.1')`;
  const slow = pinned(LOAD_CPU, process.execPath, ['-e', slowScript]);
  const children = [
    spawn(hello.cmd, hello.args, { env: { ...process.env, PORT: String(helloPort), HOST: '127.0.0.1', HELLO_LOG_LEVEL: 'warn' }, stdio: 'ignore' }),
    spawn(slow.cmd, slow.args, { stdio: 'ignore' }),
  ];
  const stop = (): void => children.forEach((c) => c.kill('SIGKILL'));
  process.once('exit', stop);
  await waitUntilServing(`http://127.0.0.1:${helloPort}/`, children[0]!);
  await waitUntilServing(`http://127.0.0.1:${slowPort}/`, children[1]!);
  return { fast: `http://127.0.0.1:${helloPort}/`, slow: `http://127.0.0.1:${slowPort}/`, stop };
}

async function measureProber(): Promise<PhaseResult[]> {
  if (!have('wrk')) throw new Error('the prober phases need wrk (apt-get install wrk)');
  const image = readImageCommand('Dockerfile.prober');
  const nodeFlags = parseNodeFlags(opts['prober-node-flags'], image);
  const memoryLimitBytes = opts['prober-memory-limit'] === 'none' ? null : parseMemoryOption(opts['prober-memory-limit'], '--prober-memory-limit');
  const config = join(mkdtempSync(join(tmpdir(), 'footprint-')), 'prober.yml');
  writeFileSync(config, 'modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n');
  const targets = await startTargets();
  log(`prober: node ${nodeFlags.join(' ') || '(no flags)'} ${image.main}, memory limit ${opts['prober-memory-limit']}`);
  try {
    return await runPhases('prober', proberPhases(targets), async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const workload = await startWorkload({
        ...imageArgv(image, nodeFlags, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn']),
        env: image.env, memoryLimitBytes, cpu: WORKLOAD_CPU, readyUrl: `${base}${PROBER_PATHS.ready}`,
      });
      workload.notes.forEach(log);
      return { base, workload };
    });
  } finally {
    targets.stop();
  }
}

const mib = (value: number | null): string => (value === null ? '-' : value.toFixed(1));

function formatRow(r: PhaseResult): string[] {
  const cpu = r.cpuCores === null ? '-' : `${(r.cpuCores * 1000).toFixed(1)}m`;
  return [r.workload, r.phase, r.load, cpu, mib(r.rssMiB), mib(r.anonMiB), mib(r.peakRssMiB), mib(r.cgroupPeakMiB), String(r.oomKills), r.result];
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const why = pinProcess(process.pid, LOAD_CPU);
  if (why) log(why);
  const workloads = opts.workloads.split(',');
  const rows: PhaseResult[] = [];
  if (workloads.includes('hello')) rows.push(...(await measureHello()));
  if (workloads.includes('prober')) rows.push(...(await measureProber()));
  const header = `node ${process.version}, ${SECONDS} s per phase, 1-minute load average ${loadBefore.toFixed(2)} before and ${loadAverage().toFixed(2)} after${loadBefore > 1 ? ' (the machine was busy: not for sizing)' : ''}`;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, seconds: SECONDS, loadAverageBefore: loadBefore, loadAverageAfter: loadAverage(), options: opts, rows }, null, 2)}\n`);
    return;
  }
  const lines = [
    header,
    '',
    '| workload | phase | load | CPU | RSS MiB | anon RSS MiB | peak RSS MiB | cgroup peak MiB | OOM kills | result |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${formatRow(r).join(' | ')} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
