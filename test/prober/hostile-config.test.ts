/**
 * Config files that attack the YAML reader (cyclic aliases, an alias bomb, an undefined alias,
 * bytes that are not UTF-8) end in one line naming the field and exit 2, through every command
 * that reads a prober config: `hello-cli prober --config.check`, `hello-cli probe --config` and
 * the image's `--config.check`. An honest config with many aliases still loads.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { run } from '../support/run.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../../prober/main.js', import.meta.url));

/** Ten levels of ten aliases each: 10^10 values once expanded, from a few hundred bytes. */
function aliasBomb(): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  return `modules:\n  bomb:\n    prober: http\n    http:\n      headers:\n${lines.map((l) => `        ${l}`).join('\n')}\n`;
}

const HOSTILE: readonly (readonly [string, string | Buffer, RegExp])[] = [
  ['a cyclic alias at the top', 'prober: &p [*p]\n', /^\(top level\)|^prober/],
  ['a cyclic alias in a section', 'modules:\n  dns:\n    prober: dns\n    dns: &c {self: *c}\n', /^modules\.dns\.dns/],
  ['an alias bomb', aliasBomb(), /^modules\.bomb\.http\.headers/],
  ['an undefined alias', 'modules: *nope\n', /^yaml/],
  ['bytes that are not UTF-8', Buffer.from('modules:\n  caf\xe9:\n    prober: http\n', 'latin1'), /prober\.yml/],
];

function write(content: string | Buffer): string {
  const file = join(mkdtempSync(join(tmpdir(), 'prober-hostile-')), 'prober.yml');
  writeFileSync(file, content);
  return file;
}

/** One line naming a field, exit 2, no stack trace. */
function assertOneLine(result: { code: number | null; stderr: string }, field: RegExp, what: string): void {
  assert.equal(result.code, 2, `${what}: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /, `${what}: a stack trace`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: ${result.stderr}`);
  const line = lines[0] ?? '';
  // hello-cli prints "hello-cli: <field>: ..."; the image logs JSON with the message in "err".
  const message = line.startsWith('{') ? String((JSON.parse(line) as { err?: unknown }).err) : line.replace(/^hello-cli: /, '');
  assert.match(message, field, `${what}: the message names the field`);
}

for (const [what, content, field] of HOSTILE) {
  test(`a config with ${what} is one line naming the field and exit 2, in every command`, async () => {
    const file = write(content);
    assertOneLine(await run(process.execPath, [CLI, 'prober', '--config.check', '--config.file', file]), field, 'hello-cli prober --config.check');
    assertOneLine(await run(process.execPath, [CLI, 'probe', '--config', file, 'http://127.0.0.1:1/']), field, 'hello-cli probe --config');
    assertOneLine(await run(process.execPath, [MAIN, '--config.check', '--config.file', file]), field, 'prober/main.js --config.check');
  });
}

test('an honest config with many aliases loads (aliases are bounded by expanded size, not by count)', async () => {
  // Each module's http section is an alias of the first one's: 300 aliases, a few thousand values.
  const aliases = Array.from({ length: 300 }, (_, i) => `  m${i + 1}:\n    prober: http\n    http: *common\n`).join('');
  const file = write(`modules:\n  m0:\n    prober: http\n    http: &common {method: HEAD, valid_status_codes: [200, 204]}\n${aliases}`);
  const result = await run(process.execPath, [CLI, 'prober', '--config.check', '--config.file', file]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /ok \(301 modules, 0 scheduled targets\)/);
});
