/**
 * Runs one of our entry points as a real child process (on Node 24, the same binary as the
 * test) and waits for its JSON "listening" log line, so tests talk to a real server on port 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';

/** A spawned server and what it logged. */
export interface ChildServer {
  readonly child: ChildProcess;
  /** Base URL from the "listening" log line. */
  readonly url: string;
  /** Every JSON log line so far (stderr). */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

/** Options of {@link spawnListening}. */
export interface SpawnListeningOptions {
  /** The whole environment of the child (not added to the current one). */
  readonly env: NodeJS.ProcessEnv;
  /** Rejects when no "listening" line came within this many ms. */
  readonly timeoutMs: number;
  /**
   * Ends the child in `t.after`; default: SIGKILL to the child if it still runs. For wrappers
   * (buildah run, unshare) that do not pass signals on to the server they start.
   */
  readonly stop?: (child: ChildProcess, exited: Promise<number | string>) => Promise<void>;
}

/**
 * Spawns `command args` and resolves when a stderr log line with `msg: "listening"` and a `url`
 * appears; rejects when the process exits first or the timeout passes. Ends it in `t.after`.
 */
export async function spawnListening(t: TestContext, command: string, args: readonly string[], options: SpawnListeningOptions): Promise<ChildServer> {
  const { env, timeoutMs, stop } = options;
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  t.after(async () => {
    if (stop) await stop(child, exited);
    else if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const logs: Record<string, unknown>[] = [];
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const name = [command, ...args].join(' ').slice(0, 200);
  const lines = createInterface({ input: child.stderr! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not log "listening" within ${timeoutMs}ms: ${JSON.stringify(logs)}`)), timeoutMs);
    lines.on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { msg: line };
      }
      logs.push(entry);
      if (entry.msg === 'listening' && typeof entry.url === 'string') {
        clearTimeout(timer);
        resolve(entry.url);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before listening: ${JSON.stringify(logs)} ${output.join('')}`));
    });
  });
  return { child, url, logs, exited };
}

/**
 * Spawns `node script args` with `env` added to the current environment and resolves when a
 * log line with `msg: "listening"` and a `url` appears. Kills the child in `t.after`.
 */
export function spawnServer(
  t: TestContext,
  script: string,
  env: Record<string, string>,
  args: string[] = [],
  timeoutMs = 10_000,
): Promise<ChildServer> {
  return spawnListening(t, process.execPath, [script, ...args], { env: { ...process.env, ...env }, timeoutMs });
}

/** A spawned process that is not a server of ours (an operator, Prometheus): output kept for failure messages. */
export interface ChildProcessHandle {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  /** The last 4000 characters of its stdout and stderr. */
  output(): string;
}

/** Spawns `command args`, keeps the tail of its output, and kills it (SIGKILL) in `t.after`. */
export function spawnLogged(t: TestContext, command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcessHandle {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, exited, output: () => tail };
}

/** argv of a process, or [] when it has gone. */
export function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}
