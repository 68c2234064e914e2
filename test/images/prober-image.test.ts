// Dockerfile.prober, built and run for real: buildah builds it on the local Node 24 stand-in bases,
// then the image runs with `buildah run --isolation chroot` (config mounted as a directory, as the
// ConfigMap is) and from a read-only copy of its root filesystem, probing a loopback server.
// Skips without buildah/root, fails under CI=true.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
  PROBER_PATHS,
  PROBER_RUN_AS_GID,
  PROBER_RUN_AS_UID,
} from '../../prober/contract.js';
import {
  assertImageConfig,
  assertRootOwned,
  buildah,
  builtImage,
  envOf,
  fromImage,
  get as getWithin,
  idsOf,
  layersAboveBase,
  mountImage,
  mountPointDir,
  requireImageTools,
  runImage,
  runReadOnly,
  startReadOnly,
  writeAttemptScript,
  type ImageInfo,
} from './buildah.js';

const user = `${PROBER_RUN_AS_UID}:${PROBER_RUN_AS_GID}`;
/** The only packages the prober's image may carry: what it imports, and their dependencies. */
const ALLOWED_PACKAGES = ['@opentelemetry', 'bintrees', 'prom-client', 're2js', 'tdigest', 'undici', 'yaml'];

const CONFIG = `modules:
  http_2xx:
    prober: http
    timeout: 5s
  tcp_connect:
    prober: tcp
    timeout: 2s
  http_body:
    prober: http
    timeout: 5s
    http:
      fail_if_body_not_matches_regexp: ['(?i)^X+OK$']
`;

const proberImage = () => builtImage('prober');

/** A config directory like the ConfigMap volume, removed afterwards. */
function configDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'prober-config-'));
  writeFileSync(join(dir, PROBER_CONFIG_FILE_NAME), CONFIG, { mode: 0o644 });
  chmodSync(dir, 0o755); // readable by UID 10001, as a ConfigMap volume is
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Body of the target's `/long`: long enough that the body regexp runs in the prober's regexp worker. */
const LONG_BODY = `${'x'.repeat(100_000)}ok`;

/** A loopback HTTP server for the prober to probe (`/long` answers {@link LONG_BODY}). */
async function target(t: TestContext): Promise<string> {
  const server = createServer((request, response) => response.end(request.url === '/long' ? LONG_BODY : 'ok'));
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

const get = (url: string) => getWithin(url, 10_000);

function sample(body: string, name: string): string | undefined {
  return new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(body)?.[1];
}

/** Probes `good` (must succeed) and a closed port (must fail) through the prober at `url`. */
async function checkProbes(url: string, good: string): Promise<void> {
  const ok = await get(`${url}${PROBER_PATHS.probe}?module=http_2xx&target=${encodeURIComponent(good)}`);
  assert.equal(ok.status, 200);
  assert.equal(sample(ok.body, 'probe_success'), '1', ok.body);
  assert.equal(sample(ok.body, 'probe_http_status_code'), '200', ok.body);
  // The RE2 engine and its worker thread load from the image's node_modules.
  const body = await get(`${url}${PROBER_PATHS.probe}?module=http_body&target=${encodeURIComponent(`${good}long`)}`);
  assert.equal(sample(body.body, 'probe_success'), '1', body.body);
  const closed = await get(`${url}${PROBER_PATHS.probe}?module=tcp_connect&target=127.0.0.1:1`);
  assert.equal(sample(closed.body, 'probe_success'), '0', closed.body);
  const metrics = await get(`${url}${PROBER_PATHS.metrics}`);
  assert.equal(metrics.status, 200);
  assert.equal(sample(metrics.body, 'blackbox_exporter_config_last_reload_successful'), '1', metrics.body);
}

describe('Dockerfile.prober (buildah)', { timeout: 20 * 60_000 }, () => {
  test('builds, and its configuration is what the cluster expects', async (t: TestContext) => {
    if (!requireImageTools(t)) return;
    const { info, seconds } = await proberImage();
    t.diagnostic(`built in ${seconds.toFixed(1)}s, digest ${info.digest}`);
    const { config } = info;
    assertImageConfig(info, user, PROBER_DEFAULT_PORT);
    assert.ok(PROBER_RUN_AS_UID >= 10000 && PROBER_RUN_AS_GID >= 10000);
    assert.deepEqual(config.Entrypoint, ['/nodejs/bin/node', '--max-old-space-size-percentage=50', '--max-semi-space-size=2', '/app/prober/main.js']);
    assert.deepEqual(config.Cmd, [
      `${PROBER_FLAGS.configFile}=${PROBER_DEFAULT_CONFIG_FILE}`,
      `${PROBER_FLAGS.listenAddress}=${PROBER_DEFAULT_LISTEN_ADDRESS}`,
    ]);
  });

  test('carries the prober, common/ and only the packages the prober imports', async (t: TestContext) => {
    if (!requireImageTools(t)) return;
    const { image, info } = await proberImage();
    const { count, bytes } = await layersAboveBase(info);
    t.diagnostic(`${count} layer(s) above the base, ${bytes} bytes (uncompressed tar)`);

    const { root } = await mountImage(t, image);
    const app = join(root, 'app');
    assert.deepEqual(readdirSync(app).sort(), ['common', 'node_modules', 'package.json', 'prober']);
    assert.deepEqual(readdirSync(join(app, 'node_modules')).filter((n) => !n.startsWith('.')).sort(), ALLOWED_PACKAGES);
    assertRootOwned(app);
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
      writeAttemptScript(['/x', '/app/x', '/app/node_modules/yaml/x'], true),
    ]);
    assert.equal(probe.trim(), `["EACCES","EACCES","EACCES"] ${PROBER_RUN_AS_UID}`);

    process.kill(server.pid, 'SIGTERM');
    assert.equal(await server.exited, 0);
  });

  test('serves from a read-only root filesystem and cannot write anywhere in it', async (t: TestContext) => {
    if (!requireImageTools(t)) return;
    const { image, info } = await proberImage();
    const { root: rootfs } = await mountImage(t, image);
    const mountPoint = mountPointDir(t, 'prober-ro-');
    const binds = [[configDir(t), PROBER_CONFIG_DIR]] as const;
    const env = envOf(info);

    const writes = await runReadOnly(rootfs, mountPoint, user, ['/nodejs/bin/node', '-e', writeAttemptScript(['/x', '/app/x', '/tmp/x', `${PROBER_CONFIG_DIR}/x`])], env, binds);
    assert.equal(writes.trim(), '["EROFS","EROFS","EROFS","EROFS"]');

    const good = await target(t);
    const server = await startReadOnly(t, rootfs, mountPoint, user, onLoopback(info), env, binds);
    assert.deepEqual(idsOf(server.pid), { uid: PROBER_RUN_AS_UID, gid: PROBER_RUN_AS_GID });
    await checkProbes(server.url, good);
    process.kill(server.pid, 'SIGTERM');
    assert.equal(await server.exited, 0);
  });
});
