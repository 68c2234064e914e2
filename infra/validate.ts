/**
 * Small helpers for strict, one-pass config validation: every failure is a ConfigError naming the
 * field (dotted path), the value given and what is allowed. Unknown keys are errors.
 */
import { ConfigError, quoteValue } from '../common/index.js';

/** A plain JSON-like object (what YAML parsing gives for a mapping). */
export type Plain = Record<string, unknown>;

/** True for a non-null, non-array object. */
export function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks that `value` is a mapping with only `allowed` keys; returns it typed. */
export function expectObject(value: unknown, field: string, allowed: readonly string[]): Plain {
  if (!isPlain(value)) throw new ConfigError(field, `${quoteValue(value)} is not allowed; expected a mapping with keys ${allowed.join(', ')}`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(`${join(field, key)}`, `unknown key; allowed keys here: ${allowed.join(', ')}`);
    }
  }
  return value;
}

/** Joins a dotted field path. */
export function join(field: string, key: string | number): string {
  if (typeof key === 'number') return `${field}[${key}]`;
  return field ? `${field}.${key}` : key;
}

/** A string matching `pattern` (described for the message as `allowed`). */
export function expectString(value: unknown, field: string, pattern?: RegExp, allowed?: string): string {
  if (typeof value !== 'string' || (pattern !== undefined && !pattern.test(value))) {
    throw new ConfigError(field, `${quoteValue(value)} is not allowed; expected ${allowed ?? 'a string'}`);
  }
  return value;
}

/** One of a fixed set of strings. */
export function expectEnum<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(field, `${quoteValue(value)} is not allowed; expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return value as T;
}

/** A list (its items are checked by the caller). */
export function expectList(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new ConfigError(field, `${quoteValue(value)} is not allowed; expected a list`);
  return value;
}

/** A boolean. */
export function expectBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(field, `${quoteValue(value)} is not allowed; expected true or false`);
  return value;
}

/** A whole number in [min, max]. */
export function expectInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, `${quoteValue(value)} is not allowed; expected a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A number in the open/closed interval (min, max]. */
export function expectNumber(value: unknown, field: string, min: number, max: number, allowed: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= min || value > max) {
    throw new ConfigError(field, `${quoteValue(value)} is not allowed; expected ${allowed}`);
  }
  return value;
}

/** A mapping of string to string (labels, annotations), keys checked against `keyPattern`. */
export function expectStringMap(value: unknown, field: string): Readonly<Record<string, string>> {
  if (!isPlain(value)) throw new ConfigError(field, `${quoteValue(value)} is not allowed; expected a mapping of strings to strings`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!LABEL_KEY.test(key)) throw new ConfigError(join(field, key), `key ${quoteValue(key)} is not allowed; expected a Kubernetes label/annotation key ([prefix/]name)`);
    out[key] = expectString(v, join(field, key), undefined, 'a string');
  }
  return Object.freeze(out);
}

/** DNS-1123 label: lowercase alphanumerics and '-', at most 63, starting and ending alphanumeric. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A host name (DNS-1123 subdomain, at least two labels, no wildcard). */
export const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
/** A label or annotation key. */
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
