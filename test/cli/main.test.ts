// hello-cli's conventions, through the real entry point: usage errors exit 2, distinct from a
// failed check (1); --json prints a JSON error object; exit statuses come from one table; an old
// Node gets one line, not a stack trace; a busy port in `npm start` says which and how to move.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { EXIT_CODES, EXIT_MEANINGS, type ExitName } from '../../common/index.js';
import { run } from '../support/run.js';
import { inCI } from '../support/tools.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { cwd: ROOT });

for (const [name, args] of [
  ['unknown command', ['deploi']],
  ['unknown option', ['synth', '--nope']],
  ['missing argument', ['probe']],
  ['bad option value', ['serve', '--port', '99999']],
] as const) {
  test(`usage error exits 2 with one line: ${name}`, async () => {
    const result = await cli(...args);
    assert.equal(result.code, EXIT_CODES.usage, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /^error: /);
  });
}

test('--json: a failure prints {"ok":false,"error":{...}} on stdout, for usage and library errors alike', async () => {
  const usage = await cli('synth', '--nope', '--json');
  assert.equal(usage.code, 2);
  assert.deepEqual(JSON.parse(usage.stdout), { ok: false, error: { code: 'HELLO_ERR_USAGE', message: "unknown option '--nope'", exitCode: 2 } });
  const unknownModule = await cli('probe', 'http://127.0.0.1:1/', '--module', 'nope', '--json');
  assert.equal(unknownModule.code, 2);
  assert.deepEqual(JSON.parse(unknownModule.stdout), {
    ok: false,
    error: { code: 'HELLO_ERR_UNKNOWN_MODULE', message: 'Unknown module "nope"; the config has http_2xx, http_post_2xx, tcp_connect', exitCode: 2 },
  });
});

test('Unknown module lists the modules the config has', async () => {
  const result = await cli('probe', 'http://127.0.0.1:1/', '--module', 'nope');
  assert.equal(result.code, 2);
  assert.equal(result.stderr, 'hello-cli: Unknown module "nope"; the config has http_2xx, http_post_2xx, tcp_connect\n');
});

test('--help lists every exit status from the catalogue, and the README table says the same', async () => {
  const help = await cli('--help');
  assert.equal(help.code, 0);
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
  for (const name of Object.keys(EXIT_CODES) as ExitName[]) {
    assert.match(help.stdout, new RegExp(`^\\s+${EXIT_CODES[name]}  ${escape(EXIT_MEANINGS[name])}$`, 'm'), name);
    assert.match(readme, new RegExp(`^\\| \`${EXIT_CODES[name]}\` \\| ${escape(EXIT_MEANINGS[name])} \\|$`, 'm'), `README row for ${name}`);
  }
});

// The machine's own node (Node 20 on these machines) runs the built entry points directly.
for (const entry of ['cli/main.js', 'hello/main.js', 'prober/main.js']) {
  test(`on Node < 24, dist/${entry} prints one line and exits 1 (no TypeError from undici)`, async (t) => {
    const oldNode = '/usr/bin/node';
    const version = await run(oldNode, ['--version']).catch(() => undefined);
    const major = Number(/^v(\d+)/.exec(version?.stdout ?? '')?.[1] ?? 0);
    if (!version || major === 0 || major >= 24) {
      const why = `no Node older than 24 at ${oldNode}`;
      if (inCI) throw new Error(`${why}; CI machines have Debian's Node 20 there`);
      return t.skip(why);
    }
    const result = await run(oldNode, [fileURLToPath(new URL(`../../${entry}`, import.meta.url))]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^[\w-]+: Node\.js 24 or newer is required, this is v\d+\.\d+\.\d+\. Run it through npm \(npm ci brings Node 24\) or install Node 24\.\n$/);
  });
}

test('npm start (hello-cli dev) with a busy port: one line naming it and how to pick other ports', async (t) => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await new Promise((resolve) => blocker.once('listening', resolve));
  t.after(() => blocker.close());
  const busy = (blocker.address() as { port: number }).port;
  const result = await cli('dev', '--port', String(busy), '--prober-port', '0');
  assert.equal(result.code, EXIT_CODES.failed);
  assert.equal(
    result.stderr.trim(),
    `hello-cli: 127.0.0.1:${busy} is in use by another process (EADDRINUSE); pick other ports: npm start -- --port ${busy + 1} --prober-port 1 (or hello-cli dev --port N)`,
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
