/**
 * The server under test: the hello service started by the bench as its own process (pinned,
 * optionally under a CPU quota, its GC pauses visible to the bench, and replaceable by a fresh
 * process), or any URL given by the user (with an optional pid to read its CPU and memory from
 * /proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { AbortedError, ExternalError, type Logger } from '../common/index.js';
import { HELLO_NODE_FLAGS } from '../hello/contract.js';
import { applyCpuQuota, backgroundCpuSecondsBetween, backgroundThreadsCpu, pinProcess, type CpuQuota } from './host.js';

/** The server's garbage-collection pauses over a window. */
export interface ServerGc {
  readonly count: number;
  readonly totalMs: number;
  readonly maxMs: number;
}

/** How a fresh server was warmed up. */
export interface Warmup {
  readonly requests: number;
  /**
   * Whether V8's background threads had gone quiet (its optimizing compiler done) when it stopped;
   * null when they cannot be seen (not Linux), and then a fixed number of requests was sent.
   */
  readonly settled: boolean | null;
}

/** A server the bench drives. `url` and `pid` change when {@link BenchTarget.fresh} replaces it. */
export interface BenchTarget {
  readonly url: string;
  /** pid whose CPU and memory are measured, or null when unknown. */
  readonly pid: number | null;
  readonly startedByBench: boolean;
  /** The node flags the bench started hello with (its image's), or null for a server the user runs. */
  readonly nodeFlags: readonly string[] | null;
  /** CPUs the server is pinned to, or null. */
  readonly cpus: string | null;
  /** The quota in force, or null. */
  readonly quota: CpuQuota | null;
  /** Why pinning or the quota could not be applied (empty when all went as asked). */
  readonly notes: readonly string[];
  /**
   * Replaces the server by a fresh process (same pinning and quota), warmed up, so the heap one
   * step left (an overload step's backlog, or what a higher rate grew) does not carry into the
   * next. Null when the bench cannot (a URL it did not start).
   * @throws AbortedError when `signal` aborts: before the old process is stopped, or during the
   *   warm-up (then the new process keeps running until `close`).
   */
  fresh(signal?: AbortSignal): Promise<Warmup | null>;
  /** Warms the current process up as `fresh` does a new one; null when the bench cannot (a URL it did not start). */
  warmUp(signal?: AbortSignal): Promise<Warmup | null>;
  /** Starts a window of the server's GC pauses (a no-op when they cannot be seen). */
  markGc(): void;
  /** The server's GC pauses since `markGc`, or null when they cannot be seen. */
  readGc(): Promise<ServerGc | null>;
  /** Stops the server if the bench started it, and removes the quota. */
  close(): Promise<void>;
}

/** Options of {@link startHelloTarget}. */
export interface StartHelloTargetOptions {
  /** CPU list for `taskset`, e.g. "0"; null for no pinning. */
  readonly cpus: string | null;
  /** CPU quota in millicores, or null for none. */
  readonly quotaMillicores: number | null;
  /** CFS period of the quota, microseconds. Default 100 000. */
  readonly quotaPeriodUs?: number;
  readonly logger: Logger;
}

// dist/bench/target.js -> dist/hello/main.js: the same entry point as the hello image.
const HELLO_MAIN = fileURLToPath(new URL('../hello/main.js', import.meta.url));

// Loaded into the hello process with --import: it notes each GC pause (when it began on its own
// clock, and how long it took) and, on SIGUSR2, writes those noted since the last signal as one
// numbered JSON line on stderr, with the time it wrote it. hello itself is untouched; a few lines,
// so a data: URL rather than a shipped file. Windows are cut on the hello process's own clock (two
// processes' wall clocks can disagree by more than a GC pause on a VM), and signals that arrive
// close together merge into one, so the bench waits for "a report newer than the last one seen".
const GC_REPORTER = `
import { PerformanceObserver } from 'node:perf_hooks';
let pauses = [], seq = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) pauses.push([e.startTime, e.duration]);
}).observe({ entryTypes: ['gc'] });
process.on('SIGUSR2', () => {
  seq += 1;
  process.stderr.write(JSON.stringify({ benchGc: { seq, at: performance.now(), pauses } }) + '\\n');
  pauses = [];
});
`;
const GC_REPORTER_URL = `data:text/javascript,${encodeURIComponent(GC_REPORTER)}`;

/** A GC report of the hello process: its number, when it was written and the pauses since the last one ([start, ms]), on its clock. */
interface GcReport {
  readonly seq: number;
  readonly at: number;
  readonly pauses: readonly (readonly [number, number])[];
}

