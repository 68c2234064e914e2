/**
 * Regular expressions of the config, compiled once at load with the prober's RE2 engine
 * (prober/regexp.ts: Go's syntax, as the exporter reads it, matched in linear time).
 */
import { ConfigError, describeError, quoteValue } from '../../common/index.js';
import { compileRegexp, type ProbeRegexp } from '../regexp.js';

/**
 * Compiles a regular expression of the config (`fail_if_*_regexp`, `expect`, `regexp`).
 * @throws ConfigError naming `path` when it does not compile (with Go's own message).
 */
export function readRegexp(source: string, path: string): ProbeRegexp {
  try {
    return compileRegexp(source);
  } catch (error) {
    throw new ConfigError(path, `${quoteValue(source)} is not a valid regular expression: ${describeError(error)}`);
  }
}
