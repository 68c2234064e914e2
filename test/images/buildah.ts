/**
 * Helpers for the image tests: build an image with test/images/build-images.sh, read its
 * configuration, and run it with `buildah run --isolation chroot` (or from a read-only copy of its
 * root filesystem), talking to the real server on loopback. Every buildah call uses the same
 * storage as the scripts (test/images/lib.sh): vfs under the tool cache.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { argvOf, spawnListening, type ChildServer } from '../support/child.js';
import { inCI, requireTool } from '../support/tools.js';

const run = promisify(execFile);

/** Root of the repository (this file runs from dist/test/images/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Directory holding the image storage, as test/images/lib.sh computes it. */
export function imagesDir(): string {
  const cache = process.env.HELLO_EDGE_CACHE ?? join(homedir(), '.cache', 'hello-edge');
  return process.env.HELLO_EDGE_IMAGES_DIR ?? join(cache, 'images');
}

/** Global buildah flags: the project's own storage, vfs driver. */
export function storageArgs(): string[] {
  const dir = imagesDir();
  return ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'];
}

/** Runs buildah with the project's storage; resolves with stdout. */
export async function buildah(args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await run('buildah', [...storageArgs(), ...args], { maxBuffer: 64 << 20, timeout: timeoutMs });
  return stdout;
}

/**
 * Checks what the image tests need (root, buildah, util-linux, coreutils' chroot, npm, ldd):
 * skips locally when something is missing, fails under CI=true. Returns false when skipped.
 */
export function requireImageTools(t: TestContext): boolean {
  const tools: [string, string][] = [
    ['buildah', 'apt-get install buildah'],
    ['unshare', 'apt-get install util-linux'],
    ['mount', 'apt-get install mount'],
    ['chroot', 'coreutils'],
    ['ldd', 'libc-bin'],
    ['npm', 'npm (makes the stand-in base from the npm registry)'],
  ];
  for (const [name, hint] of tools) if (!requireTool(t, name, hint)) return false;
  if (process.getuid?.() !== 0) {
    const message = 'the image tests run buildah and mount as root';
    if (inCI) throw new Error(`${message}; CI=true requires every real-tool test to run`);
    t.skip(message);
    return false;
  }
  return true;
}

/** The stand-in runtime base both images are built on (test/images/build-standin-base.sh). */
export const STANDIN_RUNTIME = 'localhost/hello-edge/node24-standin-runtime:latest';

/** Builds `localhost/hello-edge/<name>:<tag>` from the work tree on the stand-in bases. */
export async function buildImage(name: 'hello' | 'prober', tag = 'test'): Promise<{ image: string; seconds: number; log: string }> {
  const started = performance.now();
  const { stdout, stderr } = await run('bash', [join(repoRoot, 'test/images/build-images.sh'), name], {
    env: { ...process.env, IMAGE_TAG: tag },
    maxBuffer: 64 << 20,
    timeout: 15 * 60_000,
  });
  return {
    image: `localhost/hello-edge/${name}:${tag}`,
    seconds: (performance.now() - started) / 1000,
    log: stdout + stderr,
  };
}

/** The parts of `buildah inspect --type image` the tests look at. */
export interface ImageInfo {
  readonly config: {
    readonly User?: string;
    readonly ExposedPorts?: Record<string, object>;
    readonly Env?: string[];
    readonly Entrypoint?: string[];
    readonly Cmd?: string[];
    readonly WorkingDir?: string;
    readonly Labels?: Record<string, string>;
    readonly StopSignal?: string;
  };
  /** Uncompressed layer sizes, base first. */
  readonly layers: { digest: string; size: number }[];
  readonly diffIds: string[];
  /** Manifest digest of the image. */
  readonly digest: string;
  readonly annotations: Record<string, string>;
}

/** Reads an image's configuration and layers. */
export async function inspectImage(image: string): Promise<ImageInfo> {
  const raw = JSON.parse(await buildah(['inspect', '--type', 'image', image])) as {
    OCIv1: { config: ImageInfo['config']; rootfs: { diff_ids: string[] } };
    Manifest: string;
    FromImageDigest: string;
  };
  const manifest = JSON.parse(raw.Manifest) as { layers: { digest: string; size: number }[]; annotations?: Record<string, string> };
  return {
    config: raw.OCIv1.config,
    layers: manifest.layers.map(({ digest, size }) => ({ digest, size })),
    diffIds: raw.OCIv1.rootfs.diff_ids,
    digest: raw.FromImageDigest,
    annotations: manifest.annotations ?? {},
  };
}

