import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { spawnServer } from '../support/child.js';
import { FIXTURES, get, parseExposition, startHttpTarget, valueOf } from './support.js';

const MAIN = fileURLToPath(new URL('../../prober/main.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'prober-process-'));
  const file = join(dir, 'prober.yml');
  writeFileSync(file, text);
  return file;
}

async function waitForLog(logs: Record<string, unknown>[], msg: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
  for (let i = 0; i < timeoutMs / 25; i++) {
    const found = logs.find((l) => l.msg === msg);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no "${msg}" log line in ${JSON.stringify(logs)}`);
}

test('main.js: listens, reloads on SIGHUP (a bad file keeps the old config), stops on SIGTERM', async (t) => {
  const file = writeConfig('modules:\n  http_2xx:\n    prober: http\n');
  const server = await spawnServer(t, MAIN, {}, ['--config.file', file, '--web.listen-address', '127.0.0.1:0']);
  const target = await startHttpTarget(t);
  assert.equal(valueOf(parseExposition((await get(`${server.url}/probe?target=${target}/`)).text), 'probe_success'), 1);

  writeFileSync(file, 'modules:\n  http_2xx:\n    prober: http\n    htp: {}\n');
  server.child.kill('SIGHUP');
  const failed = await waitForLog(server.logs, 'Error reloading config');
  assert.match(String(failed.err), /modules\.http_2xx\.htp: unknown key \(did you mean http\?\)/);
  assert.equal(valueOf(parseExposition((await get(`${server.url}/probe?target=${target}/`)).text), 'probe_success'), 1, 'old config in force');

  writeFileSync(file, 'modules:\n  http_2xx:\n    prober: http\n  tcp_connect:\n    prober: tcp\n');
  server.child.kill('SIGHUP');
  await waitForLog(server.logs, 'Loaded config file');
  assert.equal((await get(`${server.url}/probe?module=tcp_connect&target=${target.slice(7)}`)).status, 200);

  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0);
});

test('main.js: --config.enable-auto-reload picks up a changed file (as a ConfigMap update), keeps the old config on a bad one', async (t) => {
  const file = writeConfig('modules:\n  http_2xx:\n    prober: http\n');
  const server = await spawnServer(t, MAIN, {}, ['--config.file', file, '--web.listen-address', '127.0.0.1:0', '--config.enable-auto-reload', '--config.auto-reload-interval', '1s']);
  const target = await startHttpTarget(t);

  writeFileSync(file, 'modules:\n  http_2xx:\n    prober: http\n    htp: {}\n');
  // Bounded waits well above the 1 s interval: the machine may be busy.
  const failed = await waitForLog(server.logs, 'Error reloading config', 20_000);
  assert.match(String(failed.err), /modules\.http_2xx\.htp: unknown key/);
  assert.equal(valueOf(parseExposition((await get(`${server.url}/probe?target=${target}/`)).text), 'probe_success'), 1, 'old config in force');
  assert.equal(server.logs.filter((l) => l.msg === 'config file changed, reloading').length, 1, 'an unchanged bad file is not retried');

  writeFileSync(file, 'modules:\n  http_2xx:\n    prober: http\n  tcp_connect:\n    prober: tcp\n');
  await waitForLog(server.logs, 'Loaded config file', 20_000);
  assert.equal((await get(`${server.url}/probe?module=tcp_connect&target=${target.slice(7)}`)).status, 200);
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0);
});

test('main.js: --config.check exits 0 for a good file and 2 naming the key for a bad one; bad flags exit 2', () => {
  const good = spawnSync(process.execPath, [MAIN, '--config.check', '--config.file', writeConfig('modules:\n  http_2xx:\n    prober: http\n')], { encoding: 'utf8' });
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stderr, /"msg":"Config file is ok"/);
  const bad = spawnSync(process.execPath, [MAIN, '--config.check', '--config.file', join(FIXTURES, 'invalid-prober.yml')], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /modules\.ping\.prober: \\"ping\\" is not a prober; use http or tcp/);
  const flag = spawnSync(process.execPath, [MAIN, '--config.fil', 'x'], { encoding: 'utf8' });
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /known flags: --config.file/);
  const listen = spawnSync(process.execPath, [MAIN, '--config.file', join(FIXTURES, 'tls-cert.pem'), '--web.listen-address', 'nowhere'], { encoding: 'utf8' });
  assert.equal(listen.status, 2);
});

test('an auto-reload interval under 1s is refused by main.js and by hello-cli prober (exit 2, a usage error), naming the flag', () => {
  const file = writeConfig('modules:\n  http_2xx:\n    prober: http\n');
  const main = spawnSync(process.execPath, [MAIN, '--config.file', file, '--config.enable-auto-reload', '--config.auto-reload-interval', '0s'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(main.status, 2, main.stderr);
  assert.match(main.stderr, /--config.auto-reload-interval: \\"0s\\" is not allowed; use at least 1s/);
  const cli = spawnSync(process.execPath, [CLI, 'prober', '--config.file', file, '--config.enable-auto-reload', '--config.auto-reload-interval', '500ms'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(cli.status, 2, cli.stderr);
  assert.match(cli.stderr, /--config.auto-reload-interval: "500ms" is not allowed; use at least 1s/);
});

test('hello-cli probe: table and exit 0 on success, exit 1 on failure, --json', async (t) => {
  const target = await startHttpTarget(t);
  // spawnSync would block the event loop that serves the target; run the CLI asynchronously.
  const run = (args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    import('node:child_process').then(
      ({ execFile }) =>
        new Promise((resolve) => {
          execFile(process.execPath, [CLI, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
            resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
          });
        }),
    );
  const ok = await run(['probe', `${target}/`]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^OK +http:\/\/127\.0\.0\.1:\d+\/ +module=http_2xx/);
  assert.match(ok.stdout, /\nprocessing +\d+\.\d ms\n/);
  assert.match(ok.stdout, /\nstatus code +200\n/);
  const fail = await run(['probe', `${target}/404`]);
  assert.equal(fail.status, 1);
  assert.match(fail.stdout, /^FAIL/);
  assert.match(fail.stdout, /why it failed:\n.*Invalid HTTP response status code/);
  const failedJson = await run(['probe', '--json', `${target}/404`]);
  assert.equal(failedJson.status, 1);
  assert.equal((JSON.parse(failedJson.stdout) as { success: boolean }).success, false, 'one JSON document on stdout, the result');
  const json = await run(['probe', '--json', `${target}/`]);
  const data = JSON.parse(json.stdout) as { success: boolean; phases: Record<string, number> };
  assert.equal(data.success, true);
  assert.deepEqual(Object.keys(data.phases).sort(), ['connect', 'processing', 'resolve', 'tls', 'transfer']);
  const unknown = await run(['probe', '--module', 'nope', `${target}/`]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /Unknown module "nope"/);
  const good = writeConfig('modules:\n  http_2xx:\n    prober: http\n');
  const alias = await run(['prober', '--check', '-c', good, '--json']);
  assert.equal(alias.status, 0, alias.stderr);
  assert.deepEqual(JSON.parse(alias.stdout), { file: good, ok: true, modules: ['http_2xx'], targets: 0 });
  const check = await run(['prober', '--config.check', '--config.file', join(FIXTURES, 'invalid-unknown-top-key.yml')]);
  assert.equal(check.status, 2);
  assert.match(check.stderr, /modles: unknown key \(did you mean modules\?\)/);
});

test('hello-cli dev: hello and the prober side by side, stopped by SIGTERM', async (t) => {
  const dev = await import('node:child_process').then(({ spawn }) => spawn(process.execPath, [CLI, 'dev', '--port', '0', '--prober-port', '0', '--interval', '1s'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  t.after(() => {
    if (dev.exitCode === null) dev.kill('SIGKILL');
  });
  let out = '';
  dev.stdout.on('data', (c: Buffer) => (out += c.toString()));
  dev.stderr.resume();
  for (let i = 0; i < 400 && !out.includes('Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 25));
  const metricsUrl = /prober +(http:\/\/\S+\/metrics)/.exec(out)?.[1];
  assert.ok(metricsUrl, out);
  let m = parseExposition((await get(metricsUrl)).text);
  for (let i = 0; i < 200 && (m.get('probe_success')?.samples.length ?? 0) < 3; i++) {
    await new Promise((r) => setTimeout(r, 50));
    m = parseExposition((await get(metricsUrl)).text);
  }
  assert.deepEqual(m.get('probe_success')?.samples.map((s) => s.value), [1, 1, 1], 'hello /, /healthz and /readyz are up');
  const exited = new Promise((resolve) => dev.on('exit', (code) => resolve(code)));
  dev.kill('SIGTERM');
  assert.equal(await exited, 0);
});
