// Dockerfile.prober, built and run for real: buildah builds it on the local Node 24 stand-in bases,
// then the image runs with `buildah run --isolation chroot` (config mounted as a directory, as the
// ConfigMap is) and from a read-only copy of its root filesystem, probing a loopback server.
// Skips without buildah/root, fails under CI=true.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import {
  PROBER_CONFIG_DIR,
  PROBER_CONFIG_FILE_NAME,
  PROBER_DEFAULT_CONFIG_FILE,
  PROBER_DEFAULT_LISTEN_ADDRESS,
  PROBER_DEFAULT_PORT,
  PROBER_FLAGS,
  PROBER_METRICS,
  PROBER_PATHS,
  PROBER_RUN_AS_GID,
  PROBER_RUN_AS_UID,
} from '../../prober/contract.js';
import {
  buildah,
  buildImage,
  envOf,
  fromImage,
  idsOf,
  inspectImage,
  readOnlyRootArgs,
  requireImageTools,
  runImage,
  runReadOnly,
  startServer,
  type ImageInfo,
} from './buildah.js';

const STANDIN_RUNTIME = 'localhost/hello-edge/node24-standin-runtime:latest';
const user = `${PROBER_RUN_AS_UID}:${PROBER_RUN_AS_GID}`;
/** The only packages the prober's image may carry: what it imports, and their dependencies. */
const ALLOWED_PACKAGES = ['@opentelemetry', 'bintrees', 'prom-client', 'tdigest', 'undici', 'yaml'];

const CONFIG = `modules:
  http_2xx:
    prober: http
    timeout: 5s
  tcp_connect:
    prober: tcp
    timeout: 2s
`;

let built: Promise<{ image: string; info: ImageInfo; seconds: number }> | undefined;
function proberImage(): Promise<{ image: string; info: ImageInfo; seconds: number }> {
  built ??= buildImage('prober').then(async ({ image, seconds }) => ({ image, seconds, info: await inspectImage(image) }));
  return built;
}

