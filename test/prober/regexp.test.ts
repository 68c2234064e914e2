import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRegexp, execRegexp, expandTemplate, INLINE_BUDGET, testRegexp, type ProbeRegexp } from '../../prober/index.js';

const never = new AbortController().signal;

/** `input` padded with `filler` until matching it is over the inline budget, so it runs in a worker. */
function padded(re: ProbeRegexp, input: string, filler: string): string {
  const want = Math.ceil(INLINE_BUDGET / re.programSize) + 1;
  return input.length >= want ? input : input + filler.repeat(want - input.length);
}

test('regexp: the exporter syntax (Go RE2) compiles; what Go refuses is refused with its message', () => {
  for (const source of ['(?i)healthy', '\\pL+', '\\p{Greek}', '[[:alpha:]]+', 'done\\z', '(?P<code>\\d+)', '^+OK', '\\Qa.b\\E', '(?s)a.b', '(?m)^ok$', '(?U)a+', '']) {
    assert.doesNotThrow(() => compileRegexp(source), source);
  }
  const refused: [string, string][] = [
    ['(unclosed', 'error parsing regexp: missing closing ): `(unclosed`'],
    ['(?=ahead)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
    ['(a)\\1', 'error parsing regexp: invalid escape sequence: `\\1`'],
    ['end\\Z', 'error parsing regexp: invalid escape sequence: `\\Z`'],
    ['a**', 'error parsing regexp: invalid nested repetition operator: `**`'],
    ['a{1001}', 'error parsing regexp: invalid repeat count: `{1001}`'],
  ];
  for (const [source, message] of refused) assert.throws(() => compileRegexp(source), { message }, source);
});

test("regexp: Go's matching rules: ^ and $ at the text's ends without (?m), . not matching newline, Unicode classes", async () => {
  const table: [string, string, boolean][] = [
    ['^status', 'x\nstatus', false],
    ['(?m)^status', 'x\nstatus', true],
    ['healthy$', 'healthy\n', false],
    ['a.b', 'a\nb', false],
    ['(?s)a.b', 'a\nb', true],
    ['\\pL', 'é', true],
    ['[[:alpha:]]', 'é', false],
    ['\\w', 'é', false],
    ['(?i)HEALTHY', 'status: healthy', true],
  ];
  for (const [source, input, expected] of table) {
    const re = compileRegexp(source);
    assert.equal(await testRegexp(re, input, never), expected, `${source} on ${JSON.stringify(input)} (inline)`);
    // The same answer when the input is long enough to go to a worker (padding that cannot change the answer).
    const long = padded(re, input, '\u0000');
    const pad = source.includes('$') ? long.slice(input.length) + input : long;
    assert.equal(await testRegexp(re, pad, never), expected, `${source} on a padded input (worker)`);
  }
});

test('regexp: exec gives groups by number and name, inline and in a worker', async () => {
  const re = compileRegexp('^(?P<code>\\d+) (\\S+)( extra)?');
  const inline = await execRegexp(re, '220 mail ready', never);
  assert.deepEqual(inline, { groups: ['220 mail', '220', 'mail', undefined], named: { code: [1] } });
  const long = `220 ${'m'.repeat(INLINE_BUDGET)}`;
  const inWorker = await execRegexp(re, long, never);
  assert.deepEqual(inWorker?.groups.slice(1), ['220', 'm'.repeat(INLINE_BUDGET), undefined]);
  assert.equal(await execRegexp(re, 'x'.repeat(INLINE_BUDGET), never), undefined);
});

test('regexp: a name given to several groups is accepted, as Go does; $name is the first that took part', async () => {
  // The bracketed and escaped look-alikes are not groups and keep their text.
  const re = compileRegexp('(?P<n>a)|(?P<n>b)|[(?P<n>]\\(?P<n>x\\)');
  for (const input of ['a', 'b']) {
    const match = await execRegexp(re, input, never);
    assert.equal(expandTemplate('[$n]', match!), `[${input}]`);
  }
  assert.equal(await testRegexp(re, 'n(?P<n>x)', never), true);
});

test("regexp: expandTemplate follows Go's Regexp.Expand", () => {
  const match = { groups: ['220 mail ready', '220', 'mail', undefined], named: { code: [1], host: [2] } };
  const table: [string, string][] = [
    ['PONG ${1}', 'PONG 220'],
    ['$1 $2', '220 mail'],
    ['${code}/${host}', '220/mail'],
    ['$code.$host', '220.mail'],
    ['$1x', ''],
    ['${1}x', '220x'],
    ['$3|$9|${nope}', '||'],
    ['cost: $$5', 'cost: $5'],
    ['${unclosed', '${unclosed'],
    ['trailing $', 'trailing $'],
  ];
  for (const [template, expected] of table) assert.equal(expandTemplate(template, match), expected, template);
});

test('regexp: a match past its deadline is stopped, and the event loop keeps running meanwhile', async (t) => {
  // About 1000 instructions x 256 KiB of pseudo-random a/b (no period an automaton could cache):
  // seconds of NFA work.
  const re = compileRegexp('a[ab]{1000}(c|d)');
  let ab = '';
  for (let i = 0, x = 1; i < 256 * 1024; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    ab += x & 0x10000 ? 'a' : 'b';
  }
  const deadline = new AbortController();
  let ticks = 0;
  const ticker = setInterval(() => (ticks += 1), 10);
  const timer = setTimeout(() => deadline.abort(new Error('probe deadline reached')), 300);
  t.after(() => {
    clearInterval(ticker);
    clearTimeout(timer);
  });
  const started = performance.now();
  await assert.rejects(testRegexp(re, ab, deadline.signal), { message: 'probe deadline reached' });
  const elapsed = performance.now() - started;
  assert.ok(ticks > 0, `timers ran while the match was going on (${ticks} ticks in ${elapsed.toFixed(0)} ms)`);
  // The worker that was stopped is replaced: the next match works.
  assert.equal(await testRegexp(compileRegexp('b$'), `${ab}b`, never), true);
  assert.equal(await testRegexp(re, 'a'.repeat(1001) + 'c', never), true);
});
