// A bounded, seeded fuzz of hello's environment (issue 12): every variable given wrong types,
// huge numbers, empty and odd text, durations past a timer's range. Each environment either loads
// or is refused with one ConfigError line naming a variable; through the real process, exit 2 and
// one log line, never a stack trace. The seed is fixed: a failure names its case, which replays.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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

// Values at the edge of what node and the kernel accept: sub-millisecond, past a timer's range, not an address.
const EDGE_TEXTS: readonly string[] = ['0.0001ms', '600h', '999.999.999.999', ''];

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

test('fuzz: through the process, every environment either serves or exits 2 with one log line naming the variable', async () => {
  const rng = mulberry32(SEED + 1);
  // Every variable with each edge value (these crashed or slipped through on e0544bf), then random ones.
  const edges = VARIABLES.flatMap((name) => EDGE_TEXTS.map((text) => ({ [name]: text })));
  const cases = [...edges, ...Array.from({ length: 12 }, () => environment(rng))];
  let refused = 0;
  for (const [i, env] of cases.entries()) {
    if (Object.values(env).some((v) => v.includes('\0'))) continue; // no real environment holds NUL
    const label = `case ${i} ${JSON.stringify(env).slice(0, 200)}`;
    // A port of its own, unless the case sets PORT: then the case is about that value.
    const outcome = await startOrExit({ PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', ...env });
    if (outcome.listening) continue;
    const lines = outcome.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${label}: ${outcome.stderr}`);
    const entry = JSON.parse(lines[0]!) as { msg: string; error: string; host?: string };
    // A well-formed host name that does not resolve is the machine's answer, not a config error.
    if (outcome.code === 1 && entry.msg === 'cannot listen' && /ENOTFOUND/.test(entry.error)) continue;
    assert.equal(outcome.code, 2, `${label}: ${outcome.stderr}`);
    assert.equal(entry.msg, 'invalid configuration', label);
    assert.ok(VARIABLES.some((name) => entry.error.startsWith(`${name}: `)), `${label}: ${entry.error}`);
    refused += 1;
  }
  assert.ok(refused >= cases.length / 2, `most cases are refused (${refused} of ${cases.length})`);
});

/** Runs hello with `env`: resolves once it logs "listening" (then stops it), or with how it exited. */
function startOrExit(env: Record<string, string | undefined>): Promise<{ listening: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes('"msg":"listening"')) child.kill('SIGKILL');
    });
    child.on('exit', (code) => resolve({ listening: stderr.includes('"msg":"listening"'), code, stderr }));
  });
}
