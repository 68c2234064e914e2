/**
 * A cgroup v1 memory group for one test: a child process runs under a pod's memory limit, and
 * the test reads its peak usage and whether the kernel OOM-killed anything. Needs root and the
 * v1 memory controller (these machines have both); the group is removed in `t.after`. The group
 * itself is bench's (bench/host.ts), which the footprint measurements use too.
 */
import type { TestContext } from 'node:test';
import { createMemoryLimit, type MemoryLimit } from '../../bench/host.js';
import { inCI } from './tools.js';

/** A memory cgroup made for one test. */
export type MemoryCgroup = MemoryLimit;

/**
 * Makes a memory cgroup with `limitBytes` (the pod's limit), or skips the test (fails under CI)
 * when this machine cannot. Processes started through `wrap` are charged from their first byte.
 */
export function memoryCgroup(t: TestContext, limitBytes: number): MemoryCgroup | undefined {
  const group = process.getuid?.() !== 0 ? 'making a memory cgroup needs root' : createMemoryLimit(limitBytes, 'test');
  if (typeof group === 'string') {
    if (inCI) throw new Error(`${group}; CI=true requires the memory-limit tests to run`);
    t.skip(group);
    return undefined;
  }
  // Hooks run in the order they were added, so this one may run before the test's own hook that
  // stops the child: remove() kills what is left in the group first.
  t.after(() => group.remove());
  return group;
}
