/**
 * A real local control plane for a test (test/cluster/control-plane.sh): started in a fresh
 * directory, stopped in `t.after`. Skips (or fails under CI=true) when the Go-built binaries
 * are missing.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run } from './run.js';
import { findTool, requireTool } from './tools.js';

/** The repository root (dist/test/support -> repo). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A started control plane. */
export interface ControlPlane {
  readonly dir: string;
  readonly kubeconfig: string;
  /** True when controller-manager, scheduler and kwok run too (pods get created and scheduled). */
  readonly full: boolean;
  /** What `control-plane.sh start` wrote to stdout (`export KUBECONFIG=...`). */
  readonly startOutput: string;
  /** Runs kubectl against this plane; rejects on a non-zero exit with kubectl's stderr. */
  kubectl(args: readonly string[], input?: string): Promise<string>;
}

/** Turns a command into the one that runs it somewhere else (e.g. inside a network namespace). */
export type CommandWrapper = (command: string, args: readonly string[]) => readonly [string, readonly string[]];

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** Runs `control-plane.sh start` and kubectl through this (default: as they are). */
  readonly wrap?: CommandWrapper;
  /** CRD folders to install, first wins per file name (default: control-plane.sh's, infra/crds). */
  readonly crdDirs?: readonly string[];
}

/**
 * Starts a control plane for this test, or returns undefined when it was skipped. The stop in
 * `t.after` fails the test when control-plane.sh stop fails.
 * @param needFull also require controller-manager, scheduler and kwok.
 */
export async function startControlPlane(t: TestContext, needFull: boolean, options: ControlPlaneOptions = {}): Promise<ControlPlane | undefined> {
  const wrap = options.wrap ?? ((command, args) => [command, args] as const);
  const hint = 'build it with: bash test/cluster/build.sh';
  const needed = ['etcd', 'kube-apiserver', 'kubectl', ...(needFull ? ['kube-controller-manager', 'kube-scheduler', 'kwok'] : [])];
  for (const tool of needed) if (!requireTool(t, tool, hint)) return undefined;
  const kubectlBin = findTool('kubectl')!;
  const full = ['kube-controller-manager', 'kube-scheduler', 'kwok'].every((tool) => findTool(tool));
  const dir = await mkdtemp(join(tmpdir(), 'hello-edge-cp-'));
  const env = { ...process.env, HELLO_EDGE_CLUSTER_DIR: dir, ...(options.crdDirs ? { HELLO_EDGE_CRDS_DIR: options.crdDirs.join(':') } : {}) };
  const script = join(REPO_ROOT, 'test', 'cluster', 'control-plane.sh');
  t.after(async () => {
    // Stopping only signals the pids it recorded: it needs no network, so it runs unwrapped (a
    // namespace the plane ran in may be gone by the time this hook runs).
    const stopped = await run('bash', [script, 'stop'], { env, timeoutMs: 60_000 });
    if (stopped.code !== 0) throw new Error(`control-plane.sh stop failed (exit ${stopped.code}): ${stopped.stderr}`);
  });
  const started = await run(...wrap('bash', [script, 'start', ...(needFull || full ? [] : ['--minimal'])]), { env, timeoutMs: 180_000 });
  if (started.code !== 0) throw new Error(`control plane did not start (exit ${started.code}):\n${started.stderr.slice(-3000)}`);
  const kubeconfig = join(dir, 'kubeconfig');
  return {
    dir,
    kubeconfig,
    full,
    startOutput: started.stdout,
    async kubectl(args, input) {
      const result = await run(...wrap(kubectlBin, ['--kubeconfig', kubeconfig, ...args]), { ...(input === undefined ? {} : { input }) });
      if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
      return result.stdout;
    },
  };
}