/** `NAME=value` entries of the image's Env as an object. */
export function envOf(info: ImageInfo): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of info.config.Env ?? []) {
    const at = entry.indexOf('=');
    env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

/** An image built by {@link builtImage}, with its configuration. */
export interface BuiltImage {
  readonly image: string;
  readonly info: ImageInfo;
  readonly seconds: number;
}

const builds = new Map<'hello' | 'prober', Promise<BuiltImage>>();
/** Builds and inspects `name` once per test file (every test needs it). */
export function builtImage(name: 'hello' | 'prober'): Promise<BuiltImage> {
  let built = builds.get(name);
  if (!built) {
    built = buildImage(name).then(async ({ image, seconds }) => ({ image, seconds, info: await inspectImage(image) }));
    builds.set(name, built);
  }
  return built;
}

/**
 * Checks what both images' configurations must have: `user` (numeric, non-root), only `port`
 * exposed, SIGTERM as the stop signal, no build-only CA variable, and the OCI source, revision
 * and version labels.
 */
export function assertImageConfig(info: ImageInfo, user: string, port: number): void {
  const { config } = info;
  assert.equal(config.User, user, 'numeric non-root USER');
  assert.deepEqual(Object.keys(config.ExposedPorts ?? {}), [`${port}/tcp`]);
  assert.equal(config.StopSignal, 'SIGTERM');
  assert.equal(envOf(info).NODE_EXTRA_CA_CERTS, undefined, 'the build-only CA variable stays out of the runtime image');
  const labels = config.Labels ?? {};
  for (const key of ['source', 'revision', 'version']) {
    assert.ok(labels[`org.opencontainers.image.${key}`], `label org.opencontainers.image.${key}`);
  }
}

/** The layers of `info` above the stand-in base, after checking it is built on that base. */
export async function layersAboveBase(info: ImageInfo): Promise<{ count: number; bytes: number }> {
  const base = await inspectImage(STANDIN_RUNTIME);
  assert.deepEqual(info.diffIds.slice(0, base.diffIds.length), base.diffIds, 'built on the stand-in base');
  const above = info.layers.slice(base.layers.length);
  return { count: above.length, bytes: above.reduce((sum, layer) => sum + layer.size, 0) };
}

/** Checks that every file under `dir` is owned by root and not group/other-writable; returns their paths. */
export function assertRootOwned(dir: string): string[] {
  const files = readdirSync(dir, { recursive: true }).map(String);
  for (const file of files) {
    const stat = statSync(join(dir, file));
    assert.equal(stat.uid, 0, `${file} is owned by root`);
    assert.equal(stat.mode & 0o022, 0, `${file} is not group/other-writable`);
  }
  return files;
}

/**
 * A `node -e` script that tries to write each of `paths` and prints, as JSON, "written" or the
 * error code for each; with `withUid`, followed by a space and its UID.
 */
export function writeAttemptScript(paths: readonly string[], withUid = false): string {
  return `const fs = require('node:fs'); console.log(JSON.stringify(${JSON.stringify(paths)}.map((p) => { try { fs.writeFileSync(p, 'x'); return 'written'; } catch (e) { return e.code; } }))${withUid ? ', process.getuid()' : ''})`;
}

/** GET `url`; resolves with the status and body. */
export async function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text() };
}

/** A fresh working container of `image`, mounted (both removed in `t.after`). */
export async function mountImage(t: TestContext, image: string): Promise<{ container: string; root: string }> {
  const container = await fromImage(t, image);
  return { container, root: (await buildah(['mount', container])).trim() };
}

/** An empty directory to mount a read-only root on, removed in `t.after`. */
export function mountPointDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A working container made from an image, removed in `t.after`. */
export async function fromImage(t: TestContext, image: string): Promise<string> {
  const container = (await buildah(['from', '--quiet', '--pull-never', image])).trim();
  t.after(async () => {
    await buildah(['umount', container]).catch(() => undefined);
    await buildah(['rm', container]).catch(() => undefined);
  });
  return container;
}

/** A server started from an image, with its JSON log lines and the pid of the node process. */
export interface ImageServer extends ChildServer {
  /** Pid of the workload process itself (buildah does not forward signals to it). */
  readonly pid: number;
}

/** Pids of every descendant of `pid`, from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Real UID and GID of a process, from /proc. */
export function idsOf(pid: number): { uid: number; gid: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)![1]);
  return { uid: field('Uid'), gid: field('Gid') };
}

/**
 * Spawns `command` and waits for the workload's "listening" log line. The workload is the
 * process (the child itself or a descendant) whose argv equals `argv`. Kills both in `t.after`.
 */
