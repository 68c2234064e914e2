/**
 * Regular expressions of the config, compiled once at load. One small function, so the engine
 * (JavaScript's, with the RE2 spellings the exporter's configs use rewritten) can be swapped.
 */
import { ConfigError, describeError, quoteValue } from '../../common/index.js';

/**
 * Compiles a regular expression of the config (`fail_if_*_regexp`, `expect`, `regexp`).
 * @throws ConfigError naming `path` when it does not compile.
 */
export function readRegexp(source: string, path: string): RegExp {
  try {
    return new RegExp(fromRe2(source));
  } catch (error) {
    throw new ConfigError(path, `${quoteValue(source)} is not a valid regular expression: ${describeError(error)}`);
  }
}

/**
 * Rewrites the RE2 spellings (the exporter's engine) that JavaScript refuses: named groups
 * `(?P<name>...)` become `(?<name>...)`, and a quantified anchor (`^+OK` in the exporter's own
 * example config) becomes `(?:^)+`.
 */
export function fromRe2(source: string): string {
  return source.replaceAll('(?P<', '(?<').replace(/(?<![\\[])([\^$])(?=[*+?]|\{\d)/g, '(?:$1)');
}
