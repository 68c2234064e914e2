// The images' node flags (read from their Dockerfiles' ENTRYPOINT) cap V8's heap from the pod's
// memory limit. Without them V8 sizes its heap for at least 256 MB whatever the cgroup says, so a
// pod of 128-192Mi can be OOM-killed holding garbage V8 never felt pressed to collect. Runs the
// node binary of this repository with the image's flags inside a memory cgroup of the limit (no
// image build needed); root only, like the other memory-limit tests.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { readImageCommand } from '../../bench/scripts/workload.js';
import { DEFAULT_PROBER_RESOURCES, DEFAULT_RESOURCES } from '../../infra/index.js';
import { memoryCgroup } from '../support/cgroup.js';

const run = promisify(execFile);
const MiB = 2 ** 20;
const PRINT_HEAP_LIMIT = 'process.stdout.write(String(require("node:v8").getHeapStatistics().heap_size_limit))';

async function heapLimitMiB(group: NonNullable<ReturnType<typeof memoryCgroup>>, flags: readonly string[]): Promise<number> {
  const { command, args } = group.wrap(process.execPath, [...flags, '-e', PRINT_HEAP_LIMIT]);
  const { stdout } = await run(command, args);
  return Number(stdout) / MiB;
}

// At the pods' default memory limits (infra's defaults).
for (const [image, limitMiB] of [['Dockerfile.hello', DEFAULT_RESOURCES.limits.memoryBytes / MiB], ['Dockerfile.prober', DEFAULT_PROBER_RESOURCES.limits.memoryBytes / MiB]] as const) {
  test(`${image}: the entry point's node flags hold V8's heap to half a ${limitMiB}Mi pod limit`, async (t) => {
    const group = memoryCgroup(t, limitMiB * MiB);
    if (!group) return;
    const { nodeFlags } = readImageCommand(image);
    const capped = await heapLimitMiB(group, nodeFlags);
    const unflagged = await heapLimitMiB(group, []);
    t.diagnostic(`heap limit under ${limitMiB}Mi: ${capped.toFixed(0)} MiB with ${nodeFlags.join(' ')}, ${unflagged.toFixed(0)} MiB without`);
    // Old space at half the limit, plus the young generation V8 adds to the heap limit.
    assert.ok(capped >= limitMiB / 2 && capped <= limitMiB / 2 + 16, `heap limit ${capped.toFixed(0)} MiB: about half of ${limitMiB} MiB`);
    assert.ok(unflagged > limitMiB, `without the flags V8 allows ${unflagged.toFixed(0)} MiB, more than the pod has (the reason for the flags)`);
  });
}
