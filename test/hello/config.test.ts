import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../common/index.js';
import { loadHelloConfig } from '../../hello/index.js';

test('defaults when the environment is empty', () => {
  const config = loadHelloConfig({});
  assert.equal(config.port, 8080);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.drainDelayMs, 5000);
  assert.equal(config.shutdownTimeoutMs, 20000);
  assert.equal(config.keepAliveTimeoutMs, 65000);
  assert.equal(config.accessLog, false);
  assert.ok(Object.isFrozen(config));
});

test('reads every variable', () => {
  const config = loadHelloConfig({
    PORT: '0',
    HOST: '::1',
    HELLO_DRAIN_DELAY: '250ms',
    HELLO_SHUTDOWN_TIMEOUT: '1m',
    HELLO_KEEP_ALIVE_TIMEOUT: '75s',
    HELLO_HEADERS_TIMEOUT: '2s',
    HELLO_REQUEST_TIMEOUT: '3s',
    HELLO_MAX_HEADER_SIZE: '8192',
    HELLO_MAX_CONNECTIONS: '100',
    HELLO_LOG_LEVEL: 'debug',
    HELLO_ACCESS_LOG: 'on',
  });
  assert.deepEqual(
    { ...config },
    {
      port: 0,
      host: '::1',
      drainDelayMs: 250,
      shutdownTimeoutMs: 60000,
      keepAliveTimeoutMs: 75000,
      headersTimeoutMs: 2000,
      requestTimeoutMs: 3000,
      maxHeaderSize: 8192,
      maxConnections: 100,
      maxQueuedResponses: 32,
      logLevel: 'debug',
      accessLog: true,
    },
  );
});

// Each bad value must name the variable, echo the value and say what is allowed.
const badValues: [Record<string, string>, string][] = [
  [{ PORT: 'abc' }, 'PORT: "abc" is not allowed; use a whole number from 0 to 65535'],
  [{ PORT: '70000' }, 'PORT: "70000" is not allowed; use a whole number from 0 to 65535'],
  [{ PORT: '-1' }, 'PORT: "-1" is not allowed; use a whole number from 0 to 65535'],
  [{ HOST: 'a b' }, 'HOST: "a b" is not allowed; use an IP address or a host name, e.g. 0.0.0.0, :: or 127.0.0.1'],
  [{ HELLO_DRAIN_DELAY: '5' }, 'HELLO_DRAIN_DELAY: "5" is not a duration; use a number with a unit (ms, s, m, h), e.g. "250ms", "5s" or "1m30s"'],
  [{ HELLO_DRAIN_DELAY: '30s' }, 'HELLO_DRAIN_DELAY: "30s" must be shorter than HELLO_SHUTDOWN_TIMEOUT (20000ms), or in-flight requests get no time to finish'],
  [{ HELLO_HEADERS_TIMEOUT: '0s' }, 'HELLO_HEADERS_TIMEOUT: "0s" disables the timeout, which leaves the server open to slow clients; give a positive duration'],
  [{ HELLO_REQUEST_TIMEOUT: '0ms' }, 'HELLO_REQUEST_TIMEOUT: "0ms" disables the timeout, which leaves the server open to slow clients; give a positive duration'],
  [{ HELLO_HEADERS_TIMEOUT: '40s' }, 'HELLO_HEADERS_TIMEOUT: "40s" must not exceed HELLO_REQUEST_TIMEOUT (30000ms)'],
  // Only the request timeout set, below the default headers timeout: the message shows that default.
  [{ HELLO_REQUEST_TIMEOUT: '5s' }, 'HELLO_HEADERS_TIMEOUT: "10000ms" must not exceed HELLO_REQUEST_TIMEOUT (5000ms)'],
  [{ HELLO_MAX_HEADER_SIZE: '10' }, 'HELLO_MAX_HEADER_SIZE: "10" is not allowed; use a whole number from 1024 to 1048576'],
  [{ HELLO_LOG_LEVEL: 'loud' }, 'HELLO_LOG_LEVEL: "loud" is not allowed; use one of debug, info, warn, error'],
  [{ HELLO_ACCESS_LOG: 'maybe' }, 'HELLO_ACCESS_LOG: "maybe" is not allowed; use true or false'],
  // Hardening (issue 12): each of these was accepted, or ended in node's own error, on e0544bf.
  [{ HELLO_KEEP_ALIVE_TIMEOUT: '0.0001ms' }, 'HELLO_KEEP_ALIVE_TIMEOUT: "0.0001ms" is not allowed; use whole milliseconds (at least 1ms)'],
  [{ HELLO_HEADERS_TIMEOUT: '0.0001ms' }, 'HELLO_HEADERS_TIMEOUT: "0.0001ms" is not allowed; use whole milliseconds (at least 1ms)'],
  [{ HELLO_KEEP_ALIVE_TIMEOUT: '0s' }, 'HELLO_KEEP_ALIVE_TIMEOUT: "0s" disables the timeout, which leaves the server open to slow clients; give a positive duration'],
  [{ HOST: '999.999.999.999' }, 'HOST: "999.999.999.999" is not allowed; use an IP address or a host name, e.g. 0.0.0.0, :: or 127.0.0.1'],
  [{ HOST: `${'a'.repeat(64)}.example.com` }, `HOST: "${'a'.repeat(64)}.example.com" is not allowed; use an IP address or a host name, e.g. 0.0.0.0, :: or 127.0.0.1`],
  [{ PORT: '' }, 'PORT: is set but empty; unset it for the default (8080) or use a whole number from 0 to 65535'],
  [{ HELLO_LOG_LEVEL: '' }, 'HELLO_LOG_LEVEL: is set but empty; unset it for the default ("info") or use one of debug, info, warn, error'],
  // Past 2^31-1 ms node's timers fire after 1 ms: a 600h drain delay drained for 2 ms.
  [{ HELLO_DRAIN_DELAY: '600h', HELLO_SHUTDOWN_TIMEOUT: '700h' }, 'HELLO_DRAIN_DELAY: "600h" is too long; use at most 596h'],
  [{ HELLO_MAX_CONNECTIONS: '1e3' }, 'HELLO_MAX_CONNECTIONS: "1e3" is not allowed; use a whole number from 0 to 1000000'],
];

for (const [env, message] of badValues) {
  test(`rejects ${JSON.stringify(env)}`, () => {
    assert.throws(
      () => loadHelloConfig(env),
      (error: unknown) => error instanceof ConfigError && error.code === 'HELLO_ERR_CONFIG' && error.message === message,
    );
  });
}
