import { ConfigError, quoteValue } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

// Prometheus-style durations as the blackbox exporter's config accepts them: one or more
// number+unit groups ("1m30s", "250ms", "5s", "1.5s"). A bare number is rejected on purpose:
// "5" is ambiguous between seconds and milliseconds, and guessing is how outages start.
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/**
 * Parses a duration such as `250ms`, `5s`, `1m30s` or `1.5h` into milliseconds.
 * @throws ConfigError naming `field` when the text is not a duration.
 */
export function parseDuration(text: string, field: string): number {
  if (typeof text !== 'string' || !DURATION.test(text)) {
    throw new ConfigError(
      field,
      `${quoteValue(text)} is not a duration; use a number with a unit (ms, s, m, h), e.g. "250ms", "5s" or "1m30s"`,
    );
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * (UNIT_MS[unit as string] ?? 0);
  }
  return total;
}

/** Renders milliseconds as the shortest exact duration text (`1500` -> `1.5s`). */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}
