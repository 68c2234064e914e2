// Reading config files: what a hostile or careless file can do ends in one ConfigError line.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_DEPTH, MAX_EXPANDED_VALUES, loadConfigFile, parseConfigYaml } from '../../common/config-file.js';
import { ConfigError } from '../../common/index.js';

function refused(text: string, message: RegExp): void {
  assert.throws(() => parseConfigYaml(text), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `ConfigError expected, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

// Ten levels of ten aliases each: 10^6 values from a few hundred bytes.
const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...'bcdef'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdef'[i]}`).join(',')}]`)].join('\n');

test('cyclic aliases, alias bombs, unresolved aliases and absurd nesting are refused with the field', () => {
  refused('prober: &p [*p]\n', /^prober\[0\]: refers to itself through a YAML alias/);
  refused('dns: &c {self: *c}\n', /^dns\.self: refers to itself through a YAML alias/);
  refused(bomb, new RegExp(`expands to more than ${MAX_EXPANDED_VALUES} values through YAML aliases`));
  refused('a: *nope\n', /^yaml: Unresolved alias/);
  refused('['.repeat(5000) + ']'.repeat(5000), new RegExp(`^yaml: nested deeper than ${MAX_DEPTH} levels`));
  refused(Array.from({ length: 80 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n', new RegExp(`is nested deeper than ${MAX_DEPTH} levels`));
  refused('a: 1\na: 2\n', /^yaml: Map keys must be unique at line 2, column 1$/);
});

test('an honest config with many aliases loads (the bound is the expanded size, not the count)', () => {
  const text = ['base: &base {interval: 15s, module: http_2xx}', ...Array.from({ length: 1000 }, (_, i) => `t${i}: *base`)].join('\n');
  const data = parseConfigYaml(text) as Record<string, unknown>;
  assert.equal(Object.keys(data).length, 1001);
});

test('files: unreadable is NOT_FOUND (exit 2), non-UTF-8 bytes are refused', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'config-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.throws(() => loadConfigFile(join(dir, 'missing.yml')), { code: 'HELLO_ERR_NOT_FOUND', message: /missing\.yml" cannot be read \(ENOENT\)/ });
  const latin1 = join(dir, 'latin1.yml');
  writeFileSync(latin1, Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
  assert.throws(() => loadConfigFile(latin1), { code: 'HELLO_ERR_CONFIG', message: /latin1\.yml: is not valid UTF-8 text/ });
});
