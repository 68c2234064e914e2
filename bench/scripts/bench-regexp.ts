// `npm run bench:regexp`: the prober's body regexps, RE2 (re2js, what the prober uses) against
// JavaScript's RegExp (what it used before), in one run on the same 1 MiB body: milliseconds
// per match (median of --reps), re2js on the calling thread and through the prober's testRegexp
// (which sends a match this large to its worker thread), and the ratio to RegExp. Then the
// issue's backtracking case (`^(\w+\s?)*$` on "aaa...!") at growing lengths. A benchmark, not a
// test: it asserts nothing.
import { parseArgs } from 'node:util';
import { RE2JS } from 're2js';
import { compileRegexp, testRegexp } from '../../prober/index.js';

const { values: opts } = parseArgs({
  options: {
    reps: { type: 'string', default: '15' },
    json: { type: 'boolean', default: false },
  },
});
const REPS = Number(opts.reps);

/** About 1 MiB of JSON log lines, with the text the literal patterns look for at the very end. */
function body(): string {
  const line = '{"service":"hello","status":"ok","latency_ms":12,"region":"eu-west-1","build":"2026.11.3"}\n';
  let text = '';
  while (text.length < 1024 * 1024 - 64) text += line;
  return `${text}status: healthy version: 1.2.3\n`;
}

/** Patterns as written in blackbox.yml (RE2), and the JavaScript RegExp the old loader made of them. */
const PATTERNS: readonly (readonly [string, RegExp | undefined])[] = [
  ['status: healthy', /status: healthy/],
  ['not-in-the-body', /not-in-the-body/],
  ['"latency_ms":\\s*[0-9]{4,}', /"latency_ms":\s*[0-9]{4,}/],
  ['(?i)error|fatal', /error|fatal/i],
  ['version: [0-9]+\\.[0-9]+\\.[0-9]+', /version: [0-9]+\.[0-9]+\.[0-9]+/],
  ['^(\\w+\\s?)*$', undefined], // backtracks for ever on this body in RegExp: not timed there
];

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function timeSync(fn: () => unknown): number {
  const samples: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const started = performance.now();
    fn();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

interface Row {
  readonly pattern: string;
  readonly regexpMs: number | undefined;
  readonly re2InlineMs: number;
  readonly re2WorkerMs: number;
}

async function throughput(text: string): Promise<Row[]> {
  const never = new AbortController().signal;
  const rows: Row[] = [];
  for (const [source, js] of PATTERNS) {
    const engine = RE2JS.compile(source);
    const compiled = compileRegexp(source);
    await testRegexp(compiled, text, never); // starts the worker and compiles there
    rows.push({
      pattern: source,
      regexpMs: js ? timeSync(() => js.test(text)) : undefined,
      re2InlineMs: timeSync(() => engine.test(text)),
      re2WorkerMs: await timeAsync(() => testRegexp(compiled, text, never)),
    });
  }
  return rows;
}

/** The issue's case: RegExp's time grows about 2x per character, RE2's stays flat. */
function backtracking(): { length: number; regexpMs: number; re2Ms: number }[] {
  const js = /^(\w+\s?)*$/;
  const engine = RE2JS.compile('^(\\w+\\s?)*$');
  return [16, 18, 20, 22, 24].map((n) => {
    const input = `${'a'.repeat(n - 1)}!`;
    const started = performance.now();
    js.test(input);
    return { length: n, regexpMs: performance.now() - started, re2Ms: timeSync(() => engine.test(input)) };
  });
}

const fmt = (ms: number | undefined): string => (ms === undefined ? 'n/a' : ms.toFixed(2));
const text = body();
const rows = await throughput(text);
const bomb = backtracking();
if (opts.json) {
  console.log(JSON.stringify({ bodyBytes: text.length, reps: REPS, throughput: rows, backtracking: bomb }, null, 2));
} else {
  console.log(`body ${text.length} bytes, median of ${REPS}`);
  console.log('pattern | RegExp ms | RE2 ms (same thread) | RE2 ms (testRegexp, worker) | RE2/RegExp (same thread)');
  for (const r of rows) {
    const ratio = r.regexpMs === undefined ? 'n/a' : (r.re2InlineMs / r.regexpMs).toFixed(1);
    console.log(`${r.pattern} | ${fmt(r.regexpMs)} | ${fmt(r.re2InlineMs)} | ${fmt(r.re2WorkerMs)} | ${ratio}`);
  }
  console.log('\n^(\\w+\\s?)*$ on "aaa...!" | RegExp ms (one run) | RE2 ms');
  for (const b of bomb) console.log(`${b.length} chars | ${fmt(b.regexpMs)} | ${b.re2Ms.toFixed(3)}`);
}
