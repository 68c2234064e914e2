// A bounded, seeded fuzz of hello's environment (issue 12): every variable given wrong types,
// huge numbers, empty and odd text, durations past a timer's range. Each environment either loads
// or is refused with one ConfigError line naming a variable; through the real process, exit 2 and
// one log line, never a stack trace. The seed is fixed: a failure names its case, which replays.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ConfigError } from '../../common/index.js';
import { HELLO_ENV, loadHelloConfig } from '../../hello/index.js';
import { HOSTILE_VALUES, mulberry32, pick, type Rng } from '../support/fuzz.js';

const MAIN = fileURLToPath(new URL('../../hello/main.js', import.meta.url));
const SEED = 20_261_202;
const VARIABLES = Object.values(HELLO_ENV);
// Text a variable can hold: the shared hostile values as text, and near-misses of valid values.
const TEXTS: readonly string[] = [
  ...HOSTILE_VALUES.map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? String(v))),
  '8080', '0', '65536', '1e3', '0x50', ' 80', '80 ', '5s', '5', '5 s', '1.5s', '0.0001ms', '600h', '596h', '1m30s',
  'true', 'TRUE', 'yes', 'maybe', 'debug', 'DEBUG', '::', '0.0.0.0', '999.999.999.999', 'a..b', '-host', '\ufffd', 'x'.repeat(5000),
];

/** An environment of one to four variables, each set to a hostile or near-valid text. */
function environment(rng: Rng): Record<string, string> {
  const env: Record<string, string> = {};
  const count = 1 + Math.floor(rng() * 4);
  for (let i = 0; i < count; i++) env[pick(rng, VARIABLES)] = pick(rng, TEXTS);
  return env;
}

test('fuzz: 2,000 environments load or are refused with one line naming a variable', () => {
  const rng = mulberry32(SEED);
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    const env = environment(rng);
    try {
      loadHelloConfig(env);
    } catch (error) {
      const label = `case ${i} ${JSON.stringify(env).slice(0, 200)}`;
      assert.ok(error instanceof ConfigError, `${label}: ${error instanceof Error ? error.stack : String(error)}`);
      assert.ok(VARIABLES.includes(error.field as (typeof VARIABLES)[number]), `${label}: field ${error.field} is not a variable`);
      assert.ok(error.message.startsWith(`${error.field}: `) && !error.message.includes('\n'), `${label}: ${error.message}`);
      refused += 1;
    }
  }
  assert.ok(refused > 1000, `most hostile environments are refused (${refused})`);
});

test('fuzz: through the process, a refused environment exits 2 with one log line naming the variable', () => {
  const rng = mulberry32(SEED + 1);
  let checked = 0;
  for (let i = 0; i < 200 && checked < 12; i++) {
    const env = environment(rng);
    if (Object.values(env).some((v) => v.includes('\0'))) continue; // no real environment holds NUL
    let field: string;
    try {
      loadHelloConfig(env);
      continue; // this one would start a server; the library case above covers it
    } catch (error) {
      field = (error as ConfigError).field;
    }
    const result = spawnSync(process.execPath, [MAIN], { env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', ...env }, encoding: 'utf8', timeout: 10_000 });
    const label = `case ${i} ${JSON.stringify(env).slice(0, 200)}`;
    assert.equal(result.status, 2, `${label}: ${result.stderr}`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${label}: ${result.stderr}`);
    const entry = JSON.parse(lines[0]!) as { msg: string; error: string };
    assert.equal(entry.msg, 'invalid configuration');
    assert.ok(entry.error.startsWith(`${field}: `), `${label}: ${entry.error}`);
    checked += 1;
  }
  assert.equal(checked, 12);
});
