// The shared validator: each schema's messages (field, value, what is allowed), defaults,
// unknown keys with a hint, text forms for environment variables, and the JSON Schema it renders.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfigError,
  MAX_TIMER_MS,
  boolean,
  deepFreeze,
  duration,
  integer,
  list,
  nearestKey,
  nullable,
  number,
  object,
  oneOf,
  optional,
  readEnv,
  record,
  refine,
  string,
  transform,
  withDefault,
} from '../../common/index.js';

/** Asserts that `fn` throws a ConfigError with exactly `message` (field included). */
function refused(fn: () => unknown, message: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `ConfigError expected, got ${String(error)}`);
    assert.equal(error.code, 'HELLO_ERR_CONFIG');
    assert.equal(error.exitCode, 2);
    assert.equal(error.message, message);
    return true;
  });
}

test('scalars: the value, the field and what is allowed', () => {
  refused(() => integer(0, 65535).parse(70000, 'port'), 'port: 70000 is not allowed; use a whole number from 0 to 65535');
  refused(() => integer(0, 10).parse(1.5, 'n'), 'n: 1.5 is not allowed; use a whole number from 0 to 10');
  refused(() => integer(0, 10).parse('3', 'n'), 'n: "3" is not allowed; use a whole number from 0 to 10');
  refused(() => number(0, 100, { exclusiveMin: true }).parse(0, 'p'), 'p: 0 is not allowed; use a number above 0 up to 100');
  refused(() => number(0, 1).parse(Number.NaN, 'p'), 'p: NaN is not allowed; use a number from 0 to 1');
  refused(() => boolean().parse('yes', 'b'), 'b: "yes" is not allowed; use true or false');
  refused(() => oneOf(['ip4', 'ip6']).parse('ipv4', 'x'), 'x: "ipv4" is not allowed; use ip4 or ip6');
  refused(() => oneOf(['', 'gzip', 'br']).parse('zip', 'c'), 'c: "zip" is not allowed; use one of "", gzip, br');
  refused(() => string().parse(['a'], 's'), 's: must be a string, got a list');
  refused(() => string({ pattern: /^[a-z]+$/, allowed: 'lowercase letters' }).parse('A', 's'), 's: "A" is not allowed; use lowercase letters');
  refused(() => string({ maxLength: 3 }).parse('abcd', 's'), 's: "abcd" is not allowed; use a string of at most 3 characters');
  refused(() => string({ check: (v) => (v.includes('..') ? 'a path may not contain ".."' : undefined) }).parse('/a/../b', 'p'), 'p: "/a/../b" is not allowed; a path may not contain ".."');
  assert.equal(string({ coerce: true }).parse(1.5, 'v'), '1.5');
  assert.equal(integer(0, 10).parse(10, 'n'), 10);
});

test('durations: text to milliseconds, bounded so that no timer overflows', () => {
  assert.equal(duration().parse('1m30s', 'd'), 90_000);
  refused(() => duration().parse(5, 'd'), 'd: 5 is not a duration; use a number with a unit (ms, s, m, h), e.g. "250ms", "5s" or "1m30s"');
  refused(() => duration({ min: 1000 }).parse('100ms', 'd'), 'd: "100ms" is too short; use at least 1s');
  refused(() => duration().parse('600h', 'd'), 'd: "600h" is too long; use at most 596h');
  refused(() => duration({ allowZero: false }).parse('0s', 'd'), 'd: "0s" is not allowed; use a positive duration');
  assert.ok(duration().parse('596h', 'd') <= MAX_TIMER_MS);
});

test('objects: required keys, defaults, unknown keys with the nearest one as a hint', () => {
  const module = object({ prober: oneOf(['http', 'tcp']), timeout: withDefault(duration(), 5000), labels: optional(record(string())) });
  assert.deepEqual(module.parse({ prober: 'http' }, 'modules.a'), { prober: 'http', timeout: 5000, labels: undefined });
  refused(() => module.parse({ prober: 'http', timout: '1s' }, 'modules.a'), 'modules.a.timout: unknown key (did you mean timeout?); allowed here: prober, timeout, labels');
  refused(() => module.parse({ prober: 'http', zzz: 1 }, 'modules.a'), 'modules.a.zzz: unknown key; allowed here: prober, timeout, labels');
  refused(() => module.parse({}, 'modules.a'), 'modules.a.prober: is required');
  refused(() => module.parse([], 'modules.a'), 'modules.a: must be a map, got a list');
  refused(() => module.parse(null, ''), '(top level): must be a map, got null');
  const checked = object({ min: integer(0, 9), max: integer(0, 9) }, {
    check: (v, path) => {
      if (v.min > v.max) throw new ConfigError(`${path}.min`, `${v.min} is not allowed; it must not exceed max (${v.max})`);
    },
  });
  refused(() => checked.parse({ min: 5, max: 2 }, 'r'), 'r.min: 5 is not allowed; it must not exceed max (2)');
});

