/**
 * Finding the system tools that the real-tool test tiers need (prometheus, buildah, helm,
 * kube-apiserver...). A missing tool skips the test with a message naming it, except under
 * CI=true, where it fails: CI must never pass by skipping.
 */
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

/** Directory of the Go-built tools (`$HELLO_EDGE_CACHE/bin`), filled by `test/cluster/build.sh`. */
export function toolCacheBin(): string {
  return join(process.env.HELLO_EDGE_CACHE ?? join(homedir(), '.cache', 'hello-edge'), 'bin');
}

/** Absolute path of `name` in the tool cache or on PATH, or undefined. */
export function findTool(name: string): string | undefined {
  const dirs = [toolCacheBin(), ...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

/** True when running under CI, where a missing tool is a failure. */
export const inCI = process.env.CI === 'true';

/**
 * Returns the path of `name`, or marks the test skipped (locally) and returns undefined.
 * Under CI=true a missing tool throws, failing the test.
 * @param hint how to get the tool, e.g. "apt-get install prometheus".
 */
export function requireTool(t: TestContext, name: string, hint = ''): string | undefined {
  const found = findTool(name);
  if (found) return found;
  const message = `${name} not found${hint ? ` (${hint})` : ''}`;
  if (inCI) throw new Error(`${message}; CI=true requires every real-tool test to run`);
  t.skip(message);
  return undefined;
}
