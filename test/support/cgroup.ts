/**
 * A cgroup v1 memory group for one test: a child process runs under a pod's memory limit, and
 * the test reads its peak usage and whether the kernel OOM-killed anything. Needs root and the
 * v1 memory controller (these machines have both); the group is removed in `t.after`.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { inCI } from './tools.js';

const MEMORY_ROOT = '/sys/fs/cgroup/memory';

/** A memory cgroup made for one test. */
export interface MemoryCgroup {
  readonly dir: string;
  /** `sh -c` prefix arguments that move the shell into the group, then exec the command. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Highest usage the group reached, in bytes (memory.max_usage_in_bytes). */
  peakBytes(): number;
  /** Processes the kernel OOM-killed in the group. */
  oomKills(): number;
}

/**
 * Makes a memory cgroup with `limitBytes` (the pod's limit), or skips the test (fails under CI)
 * when this machine cannot. Processes started through `wrap` are charged from their first byte.
 */
export function memoryCgroup(t: TestContext, limitBytes: number): MemoryCgroup | undefined {
  const why = !existsSync(`${MEMORY_ROOT}/memory.limit_in_bytes`)
    ? 'no cgroup v1 memory controller at /sys/fs/cgroup/memory'
    : process.getuid?.() !== 0
      ? 'making a memory cgroup needs root'
      : undefined;
  if (why) {
    if (inCI) throw new Error(`${why}; CI=true requires the memory-limit tests to run`);
    t.skip(why);
    return undefined;
  }
  const dir = `${MEMORY_ROOT}/hello-edge-test-${process.pid}-${Date.now()}`;
  mkdirSync(dir);
  t.after(() => removeGroup(dir));
  writeFileSync(`${dir}/memory.limit_in_bytes`, String(limitBytes));
  // No swap to hide in: the limit is the limit, as in a pod.
  if (existsSync(`${dir}/memory.memsw.limit_in_bytes`)) writeFileSync(`${dir}/memory.memsw.limit_in_bytes`, String(limitBytes));
  return {
    dir,
    wrap: (command, args) => ({ command: 'sh', args: ['-c', `echo $$ > ${dir}/cgroup.procs && exec "$0" "$@"`, command, ...args] }),
    peakBytes: () => Number(readFileSync(`${dir}/memory.max_usage_in_bytes`, 'utf8')),
    oomKills: () => Number(/oom_kill (\d+)/.exec(readFileSync(`${dir}/memory.oom_control`, 'utf8'))?.[1] ?? 0),
  };
}

// A group can be removed only once its processes are gone. t.after hooks run in the order they
// were added, so this one runs before the hook that kills the test's child: the processes still
// in the group (the child the test put there, and its own children) are ended here first.
async function removeGroup(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    for (const pid of readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      rmdirSync(dir);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
