import { isIP } from 'node:net';
import {
  ConfigError,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_QUEUED_RESPONSES,
  LOG_LEVELS,
  type Env,
  type LogLevel,
  boolean,
  duration,
  integer,
  oneOf,
  quoteValue,
  readEnv,
  string,
  withDefault,
} from '../common/index.js';
import { HELLO_DEFAULTS, HELLO_ENV } from './contract.js';

/** The validated, frozen configuration of the hello service. All durations in milliseconds. */
export interface HelloConfig {
  /** TCP port; 0 picks a free one (tests). Default 8080 (`PORT`). */
  readonly port: number;
  /** Address to bind. Default `0.0.0.0` (`HOST`). */
  readonly host: string;
  /** After SIGTERM, keep serving (readiness 503) this long so endpoints can deprogram the pod. Default 5s. */
  readonly drainDelayMs: number;
  /** From the signal to a forced exit; the drain and in-flight requests must fit in it. Default 20s. */
  readonly shutdownTimeoutMs: number;
  /** Idle keep-alive connections close after this; longer than a typical LB idle timeout (60s). Default 65s. */
  readonly keepAliveTimeoutMs: number;
  /** A client must send complete request headers within this (cuts slowloris). Default 10s. */
  readonly headersTimeoutMs: number;
  /** A whole request must arrive within this. Default 30s. */
  readonly requestTimeoutMs: number;
  /** Largest request header block in bytes; more gets 431. Default 16384. */
  readonly maxHeaderSize: number;
  /** Connection cap; 0 means no cap. Default {@link DEFAULT_MAX_CONNECTIONS}. */
  readonly maxConnections: number;
  /** Pipelined requests one connection may have waiting for an answer before it is dropped. Default {@link DEFAULT_MAX_QUEUED_RESPONSES}. */
  readonly maxQueuedResponses: number;
  /** Default `info`. */
  readonly logLevel: LogLevel;
  /** One log line per request when true. Default false. */
  readonly accessLog: boolean;
}

// A name (DNS-1123 labels; the last one not all digits, so "999.999.999.999" is not a name) or
// an IP literal; anything else would fail later inside listen() with a vaguer error.
const HOST_NAME = /^(?=.{1,253}$)([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?\.)*(?!\d+$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;
const host = string({
  allowed: 'an IP address or a host name, e.g. 0.0.0.0, :: or 127.0.0.1',
  check: (value) => (isIP(value) !== 0 || HOST_NAME.test(value) ? undefined : 'use an IP address or a host name, e.g. 0.0.0.0, :: or 127.0.0.1'),
});

// One schema per variable: its text form, bounds and default, declared once.
const ENV_SHAPE = {
  [HELLO_ENV.port]: withDefault(integer(0, 65535), HELLO_DEFAULTS.port),
  [HELLO_ENV.host]: withDefault(host, HELLO_DEFAULTS.host),
  [HELLO_ENV.drainDelay]: withDefault(duration(), HELLO_DEFAULTS.drainDelayMs),
  [HELLO_ENV.shutdownTimeout]: withDefault(duration(), HELLO_DEFAULTS.shutdownTimeoutMs),
  [HELLO_ENV.keepAliveTimeout]: withDefault(duration(), HELLO_DEFAULTS.keepAliveTimeoutMs),
  [HELLO_ENV.headersTimeout]: withDefault(duration(), HELLO_DEFAULTS.headersTimeoutMs),
  [HELLO_ENV.requestTimeout]: withDefault(duration(), HELLO_DEFAULTS.requestTimeoutMs),
  [HELLO_ENV.maxHeaderSize]: withDefault(integer(1024, 1_048_576), HELLO_DEFAULTS.maxHeaderSize),
  [HELLO_ENV.maxConnections]: withDefault(integer(0, 1_000_000), DEFAULT_MAX_CONNECTIONS),
  [HELLO_ENV.maxQueuedResponses]: withDefault(integer(1, 10_000), DEFAULT_MAX_QUEUED_RESPONSES),
  [HELLO_ENV.logLevel]: withDefault(oneOf(LOG_LEVELS), 'info'),
  [HELLO_ENV.accessLog]: withDefault(boolean(), false),
} as const;

/**
 * Reads the service configuration from environment variables in one pass: defaults, parse,
 * validate, freeze. An empty variable is refused (unset it for the default).
 * @throws ConfigError naming the variable, the value and what is allowed.
 */
export function loadHelloConfig(env: Env = process.env): HelloConfig {
  const read = readEnv(env, ENV_SHAPE);
  const config: HelloConfig = {
    port: read[HELLO_ENV.port],
    host: read[HELLO_ENV.host],
    drainDelayMs: read[HELLO_ENV.drainDelay],
    shutdownTimeoutMs: read[HELLO_ENV.shutdownTimeout],
    keepAliveTimeoutMs: read[HELLO_ENV.keepAliveTimeout],
    headersTimeoutMs: read[HELLO_ENV.headersTimeout],
    requestTimeoutMs: read[HELLO_ENV.requestTimeout],
    maxHeaderSize: read[HELLO_ENV.maxHeaderSize],
    maxConnections: read[HELLO_ENV.maxConnections],
    maxQueuedResponses: read[HELLO_ENV.maxQueuedResponses],
    logLevel: read[HELLO_ENV.logLevel],
    accessLog: read[HELLO_ENV.accessLog],
  };
  checkTimings(config, env);
  return Object.freeze(config);
}

// Rules between variables, and zero timeouts (node reads 0 as "no timeout").
function checkTimings(config: HelloConfig, env: Env): void {
  const shown = (name: string, ms: number): string => quoteValue(env[name] ?? `${ms}ms`);
  if (config.drainDelayMs >= config.shutdownTimeoutMs) {
    throw new ConfigError(
      HELLO_ENV.drainDelay,
      `${shown(HELLO_ENV.drainDelay, config.drainDelayMs)} must be shorter than ${HELLO_ENV.shutdownTimeout} (${config.shutdownTimeoutMs}ms), or in-flight requests get no time to finish`,
    );
  }
  for (const [name, ms] of [
    [HELLO_ENV.headersTimeout, config.headersTimeoutMs],
    [HELLO_ENV.requestTimeout, config.requestTimeoutMs],
    [HELLO_ENV.keepAliveTimeout, config.keepAliveTimeoutMs],
  ] as const) {
    if (ms === 0) {
      throw new ConfigError(name, `${quoteValue(env[name])} disables the timeout, which leaves the server open to slow clients; give a positive duration`);
    }
  }
  // node:http refuses headersTimeout > requestTimeout; say so in our words, at start.
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    throw new ConfigError(
      HELLO_ENV.headersTimeout,
      `${shown(HELLO_ENV.headersTimeout, config.headersTimeoutMs)} must not exceed ${HELLO_ENV.requestTimeout} (${config.requestTimeoutMs}ms)`,
    );
  }
}
