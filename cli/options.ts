import { InvalidArgumentError, Option } from 'commander';
import { formatDuration, parseDuration } from '../common/index.js';

/** A commander argument parser for a whole number in [min, max], with a message naming the flag. */
export function parseIntegerOption(flag: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`${flag} ${JSON.stringify(value)} is not allowed; use a whole number from ${min} to ${max}.`);
    }
    return Number(value);
  };
}

/** A commander argument parser for a positive number (fractions allowed). */
export function parsePositiveNumberOption(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`${flag} ${JSON.stringify(value)} is not allowed; use a positive number.`);
    }
    return n;
  };
}

/** A commander parser from a library parser whose errors (ConfigError) name the flag. */
export function parseWith<T>(parse: (value: string) => T): (value: string) => T {
  return (value: string) => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

/** A commander parser for a duration flag such as `5m` or `90s`, in milliseconds. */
export function parseDurationOption(flag: string): (value: string) => number {
  return parseWith((value) => parseDuration(value, flag));
}

/** A duration option (`--timeout <duration>`) whose default `--help` shows as a duration (`5m`), not milliseconds. */
export function durationOption(flags: string, description: string, defaultMs: number): Option {
  const flag = flags.split(' ')[0] ?? flags;
  return new Option(flags, description).argParser(parseDurationOption(flag)).default(defaultMs, formatDuration(defaultMs));
}
