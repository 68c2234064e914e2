// The error catalogue: one code per class, every code with an exit status, and the JSON form
// `--json` prints on failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as common from '../../common/index.js';
import { ERROR_CATALOGUE, EXIT_CODES, HelloEdgeError, errorToJson } from '../../common/index.js';

// Every exported error class, constructed with sample arguments.
const samples: HelloEdgeError[] = [
  new common.UsageError("unknown option '--nope'"),
  new common.ConfigError('PORT', '"x" is not allowed'),
  new common.InvalidArgumentError('bad'),
  new common.NotFoundError('gone'),
  new common.ToolMissingError('kubectl', 'install it'),
  new common.ExternalError('failed'),
  new common.ClusterUnreachableError('no cluster'),
  new common.KindMissingError('no CRD'),
  new common.ForbiddenError('no'),
  new common.RolloutFailedError('not ready'),
  new common.TimeoutError('late'),
  new common.AbortedError('stopped'),
  new common.ProbeFailedError('http://x/'),
  new common.ProbeRequestError(400, 'Target parameter is missing'),
  new common.UnknownModuleError('x', ['http_2xx']),
  new common.NoRecommendationError('nothing'),
  new common.AddressInUseError('taken'),
];

test('one code per class, and every code of the catalogue has its class', () => {
  const classes = Object.values(common).filter((v): v is typeof HelloEdgeError => typeof v === 'function' && v.prototype instanceof HelloEdgeError);
  assert.equal(samples.length, classes.length, 'a sample for every exported error class');
  const codeOf = new Map<string, string>();
  for (const error of samples) {
    const other = codeOf.get(error.code);
    assert.equal(other, undefined, `${error.name} and ${other} share ${error.code}`);
    codeOf.set(error.code, error.name);
  }
  assert.deepEqual([...codeOf.keys()].sort(), Object.keys(ERROR_CATALOGUE).sort());
});

test('exit statuses come from the catalogue; usage errors are 2, distinct from a failed check (1)', () => {
  for (const error of samples) assert.equal(error.exitCode, EXIT_CODES[ERROR_CATALOGUE[error.code].exit], error.name);
  assert.equal(new common.ConfigError('f', 'm').exitCode, 2);
  assert.equal(new common.ProbeFailedError('t').exitCode, 1);
  assert.equal(new common.AbortedError('a').exitCode, 130);
  assert.equal(new Set(Object.values(EXIT_CODES)).size, Object.keys(EXIT_CODES).length, 'exit statuses are distinct');
});

test('errorToJson: code, message, exit status (and field for config errors); unknown errors are internal', () => {
  assert.deepEqual(errorToJson(new common.ConfigError('PORT', '"x" is not allowed')), {
    ok: false,
    error: { code: 'HELLO_ERR_CONFIG', message: 'PORT: "x" is not allowed', exitCode: 2, field: 'PORT' },
  });
  assert.deepEqual(errorToJson(new TypeError('boom\nstack')), { ok: false, error: { code: 'HELLO_ERR_INTERNAL', message: 'boom', exitCode: 70 } });
});

test('quoteValue survives cycles and cuts long values', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(common.quoteValue(cyclic), '[object Object]');
  assert.equal(common.quoteValue('x'.repeat(100)).length, 80);
});
