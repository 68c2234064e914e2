// `npm run build && node dist/bench/scripts/capacity-per-core.js`: requests/s served within the
// latency SLO per core, hello against the original Flask app under gunicorn, by one method in one
// run: each server on CPU 0 under the bench's default CFS quota (250m, 10 ms period: a pod's share
// without a CPU limit; the quota holds gunicorn's master and workers alike), the open-model driver
// (bench/open-model.ts, Poisson arrivals, latency from the intended send time) on CPU 1. The rates
// are fractions of each server's closed-loop maximum under the quota (wrk -c50), ascending; at each
// rate the two servers take turns, `--repetitions` times. A rate holds when every repetition has
// p99 <= --slo-ms and at most 0.1% failures; a repetition the generator spoiled (bench's run
// checks) is measured again once. The SLO capacity is the highest rate that held with every lower
// one; its CPU (the process tree's, from /proc) rounded up to 50m is the request, as bench sizes
// it. The figures behind `hello-cli cost`'s per-core comparison (docs/COST.md). A benchmark, not a
// test: it asserts nothing. Run it on an otherwise idle machine; needs root for the quota.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { applyCpuQuota, loadAverage, pinProcess, type CpuQuota } from '../host.js';
import { checkOpenRun, describeOpenRunProblem, percentileUs, runOpenModel, spoiledByGenerator, type OpenModelRun } from '../index.js';
import { ROOT, freePort, have, median, pinned, processTree, readImageCommand, runWrk, treeCpuSeconds, treeRssMiB, waitUntilServing } from './workload.js';

