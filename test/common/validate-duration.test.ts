// duration(): node's timers take whole milliseconds, so a fraction of one is refused, not rounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { duration } from '../../common/index.js';

test('duration: fractions of a millisecond are refused naming the field', () => {
  assert.throws(() => duration().parse('0.0001ms', 'modules.a.timeout'), { message: 'modules.a.timeout: "0.0001ms" is not allowed; use whole milliseconds (at least 1ms)' });
  assert.equal(duration().parse('1.5s', 'd'), 1500);
});