export async function startServer(
  t: TestContext,
  command: string,
  args: string[],
  argv: readonly string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ImageServer> {
  const found: { pid?: number } = {};
  const findWorkload = (child: ChildProcess): number | undefined =>
    [child.pid!, ...descendants(child.pid!)].find((pid) => argvOf(pid).join('\0') === argv.join('\0'));
  const server = await spawnListening(t, command, args, {
    env,
    timeoutMs,
    async stop(child, exited) {
      // buildah run does not pass signals on, and killing it would orphan the workload: end both.
      const pid = found.pid ?? findWorkload(child);
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  });
  found.pid = findWorkload(server.child);
  if (found.pid === undefined) throw new Error(`no process with argv ${JSON.stringify(argv)} under ${command}`);
  return { ...server, pid: found.pid };
}

/**
 * Runs the image's entry point (Entrypoint + Cmd + extra args) in `container` with
 * `buildah run --isolation chroot`, on the host's network, with `volumes` ([host dir, path
 * inside]) mounted read-only.
 */
export async function runImage(
  t: TestContext,
  container: string,
  info: ImageInfo,
  env: Record<string, string>,
  extraArgs: string[] = [],
  volumes: readonly (readonly [string, string])[] = [],
): Promise<ImageServer> {
  const argv = [...(info.config.Entrypoint ?? []), ...(info.config.Cmd ?? []), ...extraArgs];
  const envArgs = Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]);
  const volumeArgs = volumes.flatMap(([host, inside]) => ['--volume', `${host}:${inside}:ro`]);
  return startServer(
    t,
    'buildah',
    [...storageArgs(), 'run', '--isolation', 'chroot', ...envArgs, ...volumeArgs, container, '--', ...argv],
    argv,
    { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
  );
}

/**
 * Starts the image's entry point (Entrypoint + Cmd) as `user` in a read-only copy of `rootfs` at
 * `mountPoint`, with `binds` ([host dir, path inside]) mounted read-only; see {@link readOnlyRootArgs}.
 */
export function startReadOnly(
  t: TestContext,
  rootfs: string,
  mountPoint: string,
  user: string,
  info: ImageInfo,
  env: Record<string, string>,
  binds: readonly (readonly [string, string])[] = [],
): Promise<ImageServer> {
  const argv = [...(info.config.Entrypoint ?? []), ...(info.config.Cmd ?? [])];
  return startServer(t, 'unshare', readOnlyRootArgs(rootfs, mountPoint, user, argv, binds), argv, env);
}

/**
 * Shell script that re-mounts a container's root filesystem read-only (a private mount
 * namespace, so nothing leaks to the host) with /proc, /dev and read-only bind mounts, then runs
 * the command as `user` in it: what Kubernetes' readOnlyRootFilesystem gives, which
 * `buildah run` cannot do. Arguments: $1 = mounted root, $2 = mount point, $3 = uid:gid,
 * $4 = number of binds, then host-dir/inside-path pairs, then the command.
 */
const READ_ONLY_ROOT = [
  'set -e',
  'root="$1"; ro="$2"; user="$3"; n="$4"; shift 4',
  'binds=""',
  'while [ "$n" -gt 0 ]; do binds="$binds$1|$2\\n"; shift 2; n=$((n - 1)); done',
  // Mount points are made before the root turns read-only.
  'mkdir -p "$root/proc" "$root/dev"',
  'printf %b "$binds" | while IFS="|" read -r src dst; do mkdir -p "$root$dst"; done',
  'mount --bind "$root" "$ro"',
  'mount -o remount,bind,ro "$ro"',
  'mount -t proc proc "$ro/proc"',
  'mount --rbind /dev "$ro/dev"',
  'printf %b "$binds" | while IFS="|" read -r src dst; do mount --bind -o ro "$src" "$ro$dst"; done',
  'exec chroot --userspec="$user" "$ro" "$@"',
].join('\n');

/**
 * Arguments for `unshare` that run `argv` as `user` in a read-only copy of `rootfs` at
 * `mountPoint`, with `binds` ([host dir, path inside]) mounted read-only.
 */
export function readOnlyRootArgs(
  rootfs: string,
  mountPoint: string,
  user: string,
  argv: readonly string[],
  binds: readonly (readonly [string, string])[] = [],
): string[] {
  return [
    '--mount', '--propagation', 'private', 'sh', '-c', READ_ONLY_ROOT, 'read-only-root',
    rootfs, mountPoint, user, String(binds.length), ...binds.flat(), ...argv,
  ];
}

/** Runs a short command in a read-only root; resolves with its stdout. */
export async function runReadOnly(
  rootfs: string,
  mountPoint: string,
  user: string,
  argv: readonly string[],
  env: Record<string, string>,
  binds: readonly (readonly [string, string])[] = [],
): Promise<string> {
  const { stdout } = await run('unshare', readOnlyRootArgs(rootfs, mountPoint, user, argv, binds), { env, timeout: 60_000 });
  return stdout;
}