/** A config directory like the ConfigMap volume, removed afterwards. */
function configDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'prober-config-'));
  writeFileSync(join(dir, PROBER_CONFIG_FILE_NAME), CONFIG, { mode: 0o644 });
  chmodSync(dir, 0o755); // readable by UID 10001, as a ConfigMap volume is
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A loopback HTTP server for the prober to probe. */
async function target(t: TestContext): Promise<string> {
  const server = createServer((_request, response) => response.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** The image's entry point with the listen address on a free loopback port (as k8s args would). */
function onLoopback(info: ImageInfo): ImageInfo {
  return {
    ...info,
    config: {
      ...info.config,
      Cmd: [`${PROBER_FLAGS.configFile}=${PROBER_DEFAULT_CONFIG_FILE}`, `${PROBER_FLAGS.listenAddress}=127.0.0.1:0`],
    },
  };
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

function sample(body: string, name: string): string | undefined {
  return new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(body)?.[1];
}

/** Probes `good` (must succeed) and a closed port (must fail) through the prober at `url`. */
async function checkProbes(url: string, good: string): Promise<void> {
  const ok = await get(`${url}${PROBER_PATHS.probe}?module=http_2xx&target=${encodeURIComponent(good)}`);
  assert.equal(ok.status, 200);
  assert.equal(sample(ok.body, 'probe_success'), '1', ok.body);
  assert.equal(sample(ok.body, 'probe_http_status_code'), '200', ok.body);
  const closed = await get(`${url}${PROBER_PATHS.probe}?module=tcp_connect&target=127.0.0.1:1`);
  assert.equal(sample(closed.body, 'probe_success'), '0', closed.body);
  const metrics = await get(`${url}${PROBER_PATHS.metrics}`);
  assert.equal(metrics.status, 200);
  assert.equal(sample(metrics.body, PROBER_METRICS.configLastReloadSuccessful), '1', metrics.body);
}

describe('Dockerfile.prober (buildah)', { timeout: 20 * 60_000 }, () => {
  test('builds, and its configuration is what the cluster expects', async (t: TestContext) => {
    if (!requireImageTools(t)) return;
    const { info, seconds } = await proberImage();
    t.diagnostic(`built in ${seconds.toFixed(1)}s, digest ${info.digest}`);
    const { config } = info;
    assert.equal(config.User, user, 'numeric non-root USER');
    assert.ok(PROBER_RUN_AS_UID >= 10000 && PROBER_RUN_AS_GID >= 10000);
    assert.deepEqual(Object.keys(config.ExposedPorts ?? {}), [`${PROBER_DEFAULT_PORT}/tcp`]);
    assert.equal(config.StopSignal, 'SIGTERM');
    assert.deepEqual(config.Entrypoint, ['/nodejs/bin/node', '/app/prober/main.js']);
    assert.deepEqual(config.Cmd, [
      `${PROBER_FLAGS.configFile}=${PROBER_DEFAULT_CONFIG_FILE}`,
      `${PROBER_FLAGS.listenAddress}=${PROBER_DEFAULT_LISTEN_ADDRESS}`,
    ]);
    assert.equal(envOf(info).NODE_EXTRA_CA_CERTS, undefined);
    const labels = config.Labels ?? {};
    for (const key of ['source', 'revision', 'version']) {
      assert.ok(labels[`org.opencontainers.image.${key}`], `label org.opencontainers.image.${key}`);
    }
  });

  test('carries the prober, common/ and only the packages the prober imports', async (t: TestContext) => {
    if (!requireImageTools(t)) return;
    const { image, info } = await proberImage();
    const base = await inspectImage(STANDIN_RUNTIME);
    assert.deepEqual(info.diffIds.slice(0, base.diffIds.length), base.diffIds, 'built on the stand-in base');
    const bytes = info.layers.slice(base.layers.length).reduce((sum, layer) => sum + layer.size, 0);
    t.diagnostic(`${info.layers.length - base.layers.length} layer(s) above the base, ${bytes} bytes (uncompressed tar)`);

    const container = await fromImage(t, image);
    const root = (await buildah(['mount', container])).trim();
    const app = join(root, 'app');
    assert.deepEqual(readdirSync(app).sort(), ['common', 'node_modules', 'package.json', 'prober']);
    assert.deepEqual(readdirSync(join(app, 'node_modules')).filter((n) => !n.startsWith('.')).sort(), ALLOWED_PACKAGES);
    for (const file of readdirSync(app, { recursive: true }).map(String)) {
      const stat = statSync(join(app, file));
      assert.equal(stat.uid, 0, `${file} is owned by root`);
      assert.equal(stat.mode & 0o022, 0, `${file} is not group/other-writable`);
    }
  });

  test('runs as UID 10001, answers /probe and /metrics, stops on SIGTERM with exit 0', async (t: TestContext) => {
    if (!requireImageTools(t)) return;
    const { image, info } = await proberImage();
    const container = await fromImage(t, image);
    const good = await target(t);
    const server = await runImage(t, container, onLoopback(info), {}, [], [[configDir(t), PROBER_CONFIG_DIR]]);
    assert.deepEqual(idsOf(server.pid), { uid: PROBER_RUN_AS_UID, gid: PROBER_RUN_AS_GID });
    await checkProbes(server.url, good);

    const probe = await buildah([
      'run', '--isolation', 'chroot', container, '--', '/nodejs/bin/node', '-e',
      `const fs = require('node:fs'); console.log(JSON.stringify(['/x', '/app/x', '/app/node_modules/yaml/x'].map((p) => { try { fs.writeFileSync(p, 'x'); return 'written'; } catch (e) { return e.code; } })), process.getuid())`,
    ]);
    assert.equal(probe.trim(), `["EACCES","EACCES","EACCES"] ${PROBER_RUN_AS_UID}`);

    process.kill(server.pid, 'SIGTERM');
    assert.equal(await server.exited, 0);
  });

  test('serves from a read-only root filesystem and cannot write anywhere in it', async (t: TestContext) => {
    if (!requireImageTools(t)) return;
    const { image, info } = await proberImage();
    const container = await fromImage(t, image);
    const rootfs = (await buildah(['mount', container])).trim();
    const mountPoint = mkdtempSync(join(tmpdir(), 'prober-ro-'));
    t.after(() => rmSync(mountPoint, { recursive: true, force: true }));
    const binds = [[configDir(t), PROBER_CONFIG_DIR]] as const;
    const env = envOf(info);

    const writes = await runReadOnly(rootfs, mountPoint, user, ['/nodejs/bin/node', '-e',
      `const fs = require('node:fs'); console.log(JSON.stringify(['/x', '/app/x', '/tmp/x', '${PROBER_CONFIG_DIR}/x'].map((p) => { try { fs.writeFileSync(p, 'x'); return 'written'; } catch (e) { return e.code; } })))`,
    ], env, binds);
    assert.equal(writes.trim(), '["EROFS","EROFS","EROFS","EROFS"]');

    const good = await target(t);
    const loopback = onLoopback(info);
    const argv = [...(loopback.config.Entrypoint ?? []), ...(loopback.config.Cmd ?? [])];
    const server = await startServer(t, 'unshare', readOnlyRootArgs(rootfs, mountPoint, user, argv, binds), argv, env);
    assert.deepEqual(idsOf(server.pid), { uid: PROBER_RUN_AS_UID, gid: PROBER_RUN_AS_GID });
    await checkProbes(server.url, good);
    process.kill(server.pid, 'SIGTERM');
    assert.equal(await server.exited, 0);
  });
});
