// secret(): a credential is checked like any value, but neither its errors nor a redacted dump
// of the config show it; redact() walks objects, lists, records and the combinators.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, SECRET, list, nullable, object, optional, record, refine, secret, string, transform } from '../../common/index.js';

test('secret: errors name the field and what is allowed, never the value', () => {
  const token = secret(refine(string(), (v) => (/[\r\n]/.test(v) ? 'a token may not contain CR or LF' : undefined)));
  assert.equal(token.parse('abc', 'auth.token'), 'abc');
  assert.throws(
    () => token.parse('hunter2\r\n', 'auth.token'),
    (error: unknown) => error instanceof ConfigError && error.field === 'auth.token' && error.message === 'auth.token: <secret> is not allowed; a token may not contain CR or LF',
  );
  assert.throws(() => token.parse(['hunter2'], 'auth.token'), { message: 'auth.token: must be a string, got a list' });
  assert.deepEqual(token.jsonSchema(), { type: 'string', description: 'use a string', writeOnly: true });
});

test('redact: secrets inside objects, lists, records and combinators become <secret>, the rest stays as written', () => {
  const auth = object({ username: string(), password: optional(secret(string())) });
  const schema = object({
    name: string(),
    auth: optional(auth),
    tokens: optional(list(secret(string()))),
    byHost: optional(record(transform(auth, (a) => a.username))),
    maybe: optional(nullable(secret(string()))),
  });
  const raw = { name: 'x', auth: { username: 'u', password: 'p' }, tokens: ['t1', 't2'], byHost: { a: { username: 'v', password: 'q' } }, maybe: null, extra: 1 };
  assert.deepEqual(schema.redact(raw), {
    name: 'x',
    auth: { username: 'u', password: SECRET },
    tokens: [SECRET, SECRET],
    byHost: { a: { username: 'v', password: SECRET } },
    maybe: null,
    extra: 1,
  });
  assert.deepEqual(raw.auth, { username: 'u', password: 'p' }, 'the input is left alone');
  assert.deepEqual(auth.redact({ username: 'u' }), { username: 'u' }, 'an absent secret stays absent');
});
