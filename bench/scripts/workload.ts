/**
 * What the measurement scripts (bench-hello, bench-prober, footprint) share: running hello or the
 * prober as its image runs it (the Dockerfile's entry point, node flags and environment, on the
 * compiled tree), optionally inside a memory cgroup of the pod's limit and pinned to a CPU; free
 * ports; wrk; reading a process's memory. Scripts, not library: nothing here is exported from
 * bench/index.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createMemoryLimit, processCpuSeconds, type MemoryLimit } from '../host.js';

/** The repository root (the Dockerfiles) and the compiled tree (dist/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DIST = fileURLToPath(new URL('../../', import.meta.url));

/** How an image starts its process, read from its Dockerfile. */
export interface ImageCommand {
  /** Flags between the node binary and the main script in `ENTRYPOINT` (V8 heap flags and the like). */
  readonly nodeFlags: readonly string[];
  /** The main script, mapped from the image's `/app/` to the compiled tree. */
  readonly main: string;
  /** `CMD`: the default arguments. */
  readonly args: readonly string[];
  /** `ENV` of the runtime stage. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Reads the runtime stage's `ENTRYPOINT` (exec form: node, flags, main script), `CMD` and `ENV`
 * of a Dockerfile in the repository root, e.g. `Dockerfile.hello`.
 */
export function readImageCommand(dockerfile: string): ImageCommand {
  const text = readFileSync(`${ROOT}${dockerfile}`, 'utf8').replace(/\\\n/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const execForm = (instruction: string): string[] => {
    const match = new RegExp(`^${instruction}\\s+(\\[.*\\])\\s*$`, 'm').exec(runtime);
    return match ? (JSON.parse(match[1]!) as string[]) : [];
  };
  const entrypoint = execForm('ENTRYPOINT');
  const mainIndex = entrypoint.findIndex((arg) => arg.startsWith('/app/'));
  if (entrypoint[0] !== '/nodejs/bin/node' || mainIndex < 0) {
    throw new Error(`${dockerfile}: expected ENTRYPOINT ["/nodejs/bin/node", flags..., "/app/..."], found ${JSON.stringify(entrypoint)}`);
  }
  const env: Record<string, string> = {};
  for (const line of runtime.matchAll(/^ENV\s+(.*)$/gm)) {
    for (const pair of line[1]!.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[pair[1]!] = pair[2]!.replace(/^"|"$/g, '');
  }
  return {
    nodeFlags: entrypoint.slice(1, mainIndex),
    main: `${DIST}${entrypoint[mainIndex]!.slice('/app/'.length)}`,
    args: execForm('CMD'),
    env,
  };
}

/** Splits a flags option (`"--a=1 --b"`, or `image` for the image's own flags) into arguments. */
export function parseNodeFlags(text: string, image: ImageCommand): readonly string[] {
  return text.trim() === 'image' ? image.nodeFlags : text.split(/\s+/).filter(Boolean);
}

export const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** Wraps a command in `taskset -c cpu` when taskset exists and a CPU is given. */
export function pinned(cpu: string | null, cmd: string, args: readonly string[]): { cmd: string; args: string[] } {
  return cpu !== null && have('taskset') ? { cmd: 'taskset', args: ['-c', cpu, cmd, ...args] } : { cmd, args: [...args] };
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Waits until `url` answers with a status below 500, or throws when the process exits or 15 s pass. */
export async function waitUntilServing(url: string, child: ChildProcess): Promise<void> {
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${url}: the process exited (${child.exitCode ?? child.signalCode}) before serving`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${url} did not answer within 15 s`);
}

/** A workload process started by {@link startWorkload}. */
export interface Workload {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The memory cgroup it runs in, or null (see `notes`). */
  readonly memory: MemoryLimit | null;
  readonly notes: readonly string[];
  /** SIGKILLs the process (if it still runs) and removes its cgroup. */
  stop(): Promise<void>;
}

/** The node command line an image runs: node, its flags (or `nodeFlags`), the main script, its `CMD` (or `args`). */
export function imageArgv(image: ImageCommand, nodeFlags?: readonly string[], args?: readonly string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: [...(nodeFlags ?? image.nodeFlags), image.main, ...(args ?? image.args)] };
}

/** Options of {@link startWorkload}. */
export interface WorkloadOptions {
  /** What to run, e.g. {@link imageArgv}. */
  readonly command: string;
  readonly args: readonly string[];
  /** Environment on top of this process's (an image's `ENV` included by the caller). */
  readonly env?: Readonly<Record<string, string>>;
  /** Memory limit of the pod in bytes, enforced by a cgroup; null for none. */
  readonly memoryLimitBytes: number | null;
  /** CPU to pin to (taskset), or null. */
  readonly cpu: string | null;
  /** URL that answers once the process serves. */
  readonly readyUrl: string;
}

/** Starts a workload (in a memory cgroup of the pod's limit when asked) and waits until it serves. */
export async function startWorkload(options: WorkloadOptions): Promise<Workload> {
  const notes: string[] = [];
  let memory: MemoryLimit | null = null;
  if (options.memoryLimitBytes !== null) {
    const made = createMemoryLimit(options.memoryLimitBytes, 'footprint');
    if (typeof made === 'string') notes.push(`no memory limit: ${made}`);
    else memory = made;
  }
  const node = pinned(options.cpu, options.command, options.args);
  const run = memory ? memory.wrap(node.cmd, node.args) : { command: node.cmd, args: node.args };
  const child = spawn(run.command, run.args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await memory?.remove();
  };
  try {
    await waitUntilServing(options.readyUrl, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, pid: child.pid!, memory, notes, stop };
}

/** Resident memory of a process, MiB: all of it, its anonymous part, and the peak (VmHWM). */
export function processMemoryMiB(pid: number): { rss: number; anon: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, anon: kb('RssAnon') / 1024, peak: kb('VmHWM') / 1024 };
}

/** What one wrk run measured. */
export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly p50ms: number;
  readonly p99ms: number;
}

/** Runs `wrk -t1 -c<connections> -d<seconds>s --latency url` (pinned to `cpu`) without blocking. */
export async function runWrk(url: string, connections: number, seconds: number, cpu: string | null): Promise<WrkResult> {
  const run = pinned(cpu, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url]);
  const child = spawn(run.cmd, run.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`wrk failed (${code}): ${err.trim()}`);
  const total = /(\d+) requests in ([\d.]+)(m?s)/.exec(out);
  const requests = Number(total?.[1] ?? 0);
  const secs = Number(total?.[2] ?? seconds) / (total?.[3] === 'ms' ? 1000 : 1);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests,
    seconds: secs,
    rps: requests / secs,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    p50ms: wrkMs(/\s50%\s+([\d.]+\w+)/.exec(out)?.[1]),
    p99ms: wrkMs(/\s99%\s+([\d.]+\w+)/.exec(out)?.[1]),
  };
}

