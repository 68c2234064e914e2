/**
 * Runs one of our entry points as a real child process (on Node 24, the same binary as the
 * test) and waits for its JSON "listening" log line, so tests talk to a real server on port 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
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

/**
 * Spawns `node script args` with `env` added to the current environment and resolves when a
 * log line with `msg: "listening"` and a `url` appears. Kills the child in `t.after`.
 */
export async function spawnServer(
  t: TestContext,
  script: string,
  env: Record<string, string>,
  args: string[] = [],
  timeoutMs = 10_000,
): Promise<ChildServer> {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const logs: Record<string, unknown>[] = [];
  const lines = createInterface({ input: child.stderr! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not log "listening" within ${timeoutMs}ms`)), timeoutMs);
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
      reject(new Error(`${script} exited (${code}) before listening: ${JSON.stringify(logs)}`));
    });
  });
  child.stdout!.resume();
  return { child, url, logs, exited };
}
