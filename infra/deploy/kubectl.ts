/**
 * The one place that runs kubectl. Every failure becomes a typed error whose message says what
 * to do (no cluster reachable, CRDs missing, forbidden, ...), never a raw stack.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ClusterUnreachableError, ExternalError, ForbiddenError, type HelloEdgeError, KindMissingError, ToolMissingError } from '../../common/index.js';

/** Which cluster to talk to; both default to kubectl's own defaults (KUBECONFIG, current context). */
export interface ClusterTarget {
  /** kubeconfig context name (`--context`). */
  readonly context?: string;
  /** Path of a kubeconfig file (`--kubeconfig`). */
  readonly kubeconfig?: string;
  /** kubectl binary; default `kubectl` from PATH (or `$KUBECTL`). */
  readonly kubectl?: string;
}

/**
 * Refuses to go on without any kubeconfig: kubectl would then quietly talk to
 * http://localhost:8080, which is where `npm start` runs hello itself. A kubeconfig is found from
 * `--kubeconfig`, else the files of $KUBECONFIG, else ~/.kube/config; inside a pod, the in-cluster
 * service account counts too.
 * @throws ClusterUnreachableError saying what was looked for.
 */
export function requireKubeconfig(target: ClusterTarget, env: NodeJS.ProcessEnv = process.env, home = homedir()): void {
  if (target.kubeconfig !== undefined) {
    if (existsSync(target.kubeconfig)) return;
    throw new ClusterUnreachableError(`--kubeconfig ${JSON.stringify(target.kubeconfig)} does not exist; pass the path of an existing kubeconfig file`);
  }
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (fromEnv.some((file) => existsSync(file))) return;
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) return;
  const fallback = join(home, '.kube', 'config');
  if (fromEnv.length === 0 && existsSync(fallback)) return;
  const looked = fromEnv.length > 0 ? `$KUBECONFIG (${fromEnv.join(delimiter)}) names no existing file` : `no --kubeconfig, no $KUBECONFIG and no ${fallback}`;
  throw new ClusterUnreachableError(`no kubeconfig: ${looked}, so kubectl would fall back to http://localhost:8080 (where \`npm start\` serves hello, not a cluster). Pass --kubeconfig FILE, or set $KUBECONFIG.`);
}

/** What kubectl printed. */
export interface KubectlResult {
  readonly stdout: string;
  readonly stderr: string;
  /** `Warning: ...` lines from the API server (Pod Security, deprecations), without the prefix. */
  readonly warnings: readonly string[];
  /** kubectl's exit code (always 0 unless `okExitCodes` allowed another). */
  readonly exitCode: number;
}

/**
 * Runs kubectl with `args`, feeding `input` on stdin. Rejects with a typed, actionable error
 * unless the exit code is in `okExitCodes` (default only 0; `kubectl diff` exits 1 on differences).
 */
export function kubectl(target: ClusterTarget, args: readonly string[], input?: string, okExitCodes: readonly number[] = [0]): Promise<KubectlResult> {
  const bin = target.kubectl ?? process.env.KUBECTL ?? 'kubectl';
  const fullArgs = [
    ...(target.kubeconfig ? ['--kubeconfig', target.kubeconfig] : []),
    ...(target.context ? ['--context', target.context] : []),
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, fullArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        reject(new ToolMissingError(bin, 'install kubectl (https://kubernetes.io/docs/tasks/tools/) or set $KUBECTL'));
      } else {
        reject(new ExternalError(`cannot run ${bin}: ${error.message}`, { cause: error }));
      }
    });
    child.stdin.on('error', () => undefined); // kubectl may exit before reading all input
    child.stdin.end(input ?? '');
    child.on('close', (code) => {
      const warnings = stderr
        .split('\n')
        .filter((line) => line.startsWith('Warning: '))
        .map((line) => line.slice('Warning: '.length));
      if (code !== null && okExitCodes.includes(code)) resolve({ stdout, stderr, warnings, exitCode: code });
      else reject(explainFailure(target, args, stderr, code));
    });
  });
}

/** Turns kubectl's stderr into one actionable error. Exported for tests. */
export function explainFailure(target: ClusterTarget, args: readonly string[], stderr: string, code: number | null): HelloEdgeError {
  const where = target.context ? `context "${target.context}"` : target.kubeconfig ? `kubeconfig ${target.kubeconfig}` : 'the current kubeconfig context';
  // Skip warnings and klog lines ("E1126 06:54:50.564253 ...") to reach kubectl's own sentence.
  const lines = stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('Warning: ') && !/^[IWEF]\d{4} /.test(line));
  const firstError = lines[0] ?? stderr.split('\n').find((line) => line.trim() !== '') ?? `exit code ${code}`;
  if (/Unable to connect to the server|connection refused|no such host|i\/o timeout|dial tcp/.test(stderr)) {
    return new ClusterUnreachableError(`no cluster reachable through ${where}: ${firstError.trim()}. Start the cluster, or pick one with --context or --kubeconfig.`);
  }
  if (/context .* does not exist|no configuration has been provided|invalid configuration/.test(stderr)) {
    return new ClusterUnreachableError(`kubectl has no usable configuration for ${where}: ${firstError.trim()}. Pass --context NAME or --kubeconfig FILE.`);
  }
  const missingKind = /no matches for kind "(\w+)" in version "([\w./-]+)"/.exec(stderr) ?? /the server doesn't have a resource type "([\w.]+)"/.exec(stderr);
  if (missingKind) {
    const group = missingKind[2] ?? missingKind[1] ?? '';
    const fix = group.includes('monitoring.coreos.com')
      ? 'install the Prometheus Operator (or just its CRDs), or set monitoring.enabled: false in the fleet config'
      : group.includes('gateway.networking.k8s.io')
        ? 'install the Gateway API CRDs, or use routing.kind: ingress in the fleet config'
        : 'install the CRD that defines it';
    return new KindMissingError(`the cluster does not know ${missingKind[1]}${missingKind[2] ? ` (${missingKind[2]})` : ''}: ${fix}.`);
  }
  if (/forbidden/i.test(stderr)) {
    return new ForbiddenError(`forbidden through ${where}: ${firstError.trim()}. Ask for RBAC rights on these objects, or use a context that has them.`);
  }
  return new ExternalError(`kubectl ${args.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')} failed: ${firstError.trim()}`);
}