function wrkMs(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text ?? '');
  if (!match) return Number.NaN;
  return Number(match[1]) * (match[2] === 'us' ? 0.001 : match[2] === 's' ? 1000 : 1);
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Parses a memory size option: `192Mi`, `1Gi`, or bytes. */
export function parseMemoryOption(text: string, option: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(text.trim());
  if (!match) throw new Error(`${option} ${JSON.stringify(text)} is not allowed; expected a size like 192Mi or 1Gi`);
  return Number(match[1]) * { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[match[2] ?? '']!;
}

/** A process and its descendants (gunicorn forks its workers), from /proc. */
export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      const children = readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, 'utf8').trim();
      if (children) pids.push(...children.split(/\s+/).map(Number));
    } catch {
      // process gone
    }
  }
  return pids;
}

/** CPU seconds (user + system) of a process and its descendants; processes gone count 0. */
export function treeCpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + (processCpuSeconds(p) ?? 0), 0);
}

/** Resident memory of a process and its descendants, MiB: now and the sum of their peaks. */
export function treeRssMiB(pid: number): { now: number; peak: number } {
  let now = 0;
  let peak = 0;
  for (const p of processTree(pid)) {
    try {
      const memory = processMemoryMiB(p);
      now += memory.rss;
      peak += memory.peak;
    } catch {
      // process gone
    }
  }
  return { now, peak };
}
