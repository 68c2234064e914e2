/**
 * Every flag of the prober, typed as a user types it, through both entry points (the CLI's
 * `hello-cli prober` and the image's `node dist/prober/main.js`), in both spellings
 * (`--flag value` and `--flag=value`). Each flag is checked by what it does: the address bound,
 * the modules served, the deadline, the log level, the reload, the exit status.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { spawnListening, type ChildServer } from '../support/child.js';
import { run } from '../support/run.js';
import { closedPort, get } from './support.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../../prober/main.js', import.meta.url));
const ENTRY_POINTS = [
  { name: 'hello-cli prober', args: [CLI, 'prober'] },
  { name: 'prober/main.js', args: [MAIN] },
] as const;

/** The environment without PROBER_* variables, so only the flags decide. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PROBER_')));

function writeConfig(modules: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'prober-flags-')), 'prober.yml');
  writeFileSync(file, `modules:\n${modules.map((m) => `  ${m}:\n    prober: http\n`).join('')}`);
  return file;
}

/** Flags as a user types them: `--flag value` or `--flag=value`; `true` is a switch. */
function spell(flags: Record<string, string | true>, equals: boolean): string[] {
  return Object.entries(flags).flatMap(([flag, value]) => (value === true ? [flag] : equals ? [`${flag}=${value}`] : [flag, value]));
}

async function waitFor(what: string, ready: () => boolean | Promise<boolean>): Promise<void> {
  // Bounded: well above the 1 s reload interval, for a busy machine.
  for (let i = 0; i < 400; i++) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The address is bound on `host` only: the same port on another loopback address refuses. */
async function assertBoundOnlyTo(server: ChildServer, host: string, other: string, port: number): Promise<void> {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  assert.equal(server.url, url, 'the log names the address actually bound');
  assert.equal((await get(`${url}/-/healthy`)).status, 200);
  await assert.rejects(fetch(`http://${other.includes(':') ? `[${other}]` : other}:${port}/-/healthy`), `nothing listens on ${other}:${port}`);
}

async function assertProbeDeadline(url: string, module: string, expectedSeconds: number): Promise<void> {
  const page = await get(`${url}/probe?module=${module}&target=http://127.0.0.1:1/&debug=true`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '10' } });
  assert.equal(page.status, 200, page.text);
  assert.match(page.text, new RegExp(`msg="Beginning probe" .*timeout_seconds=${expectedSeconds}\\b`));
}

async function startWithEveryFlag(t: TestContext, args: readonly string[], equals: boolean): Promise<void> {
  const port = await closedPort();
  const file = writeConfig(['only_in_this_file']);
  const flags = spell(
    {
      '--config.file': file,
      '--web.listen-address': `127.0.0.1:${port}`,
      '--timeout-offset': '3',
      '--log.level': 'debug',
      '--config.enable-auto-reload': true,
      '--config.auto-reload-interval': '1s',
    },
    equals,
  );
  const server = await spawnListening(t, process.execPath, [...args, ...flags], { env: ENV, timeoutMs: 15_000 });
  await assertBoundOnlyTo(server, '127.0.0.1', '127.0.0.2', port);
  // --config.file and --timeout-offset: the file's module runs under 10 s - 3 s.
  await assertProbeDeadline(server.url, 'only_in_this_file', 7);
  // --log.level debug: the probe's own lines reach the process log at debug level.
  assert.ok(server.logs.some((l) => l.level === 'debug' && l.msg === 'Beginning probe'), JSON.stringify(server.logs));
  // --config.enable-auto-reload with --config.auto-reload-interval 1s: a changed file is picked up.
  writeFileSync(file, 'modules:\n  only_in_this_file:\n    prober: http\n  added_later:\n    prober: http\n');
  await waitFor('the auto-reload', async () => (await get(`${server.url}/probe?module=added_later&target=http://127.0.0.1:1/`)).status === 200);
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0);
}

for (const entry of ENTRY_POINTS) {
  for (const equals of [false, true]) {
    const spelling = equals ? '--flag=value' : '--flag value';
    test(`${entry.name}: every flag is honoured, written ${spelling}`, (t) => startWithEveryFlag(t, entry.args, equals));

    test(`${entry.name}: --config.check written ${spelling} exits 0 for a good file and 2 for a bad one`, async () => {
      const good = await run(process.execPath, [...entry.args, ...spell({ '--config.check': true, '--config.file': writeConfig(['a']) }, equals)], { env: ENV });
      assert.equal(good.code, 0, good.stderr);
      const bad = writeConfig(['a']);
      writeFileSync(bad, 'modules:\n  a:\n    prober: ping\n');
      const refused = await run(process.execPath, [...entry.args, ...spell({ '--config.check': true, '--config.file': bad }, equals)], { env: ENV });
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /modules\.a\.prober: \\?"ping\\?" is not a prober/);
    });
  }
}

test("hello-cli prober: the short aliases and an IPv6 listen address, as a user types them", async (t) => {
  const port = await closedPort();
  const file = writeConfig(['aliased']);
  const server = await spawnListening(t, process.execPath, [CLI, 'prober', '-c', file, `--listen=[::1]:${port}`, '--log-level', 'debug'], { env: ENV, timeoutMs: 15_000 });
  await assertBoundOnlyTo(server, '::1', '127.0.0.1', port);
  await assertProbeDeadline(server.url, 'aliased', 9.5);
  assert.ok(server.logs.some((l) => l.level === 'debug'));
  const check = await run(process.execPath, [CLI, 'prober', '--check', `--config=${file}`], { env: ENV });
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /: ok \(1 modules, 0 scheduled targets\)/);
});
