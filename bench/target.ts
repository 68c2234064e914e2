/**
 * The server under test: the hello service started by the bench as its own process (pinned and
 * optionally under a CPU quota), or any URL given by the user (with an optional pid to read its
 * CPU and memory from /proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ExternalError, type Logger } from '../common/index.js';
import { applyCpuQuota, pinProcess, type CpuQuota } from './host.js';

/** A server the bench drives. */
export interface BenchTarget {
  readonly url: string;
  /** pid whose CPU and memory are measured, or null when unknown. */
  readonly pid: number | null;
  readonly startedByBench: boolean;
  /** CPUs the server is pinned to, or null. */
  readonly cpus: string | null;
  /** The quota in force, or null. */
  readonly quota: CpuQuota | null;
  /** Why pinning or the quota could not be applied (empty when all went as asked). */
  readonly notes: readonly string[];
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

/**
 * Starts the hello service as a child process on 127.0.0.1 and a free port, pinned with taskset
 * when `cpus` is set, and waits for its "listening" log line (10 s at most).
 */
export async function startHelloTarget(options: StartHelloTargetOptions): Promise<BenchTarget> {
  const notes: string[] = [];
  const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', HELLO_LOG_LEVEL: 'info', HELLO_ACCESS_LOG: 'false' };
  const child: ChildProcess = spawn(process.execPath, [HELLO_MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ExternalError('the hello service did not log "listening" within 10 s')), 10_000);
    createInterface({ input: child.stderr! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'listening' && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        // not a log line
      }
    });
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new ExternalError(`the hello service exited (${String(code)}) before listening`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  const pid = child.pid!;
  let cpus = options.cpus;
  if (cpus !== null) {
    const why = pinProcess(pid, cpus);
    if (why) {
      notes.push(why);
      cpus = null;
    }
  }
  let quota: CpuQuota | null = null;
  if (options.quotaMillicores !== null) {
    const applied = applyCpuQuota(pid, options.quotaMillicores, options.quotaPeriodUs);
    if (typeof applied === 'string') notes.push(`CPU quota of ${options.quotaMillicores}m not applied: ${applied}`);
    else quota = applied;
  }
  options.logger.debug('hello target started', { url, pid, cpus, quota: quota?.millicores ?? null });
  return {
    url,
    pid,
    startedByBench: true,
    cpus,
    quota,
    notes,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      quota?.remove();
    },
  };
}

/** A target the user runs: nothing to start or stop. */
export function externalTarget(url: string, pid: number | null): BenchTarget {
  return { url, pid, startedByBench: false, cpus: null, quota: null, notes: [], close: async () => {} };
}
