// A bounded, seeded fuzz of the bench results reader (issue 12): the results file infra reads for
// `fromBench` and `hello-cli bench --compare/--from` read, mutated (types, deleted and duplicated
// keys, huge numbers, deep nesting) and as bytes (cut, non-UTF-8). Each file is read or refused
// with one ConfigError line naming a field (or NotFound for none); through the CLI, exit 2 and one
// line, never a stack trace. The seed is fixed: a failure names its case, which replays.
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readBenchResults } from '../../bench/index.js';
import { ConfigError } from '../../common/index.js';
import { mulberry32, mutations, pick } from '../support/fuzz.js';
import { run } from '../support/run.js';
import { tempDir } from '../infra/support.js';

const SEED = 20_261_203;
const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/bench/results-v1.json', import.meta.url));
const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const VALID = JSON.parse(readFileSync(FIXTURE, 'utf8')) as unknown;

/** Bytes of a results file: a mutated document, sometimes cut or with a byte that is not UTF-8. */
function mutatedFiles(n: number): Buffer[] {
  const rng = mulberry32(SEED);
  return mutations(VALID, rng, n).map((doc) => {
    const text = Buffer.from(JSON.stringify(doc, null, 1));
    const at = Math.floor(rng() * text.length);
    switch (Math.floor(rng() * 5)) {
      case 0: return text.subarray(0, at);
      case 1: return Buffer.concat([text.subarray(0, at), Buffer.from([pick(rng, [0xff, 0xc3, 0x80])]), text.subarray(at)]);
      default: return text;
    }
  });
}

test('fuzz: 400 mutated results files are read or refused with one line naming a field', async (t) => {
  const dir = tempDir(t);
  let refused = 0;
  for (const [i, bytes] of mutatedFiles(400).entries()) {
    const file = join(dir, `r${i}.json`);
    writeFileSync(file, bytes);
    try {
      await readBenchResults(file);
      assert.ok(isUtf8(bytes), `case ${i}: a file that is not UTF-8 was read (its bad byte would become U+FFFD)`);
    } catch (error) {
      const label = `case ${i}`;
      assert.ok(error instanceof ConfigError, `${label}: ${error instanceof Error ? error.stack : String(error)}`);
      assert.ok(error.field.length > 0 && error.message.startsWith(`${error.field}: `), `${label}: no field in ${error.message}`);
      assert.doesNotMatch(error.message, /\n/, `${label}: more than one line`);
      refused += 1;
    }
  }
  assert.ok(refused > 200, `most mutations are refused (${refused})`);
});

test('fuzz: through hello-cli bench --from, a refused file exits 2 with one line and no stack trace', async (t) => {
  const dir = tempDir(t);
  let checked = 0;
  for (const [i, bytes] of mutatedFiles(60).entries()) {
    const file = join(dir, `r${i}.json`);
    writeFileSync(file, bytes);
    const refusedByLibrary = await readBenchResults(file).then(() => false, () => true);
    if (!refusedByLibrary) continue;
    const result = await run(process.execPath, [CLI, 'bench', '--from', file]);
    assert.equal(result.code, 2, `case ${i}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, `case ${i}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, `case ${i}: a stack trace`);
    if (++checked === 10) break;
  }
  assert.equal(checked, 10);
});
