import { ConfigError, LOG_LEVELS, type LogLevel, parseDuration, quoteValue } from '../common/index.js';
import {
  HELLO_DEFAULT_DRAIN_DELAY_MS,
  HELLO_DEFAULT_PORT,
  HELLO_DEFAULT_SHUTDOWN_TIMEOUT_MS,
  HELLO_ENV,
} from './contract.js';

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
  /** Connection cap; 0 means no cap. Default 0. */
  readonly maxConnections: number;
  /** Default `info`. */
  readonly logLevel: LogLevel;
  /** One log line per request when true. Default false. */
  readonly accessLog: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the service configuration from environment variables in one pass: defaults, parse,
 * validate, freeze.
 * @throws ConfigError naming the variable, the value and what is allowed.
 */
export function loadHelloConfig(env: Env = process.env): HelloConfig {
  const config: HelloConfig = {
    port: readInteger(env, HELLO_ENV.port, HELLO_DEFAULT_PORT, 0, 65535),
    host: readHost(env),
    drainDelayMs: readDuration(env, HELLO_ENV.drainDelay, HELLO_DEFAULT_DRAIN_DELAY_MS),
    shutdownTimeoutMs: readDuration(env, HELLO_ENV.shutdownTimeout, HELLO_DEFAULT_SHUTDOWN_TIMEOUT_MS),
    keepAliveTimeoutMs: readDuration(env, HELLO_ENV.keepAliveTimeout, 65_000),
    headersTimeoutMs: readDuration(env, HELLO_ENV.headersTimeout, 10_000),
    requestTimeoutMs: readDuration(env, HELLO_ENV.requestTimeout, 30_000),
    maxHeaderSize: readInteger(env, HELLO_ENV.maxHeaderSize, 16_384, 1024, 1_048_576),
    maxConnections: readInteger(env, HELLO_ENV.maxConnections, 0, 0, 1_000_000),
    logLevel: readLogLevel(env),
    accessLog: readBoolean(env, HELLO_ENV.accessLog, false),
  };
  if (config.drainDelayMs >= config.shutdownTimeoutMs) {
    throw new ConfigError(
      HELLO_ENV.drainDelay,
      `${quoteValue(env[HELLO_ENV.drainDelay] ?? `${config.drainDelayMs}ms`)} must be shorter than ${HELLO_ENV.shutdownTimeout} (${config.shutdownTimeoutMs}ms), or in-flight requests get no time to finish`,
    );
  }
  for (const [name, ms] of [
    [HELLO_ENV.headersTimeout, config.headersTimeoutMs],
    [HELLO_ENV.requestTimeout, config.requestTimeoutMs],
  ] as const) {
    if (ms === 0) {
      throw new ConfigError(name, `${quoteValue(env[name])} disables the timeout, which leaves the server open to slow clients; give a positive duration`);
    }
  }
  // node:http refuses headersTimeout > requestTimeout; say so in our words, at start.
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    throw new ConfigError(
      HELLO_ENV.headersTimeout,
      `${quoteValue(env[HELLO_ENV.headersTimeout] ?? `${config.headersTimeoutMs}ms`)} must not exceed ${HELLO_ENV.requestTimeout} (${config.requestTimeoutMs}ms)`,
    );
  }
  return Object.freeze(config);
}

function present(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `${quoteValue(raw)} is not allowed; use a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

function readDuration(env: Env, name: string, fallbackMs: number): number {
  const raw = present(env, name);
  return raw === undefined ? fallbackMs : parseDuration(raw, name);
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  const value = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, `${quoteValue(raw)} is not allowed; use true or false`);
}

function readLogLevel(env: Env): LogLevel {
  const raw = present(env, HELLO_ENV.logLevel);
  if (raw === undefined) return 'info';
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  throw new ConfigError(HELLO_ENV.logLevel, `${quoteValue(raw)} is not allowed; use one of ${LOG_LEVELS.join(', ')}`);
}

// An IP literal or a DNS name; anything else would fail later inside listen() with a vaguer error.
function readHost(env: Env): string {
  const raw = present(env, HELLO_ENV.host);
  if (raw === undefined) return '0.0.0.0';
  if (/^[A-Za-z0-9.:-]{1,253}$/.test(raw)) return raw;
  throw new ConfigError(HELLO_ENV.host, `${quoteValue(raw)} is not allowed; use an IP address or a host name, e.g. 0.0.0.0, :: or 127.0.0.1`);
}