/**
 * A fresh server's warm-up, in slices of closed-loop requests, until a slice in which its other
 * threads used at most one clock tick of CPU. Those threads are V8's optimizing compiler (and GC
 * helpers): for 15,000-20,000 requests after start it compiles in the background, and under the
 * bench's quota that CPU is taken from the same 250m as the main thread's. After the 5,000
 * requests this used to send, the next 4 s of a 2,723 req/s step had a p99 of 158-163 ms against
 * 2-3 ms once the compiler was done, and in a full run on a quiet host every repetition at
 * 681-2,723 req/s on a fresh process failed the SLO while warm ones passed (docs/BENCHMARKS.md
 * set 13). The threads' time is whole clock ticks, so "quiet" is at most one tick in all.
 */
const WARMUP_SLICE_REQUESTS = 5000;
/** At most this many slices (with /proc, fresh hello processes had their compiler done within 4 and showed the quiet slice at the 5th). */
const WARMUP_MAX_SLICES = 12;
/** Without /proc to watch the threads: the slices that were enough in set 13. */
const WARMUP_BLIND_SLICES = 4;
/** One clock tick (USER_HZ 100): the resolution of the threads' CPU time. */
const SETTLED_BACKGROUND_CPU_SECONDS = 0.01;

/** One hello process: its address, its exit, and the GC pauses it reported. */
class HelloProcess {
  readonly exited: Promise<unknown>;
  private pauses: (readonly [number, number])[] = [];
  private lastSeq = 0;
  private windowStart: Promise<number | null> = Promise.resolve(null);
  private readonly waiting: { readonly after: number; readonly resolve: (at: number) => void }[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    this.exited = once(child, 'exit');
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Spawns hello (with its image's node flags) on 127.0.0.1 and a free port and waits for its "listening" log line (10 s at most). */
  static async start(): Promise<HelloProcess> {
    const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', HELLO_LOG_LEVEL: 'info', HELLO_ACCESS_LOG: 'false' };
    const child = spawn(process.execPath, [...HELLO_NODE_FLAGS, '--import', GC_REPORTER_URL, HELLO_MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    // The process object exists only once it listens; GC reports come only after that.
    const started: { process?: HelloProcess } = {};
    let lastOther = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ExternalError('the hello service did not log "listening" within 10 s')), 10_000);
      createInterface({ input: child.stderr! }).on('line', (line) => {
        const entry = parseLine(line);
        if (entry === null && line.trim() !== '') lastOther = line.trim();
        if (entry?.benchGc) started.process?.received(entry.benchGc);
        else if (entry?.msg === 'listening' && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      });
      // 'close' comes after stderr's last line, which says why when node refused to start (a flag
      // this node does not know, say).
      void once(child, 'close').then(([code]) => {
        clearTimeout(timer);
        reject(new ExternalError(`the hello service exited (${String(code)}) before listening${lastOther ? `: ${lastOther}` : ''}`));
      });
    }).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    started.process = new HelloProcess(child, url);
    return started.process;
  }

  /** Starts a window: pauses from the process's time when it answers this signal on count. */
  markGc(): void {
    this.windowStart = this.report();
  }

  /** The pauses since `markGc`, once the process has reported; null if it did not within 2 s. */
  async readGc(): Promise<ServerGc | null> {
    const [start, end] = await Promise.all([this.windowStart, this.report()]);
    if (start === null || end === null) return null;
    const inWindow = this.pauses.filter(([at]) => at >= start && at <= end).map(([, ms]) => ms);
    // What began before this window's end belongs to no later window.
    this.pauses = this.pauses.filter(([at]) => at > end);
    return { count: inWindow.length, totalMs: inWindow.reduce((a, b) => a + b, 0), maxMs: Math.max(0, ...inWindow) };
  }

  /** Asks for a report; resolves with the time the process wrote one newer than any seen so far (its clock), or null after 2 s. */
  private report(): Promise<number | null> {
    const after = this.lastSeq;
    const answered = new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 2000);
      this.waiting.push({ after, resolve: (at) => (clearTimeout(timer), resolve(at)) });
    });
    try {
      this.child.kill('SIGUSR2');
    } catch {
      return Promise.resolve(null);
    }
    return answered;
  }

  received(report: GcReport): void {
    this.pauses.push(...report.pauses);
    this.lastSeq = Math.max(this.lastSeq, report.seq);
    for (const w of this.waiting.filter((x) => x.after < report.seq)) w.resolve(report.at);
    this.waiting.splice(0, this.waiting.length, ...this.waiting.filter((x) => x.after >= report.seq));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

function parseLine(line: string): { msg?: string; url?: string; benchGc?: GcReport } | null {
  try {
    return JSON.parse(line) as { msg?: string; url?: string; benchGc?: GcReport };
  } catch {
    return null;
  }
}

/**
 * Starts the hello service as a child process on 127.0.0.1 and a free port, pinned with taskset
 * when `cpus` is set, under the quota when one is asked for.
 */
export async function startHelloTarget(options: StartHelloTargetOptions): Promise<BenchTarget> {
  let server = await HelloProcess.start();
  const notes: string[] = [];
  let cpus = options.cpus;
  const pinFailure = cpus === null ? null : pinProcess(server.pid, cpus);
  if (pinFailure) {
    notes.push(pinFailure);
    cpus = null;
  }
  let quota: CpuQuota | null = null;
  if (options.quotaMillicores !== null) {
    const applied = applyCpuQuota(server.pid, options.quotaMillicores, options.quotaPeriodUs);
    if (typeof applied === 'string') notes.push(`CPU quota of ${options.quotaMillicores}m not applied: ${applied}`);
    else quota = applied;
  }
  options.logger.debug('hello target started', { url: server.url, pid: server.pid, cpus, quota: quota?.millicores ?? null });
  return {
    get url() {
      return server.url;
    },
    get pid() {
      return server.pid;
    },
    startedByBench: true,
    nodeFlags: HELLO_NODE_FLAGS,
    cpus,
    quota,
    notes,
    fresh: async (signal) => {
      if (signal?.aborted) throw new AbortedError('bench aborted');
      await server.stop();
      server = await HelloProcess.start();
      // A fresh process outside the pinning or the quota would be measured as another pod.
      const pinFailure = cpus === null ? null : pinProcess(server.pid, cpus);
      if (pinFailure) throw new ExternalError(`the fresh server could not be pinned: ${pinFailure}`);
      if (quota && !quota.add(server.pid)) throw new ExternalError(`the fresh server (pid ${server.pid}) could not be put under the ${quota.millicores}m CPU quota`);
      return warmUp(server, signal);
    },
    warmUp: (signal) => warmUp(server, signal),
    markGc: () => server.markGc(),
    readGc: () => server.readGc(),
    close: async () => {
      await server.stop();
      quota?.remove();
    },
  };
}

/** Warms a fresh server up until its background threads go quiet (see WARMUP_SLICE_REQUESTS). */
async function warmUp(server: HelloProcess, signal: AbortSignal | undefined): Promise<Warmup> {
  let before = backgroundThreadsCpu(server.pid);
  for (let slice = 1; ; slice++) {
    // Up to WARMUP_MAX_SLICES slices of about a second each: a Ctrl-C stops the one under way.
    try {
      await sendClosedLoop(server.url, WARMUP_SLICE_REQUESTS, signal);
    } catch (error) {
      if (signal?.aborted) throw new AbortedError('bench aborted');
      throw error;
    }
    const after = backgroundThreadsCpu(server.pid);
    const verdict = warmupVerdict(slice, before === null || after === null ? null : backgroundCpuSecondsBetween(before, after));
    if (verdict !== null) return verdict;
    before = after;
  }
}

/**
 * After `slice` slices, the last of which the server's background threads used `backgroundSeconds`
 * of CPU in (null: not visible): how the warm-up ended, or null to send another slice.
 */
export function warmupVerdict(slice: number, backgroundSeconds: number | null): Warmup | null {
  const requests = slice * WARMUP_SLICE_REQUESTS;
  if (backgroundSeconds === null) return slice >= WARMUP_BLIND_SLICES ? { requests, settled: null } : null;
  if (backgroundSeconds <= SETTLED_BACKGROUND_CPU_SECONDS + 1e-9) return { requests, settled: true };
  return slice >= WARMUP_MAX_SLICES ? { requests, settled: false } : null;
}

/**
 * Sends `requests` requests to `url`, 8 at a time, and waits for every answer (a closed loop).
 * `signal` aborts the requests under way and rejects.
 */
export async function sendClosedLoop(url: string, requests: number, signal?: AbortSignal): Promise<void> {
  const pool = new Pool(new URL(url).origin, { connections: 8 });
  let left = requests;
  const worker = async (): Promise<void> => {
    while (left-- > 0) {
      signal?.throwIfAborted();
      const { body } = await pool.request({ path: '/', method: 'GET', signal });
      await body.dump();
    }
  };
  try {
    await Promise.all(Array.from({ length: 8 }, worker));
  } finally {
    await pool.close();
  }
}

/** A target the user runs: nothing to start, stop or replace, and its GC cannot be seen. */
export function externalTarget(url: string, pid: number | null): BenchTarget {
  return {
    url,
    pid,
    startedByBench: false,
    nodeFlags: null,
    cpus: null,
    quota: null,
    notes: [],
    fresh: async () => null,
    warmUp: async () => null,
    markGc: () => {},
    readGc: async () => null,
    close: async () => {},
  };
}
