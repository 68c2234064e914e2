/**
 * A network and mount namespace that a test makes itself (`unshare --net --mount`, as root), so
 * that traffic to the fake pod and Service addresses of a local cluster goes to real processes and
 * never leaves the machine: the addresses live on the namespace's own `lo`, its `/etc/hosts` is a
 * file of the test bind-mounted over the real one, and every process of the test that must reach
 * them (control plane, operator, Prometheus, servers, curl) is started inside with `nsenter`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { run, type RunOptions, type RunResult } from './run.js';
import { inCI, requireTool } from './tools.js';

/** A namespace made by {@link createNetNamespace}; removed when the test ends. */
export interface NetNamespace {
  /** The process that holds the namespace open. */
  readonly pid: number;
  /** `command args` as the command line that runs it inside (nsenter execs, so the pid is the command's). */
  wrap(command: string, args: readonly string[]): readonly [string, readonly string[]];
  /** Runs a command inside to completion. */
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Adds addresses (as /32) to the namespace's `lo`; ones already there are skipped. */
  addAddresses(addresses: readonly string[]): Promise<void>;
  /** Replaces the namespace's /etc/hosts: one line per address with its names. */
  writeHosts(entries: ReadonlyMap<string, readonly string[]>): void;
  /** A GET from inside (curl); never rejects on an HTTP error status. */
  get(url: string): Promise<{ readonly status: number; readonly body: string }>;
}

const HOSTS_HEADER = '127.0.0.1 localhost\n::1 localhost\n';

/**
 * Makes the namespace, or skips the test (fails under CI=true) when not root or a tool is missing.
 * Everything started through it must be stopped by the test; the holder is killed in `t.after`.
 */
export async function createNetNamespace(t: TestContext): Promise<NetNamespace | undefined> {
  for (const tool of ['unshare', 'nsenter', 'ip', 'curl']) if (!requireTool(t, tool, 'apt-get install util-linux iproute2 curl')) return undefined;
  if (process.getuid?.() !== 0) {
    const message = 'a network namespace of its own needs root (unshare --net --mount)';
    if (inCI) throw new Error(`${message}; CI=true requires every real-tool test to run`);
    t.skip(message);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'hello-edge-netns-'));
  const hostsFile = join(dir, 'hosts');
  writeFileSync(hostsFile, HOSTS_HEADER);
  // unshare execs sh, which execs sleep: the holder's pid is the one nsenter targets.
  const holder: ChildProcess = spawn('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'sh', '-c',
    'ip link set lo up && mount --bind "$0" /etc/hosts && echo ready && exec sleep infinity', hostsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(holder, 'exit');
  t.after(async () => {
    if (holder.exitCode === null && holder.signalCode === null) {
      holder.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  let stderr = '';
  holder.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.setEncoding('utf8').on('data', (chunk: string) => chunk.includes('ready') && resolve());
    void exited.then(([code]) => reject(new Error(`unshare exited (${String(code)}) before the namespace was ready: ${stderr}`)));
  });
  const pid = holder.pid!;
  const added = new Set<string>();
  const wrap = (command: string, args: readonly string[]) => ['nsenter', ['--target', String(pid), '--net', '--mount', '--', command, ...args]] as const;
  const inside = (command: string, args: readonly string[], options?: RunOptions) => run(...wrap(command, args), options);
  return {
    pid,
    wrap,
    run: inside,
    async addAddresses(addresses) {
      for (const address of addresses) {
        if (added.has(address)) continue;
        const result = await inside('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo']);
        if (result.code !== 0) throw new Error(`ip addr add ${address}: ${result.stderr}`);
        added.add(address);
      }
    },
    writeHosts(entries) {
      // Written in place: the bind mount points at this file's inode, so it must not be replaced.
      writeFileSync(hostsFile, HOSTS_HEADER + [...entries].map(([address, names]) => `${address} ${names.join(' ')}\n`).join(''));
    },
    async get(url) {
      const result = await inside('curl', ['-sS', '--max-time', '10', '-w', '\n%{http_code}', url]);
      if (result.code !== 0) throw new Error(`curl ${url} (inside the namespace) failed: ${result.stderr}`);
      const cut = result.stdout.lastIndexOf('\n');
      return { status: Number(result.stdout.slice(cut + 1)), body: result.stdout.slice(0, cut) };
    },
  };
}