test('lists and records name the item that is wrong', () => {
  refused(() => list(integer(100, 599)).parse([200, 1000], 'codes'), 'codes[1]: 1000 is not allowed; use a whole number from 100 to 599');
  refused(() => list(string(), { minItems: 1 }).parse([], 'apps'), 'apps: has 0 items; use at least 1');
  refused(() => list(string()).parse({}, 'apps'), 'apps: must be a list, got a map');
  refused(() => record(integer(0, 1)).parse({ a: 0, b: 2 }, 'm'), 'm.b: 2 is not allowed; use a whole number from 0 to 1');
  refused(() => record(string(), { key: string({ pattern: /^[a-z]+$/, allowed: 'a lowercase name' }) }).parse({ Ab: 'x' }, 'm'), 'm.Ab: "Ab" is not allowed; use a lowercase name');
  // A key named __proto__ is kept as data, never as the prototype.
  const parsed = record(integer(0, 9)).parse(JSON.parse('{"__proto__": 1}'), 'm');
  assert.deepEqual(Object.keys(parsed), ['__proto__']);
  assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
});

test('refine, transform and nullable keep the field in their messages', () => {
  const even = refine(integer(0, 100), (v) => (v % 2 === 0 ? undefined : 'use an even number'));
  refused(() => even.parse(3, 'n'), 'n: 3 is not allowed; use an even number');
  assert.equal(transform(duration(), (ms) => ms / 1000).parse('1500ms', 's'), 1.5);
  assert.equal(nullable(string()).parse(null, 's'), null);
});

test('environment: text forms, defaults for unset variables, empty values refused', () => {
  const shape = { PORT: withDefault(integer(0, 65535), 8080), DEBUG: withDefault(boolean(), false), DRAIN: withDefault(duration(), 5000) };
  assert.deepEqual(readEnv({}, shape), { PORT: 8080, DEBUG: false, DRAIN: 5000 });
  assert.deepEqual(readEnv({ PORT: '0', DEBUG: 'on', DRAIN: '1s' }, shape), { PORT: 0, DEBUG: true, DRAIN: 1000 });
  refused(() => readEnv({ PORT: 'abc' }, shape), 'PORT: "abc" is not allowed; use a whole number from 0 to 65535');
  refused(() => readEnv({ PORT: '1e3' }, shape), 'PORT: "1e3" is not allowed; use a whole number from 0 to 65535');
  refused(() => readEnv({ DEBUG: 'maybe' }, shape), 'DEBUG: "maybe" is not allowed; use true or false');
  refused(() => readEnv({ PORT: '' }, shape), 'PORT: is set but empty; unset it for the default (8080) or use a whole number from 0 to 65535');
  refused(() => readEnv({ DRAIN: '600h' }, shape), 'DRAIN: "600h" is too long; use at most 596h');
});

test('nearestKey: small typos and case slips get a hint, unrelated words do not', () => {
  assert.equal(nearestKey('modles', ['modules', 'limits']), 'modules');
  assert.equal(nearestKey('minreplicas', ['minReplicas', 'maxReplicas']), 'minReplicas');
  assert.equal(nearestKey('zzz', ['modules', 'limits']), undefined);
});

test('deepFreeze freezes nested values and leaves RegExps usable', () => {
  const value = deepFreeze({ a: { b: [1, 2] }, re: /x/g });
  assert.ok(Object.isFrozen(value.a.b));
  assert.equal(value.re.test('x'), true, 'lastIndex still writable');
});

test('JSON Schema: the same rules, for Helm (unknown keys refused, required keys listed)', () => {
  const schema = object({
    name: string({ pattern: /^[a-z]+$/, allowed: 'a name' }),
    replicas: withDefault(integer(2, 100), 3),
    kind: optional(oneOf(['ingress', 'gateway'])),
    timeout: withDefault(duration(), 1000),
    hosts: optional(list(string(), { minItems: 1 })),
  }).jsonSchema();
  assert.deepEqual(schema, {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', pattern: '^[a-z]+$', description: 'use a name' },
      replicas: { type: 'integer', minimum: 2, maximum: 100, description: 'use a whole number from 2 to 100' },
      kind: { type: 'string', enum: ['ingress', 'gateway'], description: 'use ingress or gateway' },
      timeout: { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$', description: 'use a duration such as "250ms", "5s" or "1m30s"' },
      hosts: { type: 'array', items: { type: 'string', description: 'use a string' }, minItems: 1 },
    },
    required: ['name'],
  });
});