const { values: opts } = parseArgs({
  options: {
    'quota-millicores': { type: 'string', default: '250' },
    'slo-ms': { type: 'string', default: '25' },
    fractions: { type: 'string', default: '0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9' },
    repetitions: { type: 'string', default: '3' },
    'step-seconds': { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const QUOTA = Number(opts['quota-millicores']);
const SLO_MS = Number(opts['slo-ms']);
const FRACTIONS = opts.fractions.split(',').map(Number);
const REPETITIONS = Number(opts.repetitions);
const STEP_SECONDS = Number(opts['step-seconds']);
const ERROR_BUDGET = 0.001;
/** The bench's run checks judge a repetition against the SLO (bench/assess.ts). */
const SLO = { percentile: 99, latencyMs: SLO_MS, errorBudgetFraction: ERROR_BUDGET };
const SERVER_CPU = '0';
const LOAD_CPU = '1';
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Server {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
  readonly quota: CpuQuota;
  xMax: number;
  /** Per rate: the CPU (cores) of each repetition that held, or null once a rate failed. */
  readonly steps: { rate: number; held: boolean; cpuCores: number[]; p99Ms: number[]; note: string }[];
  peakRssMiB: number;
}

/**
 * Starts `cmd` in a new CPU cgroup under the quota before it runs (a shell waits on stdin until
 * the group is set, then execs), so every process it forks is held by the same quota.
 */
async function startUnderQuota(name: string, cmd: string, args: string[], env: Record<string, string>, port: number): Promise<Server> {
  const run = pinned(SERVER_CPU, cmd, args);
  const child = spawn('sh', ['-c', 'read _ && exec "$0" "$@"', run.cmd, ...run.args], { env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'inherit'] });
  const quota = applyCpuQuota(child.pid!, QUOTA, 10_000);
  if (typeof quota === 'string') {
    child.kill('SIGKILL');
    throw new Error(`${name}: ${quota}`);
  }
  child.stdin!.end('go\n');
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing(`${url}/`, child);
  return { name, child, url, quota, xMax: 0, steps: [], peakRssMiB: 0 };
}

async function startServers(): Promise<Server[]> {
  const hello = readImageCommand('Dockerfile.hello');
  const helloPort = await freePort();
  const flaskPort = await freePort();
  return [
    await startUnderQuota('hello', process.execPath, [...hello.nodeFlags, hello.main], { ...hello.env, PORT: String(helloPort), HOST: '127.0.0.1', HELLO_LOG_LEVEL: 'warn' }, helloPort),
    // The original app as bench:hello runs it: gthread, 2 workers x 4 threads.
    await startUnderQuota('flask+gunicorn', 'gunicorn', ['--chdir', `${ROOT}bench/baselines`, '-w', '2', '-k', 'gthread', '--threads', '4', '-b', `127.0.0.1:${flaskPort}`, '--log-level', 'warning', 'flask_hello:app'], {}, flaskPort),
  ];
}

/** One open-model repetition with the server tree's CPU over exactly the measured window. */
async function repetition(server: Server, rate: number): Promise<{ run: OpenModelRun; cpuCores: number }> {
  const pid = server.child.pid!;
  let cpuStart = 0;
  let cpuEnd = 0;
  let tStart = 0;
  let tEnd = 0;
  const run = await runOpenModel({
    url: server.url, rateRps: rate, durationSeconds: STEP_SECONDS, warmupSeconds: 1, connections: 64,
    hooks: {
      windowStart: () => { cpuStart = treeCpuSeconds(pid); tStart = performance.now(); },
      windowEnd: () => { cpuEnd = treeCpuSeconds(pid); tEnd = performance.now(); },
    },
  });
  server.peakRssMiB = Math.max(server.peakRssMiB, treeRssMiB(pid).peak);
  return { run, cpuCores: (cpuEnd - cpuStart) / Math.max(0.001, (tEnd - tStart) / 1000) };
}

/** Measures one rate on one server; a repetition the generator spoiled is measured again once. */
async function measureRate(server: Server, rate: number): Promise<void> {
  const step = { rate, held: true, cpuCores: [] as number[], p99Ms: [] as number[], note: '' };
  for (let rep = 0; rep < REPETITIONS && step.held; rep++) {
    let result = await repetition(server, rate);
    const record = { run: result.run, serverCpuCores: result.cpuCores, otherCpuCores: null, stealShare: null, throttledPeriods: null, machineStallMs: null, serverPeakRssMiB: null, serverGc: null };
    if (spoiledByGenerator(record, SLO)) result = await repetition(server, rate);
    const p99 = percentileUs(result.run.response, 99) / 1000;
    const problems = checkOpenRun({ ...record, run: result.run }, SLO).map(describeOpenRunProblem);
    const failures = result.run.errors / Math.max(1, result.run.planned);
    step.p99Ms.push(p99);
    step.cpuCores.push(result.cpuCores);
    if (p99 > SLO_MS || failures > ERROR_BUDGET || problems.length > 0) {
      step.held = false;
      step.note = [p99 > SLO_MS ? `p99 ${p99.toFixed(1)} ms` : '', failures > ERROR_BUDGET ? `${(failures * 100).toFixed(2)}% failed` : '', ...problems].filter(Boolean).join('; ');
    }
  }
  server.steps.push(step);
  log(`  ${server.name} ${Math.round(rate)} req/s: ${step.held ? 'held' : `failed (${step.note})`}, p99 ${step.p99Ms.map((p) => p.toFixed(1)).join('/')} ms, CPU ${step.cpuCores.map((c) => (c * 1000).toFixed(0)).join('/')}m`);
}

function summarize(server: Server): Record<string, number | string | null> {
  const held = [];
  for (const step of server.steps) {
    if (!step.held) break;
    held.push(step);
  }
  const cap = held.at(-1);
  const cpu = cap ? median(cap.cpuCores) : null;
  const requestMillis = cpu === null ? null : Math.max(50, Math.ceil((cpu * 1000) / 50) * 50);
  return {
    server: server.name,
    xMaxRps: Math.round(server.xMax),
    sloCapacityRps: cap ? Math.round(cap.rate) : null,
    cpuAtCapacityMillis: cpu === null ? null : Math.round(cpu * 1000),
    cpuRequestMillis: requestMillis,
    rpsPerRequestedCore: cap && requestMillis ? Math.round(cap.rate / (requestMillis / 1000)) : null,
    rpsPerUsedCore: cap && cpu ? Math.round(cap.rate / cpu) : null,
    p99AtCapacityMs: cap ? Number(Math.max(...cap.p99Ms).toFixed(1)) : null,
    peakRssMiB: Number(server.peakRssMiB.toFixed(1)),
  };
}

async function main(): Promise<void> {
  if (!have('wrk') || !have('gunicorn') || spawnSync('/usr/bin/python3', ['-c', 'import flask']).status !== 0) {
    throw new Error('needs wrk, gunicorn and python3-flask (apt-get install wrk gunicorn python3-flask)');
  }
  const loadBefore = loadAverage();
  const pinError = pinProcess(process.pid, LOAD_CPU);
  if (pinError) log(pinError);
  const servers = await startServers();
  try {
    for (const server of servers) {
      await runWrk(`${server.url}/`, 50, 2, LOAD_CPU); // warm-up
      server.xMax = (await runWrk(`${server.url}/`, 50, 5, LOAD_CPU)).rps;
      log(`${server.name}: ${Math.round(server.xMax)} req/s closed-loop under the ${QUOTA}m quota`);
    }
    for (const fraction of FRACTIONS) {
      for (const server of servers) {
        if (server.steps.some((s) => !s.held)) continue;
        await measureRate(server, fraction * server.xMax);
      }
    }
  } finally {
    for (const server of servers) {
      // Workers first (the tree is read from the living master), then the master.
      for (const pid of processTree(server.child.pid!).reverse()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
  // A group can be removed once its processes have exited (the master is our child: wait for it).
  await Promise.all(servers.map((s) => (s.child.exitCode === null && s.child.signalCode === null ? new Promise((resolve) => s.child.once('exit', resolve)) : null)));
  await new Promise((resolve) => setTimeout(resolve, 200)); // the workers, reparented, exit on their own schedule
  servers.forEach((s) => s.quota.remove());
  const rows = servers.map(summarize);
  const ratio = Number(rows[0]!.rpsPerRequestedCore) / Number(rows[1]!.rpsPerRequestedCore);
  const header = `node ${process.version}, ${QUOTA}m quota (10 ms period), SLO p99 <= ${SLO_MS} ms and <= ${ERROR_BUDGET * 100}% failed, ${REPETITIONS} x ${STEP_SECONDS} s per rate, load average ${loadBefore.toFixed(2)} before / ${loadAverage().toFixed(2)} after${loadBefore > 1 ? ' (busy machine: not for the record)' : ''}`;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ header, rows, steps: servers.map((s) => ({ server: s.name, steps: s.steps })), helloOverOriginal: ratio }, null, 2)}\n`);
    return;
  }
  const keys = Object.keys(rows[0]!);
  process.stdout.write([header, '', `| ${keys.join(' | ')} |`, `|${keys.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${keys.map((k) => String(r[k] ?? '-')).join(' | ')} |`), '', `hello / original, requests/s within the SLO per requested core: x${ratio.toFixed(1)}`].join('\n') + '\n');
}

await main();
