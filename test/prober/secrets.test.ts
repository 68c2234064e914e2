/**
 * Secrets are never shown: not on the `/probe?debug=true` page (module credentials, credential
 * headers), not in log lines (URL credentials of targets and redirects, on the page and in the
 * process log), not in config errors, not in `--config.check --json`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { ConfigError } from '../../common/index.js';
import { buildConfig, parseProberConfig } from '../../prober/index.js';
import { spawnServer } from '../support/child.js';
import { run } from '../support/run.js';
import { get, startHttpTarget } from './support.js';

const MAIN = fileURLToPath(new URL('../../prober/main.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

const SECRETS = ['basic-password-1', 'bearer-token-2', 'header-token-3', 'cookie-4', 'url-password-5', 'redirect-password-6'];

const CONFIG = `modules:
  basic:
    prober: http
    http:
      basic_auth: {username: prober, password: basic-password-1}
      headers: {Authorization-Extra: x, X-Api-Key: header-token-3, Cookie: cookie-4, Accept: text/plain}
  bearer:
    prober: http
    http:
      bearer_token: bearer-token-2
`;

function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} shows ${secret}:\n${text}`);
}

/** A target that redirects to a URL with credentials in it. */
async function startRedirectingTarget(t: TestContext): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(302, { Location: 'http://someone:redirect-password-6@127.0.0.1:1/', 'Content-Length': '0' });
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

test('/probe?debug=true shows <secret> for module credentials and URL credentials; the process log shows none', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'prober-secrets-')), 'prober.yml');
  writeFileSync(file, CONFIG);
  const prober = await spawnServer(t, MAIN, {}, ['--config.file', file, '--web.listen-address', '127.0.0.1:0', '--log.level', 'debug']);
  const target = await startHttpTarget(t);
  const redirecting = await startRedirectingTarget(t);

  const basic = await get(`${prober.url}/probe?module=basic&target=${encodeURIComponent(`${target}/`)}&debug=true`);
  assert.match(basic.text, /password: <secret>/);
  assert.match(basic.text, /X-Api-Key: <secret>/);
  assert.match(basic.text, /Cookie: <secret>/);
  assert.match(basic.text, /Accept: text\/plain/, 'other headers are shown as written');
  assertNoSecret(basic.text, 'the debug page of a basic_auth module');
  const bearer = await get(`${prober.url}/probe?module=bearer&target=${encodeURIComponent(`${target}/`)}&debug=true`);
  assert.match(bearer.text, /bearer_token: <secret>/);
  assertNoSecret(bearer.text, 'the debug page of a bearer_token module');

  const inUrl = await get(`${prober.url}/probe?module=basic&target=${encodeURIComponent(target.replace('//', '//someone:url-password-5@'))}/&debug=true`);
  assert.match(inUrl.text, /Credentials in the target URL are not allowed/);
  assertNoSecret(inUrl.text, 'the debug page of a target with credentials');
  const redirect = await get(`${prober.url}/probe?module=basic&target=${encodeURIComponent(redirecting)}&debug=true`);
  assert.match(redirect.text, /msg="Received redirect" location="?http:\/\/<secret>@127\.0\.0\.1:1\//);
  assertNoSecret(redirect.text, 'the debug page of a redirect with credentials');

  // The percent-encoded form in the request line too (a path the server logs when a request fails).
  await get(`${prober.url}/probe?module=basic&target=http%3A%2F%2Fsomeone%3Aurl-password-5%40127.0.0.1%3A1%2F`);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(prober.logs.some((l) => l.level === 'debug'), 'debug logging is on, so every probe line reached the process log');
  assertNoSecret(JSON.stringify(prober.logs), 'the process log');
});

test('config: secrets are not repeated in errors, and a scheduled target with credentials is refused without showing them', () => {
  const refused = (raw: unknown): ConfigError => {
    try {
      buildConfig(raw);
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    assert.fail('the config was accepted');
  };
  const badUser = refused({ modules: { a: { prober: 'http', http: { basic_auth: { username: 'u', password: ['basic-password-1'] } } } } });
  assert.equal(badUser.message, 'modules.a.http.basic_auth.password: must be a string, got a list');
  const scheduled = refused({ modules: { a: { prober: 'http' }, t: { prober: 'tcp' } }, targets: [{ target: 'http://someone:url-password-5@127.0.0.1:8080/', module: 'a' }] });
  assert.equal(scheduled.message, 'targets[0].target: credentials in a target (user:password@) are not allowed; use basic_auth in the module');
  const tcp = refused({ modules: { t: { prober: 'tcp' } }, targets: [{ target: 'someone:url-password-5@127.0.0.1:25', module: 't' }] });
  assertNoSecret(tcp.message, 'the error of a tcp target with credentials');
  // The module's source (what any renderer shows) holds <secret>, never the value.
  const config = parseProberConfig(CONFIG);
  assertNoSecret(JSON.stringify([config.modules.basic?.source, config.modules.bearer?.source]), 'a module source');
});

test('hello-cli prober --config.check --json shows no secret', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'prober-secrets-')), 'prober.yml');
  writeFileSync(file, CONFIG);
  const check = await run(process.execPath, [CLI, 'prober', '--config.check', '--config.file', file, '--json']);
  assert.equal(check.code, 0, check.stderr);
  assert.deepEqual(JSON.parse(check.stdout).modules, ['basic', 'bearer']);
  assertNoSecret(check.stdout + check.stderr, '--config.check --json');
});
