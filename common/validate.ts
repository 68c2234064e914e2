/**
 * One small declarative validator for every config the toolkit reads: the prober's YAML, the
 * fleet config, the bench results file and hello's environment. A schema checks a value found at
 * a dotted path and returns it typed, with defaults applied; every failure is one ConfigError line
 * naming the field, the value and what is allowed (with the nearest key for a typo). The same
 * schema renders itself as JSON Schema, so the Helm chart refuses what the loader refuses.
 *
 * Message shapes (stable: tests and users read them):
 *   `<field>: <value> is not allowed; use <allowed>`
 *   `<field>: unknown key (did you mean <key>?); allowed here: <keys>`
 *   `<field>: is required`
 *   `<field>: must be a map, got a list`
 */
import { formatDuration, parseDuration } from './duration.js';
import { ConfigError, quoteValue } from './errors.js';

/** A JSON Schema (draft 2020-12 subset: what Helm's values.schema.json validation understands). */
export type JsonSchema = { readonly [key: string]: unknown };

/** Checks a value and returns it typed. */
export interface Schema<T> {
  /** What is allowed, as it reads after "use": `a whole number from 0 to 65535`. */
  readonly allowed: string;
  /** Checks `value` found at `path` and returns it typed. @throws ConfigError */
  parse(value: unknown, path: string): T;
  /** Reads the value from text (an environment variable or a command-line option). @throws ConfigError */
  parseText(text: string, path: string): T;
  /** JSON Schema of what {@link Schema.parse} accepts. Patterns are RE2-compatible (Helm checks them in Go). */
  jsonSchema(): JsonSchema;
  /**
   * The raw value as it may be shown (debug pages, logs, `--json`, a config dump): the values of
   * {@link secret} fields become {@link SECRET}, the rest stays as written.
   */
  redact(value: unknown): unknown;
}

/** Parts of a schema for {@link define}; `parseText` defaults to `parse`. */
export interface SchemaSpec<T> {
  readonly allowed: string;
  parse(value: unknown, path: string): T;
  parseText?(text: string, path: string): T;
  jsonSchema(): JsonSchema;
  /** Default: the value as it is (a schema with no secret inside). */
  redact?(value: unknown): unknown;
}

/** Makes a schema from its parts: the escape hatch for a rule the combinators below cannot say. */
export function define<T>(spec: SchemaSpec<T>): Schema<T> {
  const parseText = spec.parseText ?? ((text: string, path: string) => spec.parse(text, path));
  return { allowed: spec.allowed, parse: spec.parse, parseText, jsonSchema: spec.jsonSchema, redact: spec.redact ?? ((value) => value) };
}

/** Throws the house's "not allowed" message. */
export function refuse(path: string, value: unknown, allowed: string): never {
  throw new ConfigError(path || '(top level)', `${quoteValue(value)} is not allowed; use ${allowed}`);
}

/** "a list", "a map", "null", "a number", for type mismatches. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `a ${typeof value}`;
}

/** Joins a dotted field path: `join('a', 'b')` is `a.b`, `join('a', 0)` is `a[0]`. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

// ---- scalars ----------------------------------------------------------------------------------

/** Options of {@link string}. */
export interface StringOptions {
  /** The whole string must match. Give `jsonPattern` when the JavaScript pattern is not RE2. */
  readonly pattern?: RegExp;
  readonly jsonPattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** What is allowed, for messages. Default: "a string" with the length bounds. */
  readonly allowed?: string;
  /** A further rule: return what is wrong (after "is not allowed; "), or undefined. */
  readonly check?: (value: string) => string | undefined;
  /** Accept numbers and booleans as their text (YAML reads `version: 1.0` as a number). Default false. */
  readonly coerce?: boolean;
}

/** A string, optionally matching a pattern and within length bounds. */
export function string(options: StringOptions = {}): Schema<string> {
  const { pattern, minLength = 0, maxLength } = options;
  const allowed = options.allowed ?? (maxLength === undefined ? 'a string' : `a string of at most ${maxLength} characters`);
  return define({
    allowed,
    parse(value, path) {
      let text = value;
      if (options.coerce && (typeof value === 'number' || typeof value === 'boolean')) text = String(value);
      if (typeof text !== 'string') throw new ConfigError(path || '(top level)', `must be a string, got ${typeName(value)}`);
      if (text.length < minLength || (maxLength !== undefined && text.length > maxLength) || (pattern && !pattern.test(text))) {
        refuse(path, text, allowed);
      }
      const problem = options.check?.(text);
      if (problem !== undefined) throw new ConfigError(path, `${quoteValue(text)} is not allowed; ${problem}`);
      return text;
    },
    jsonSchema: () => ({
      type: 'string',
      ...(minLength > 0 ? { minLength } : {}),
      ...(maxLength === undefined ? {} : { maxLength }),
      ...(options.jsonPattern ?? pattern ? { pattern: options.jsonPattern ?? pattern?.source } : {}),
      description: `use ${allowed}`,
    }),
  });
}

/** A whole number in [min, max]; as text, decimal digits only. */
export function integer(min: number, max: number, allowed = `a whole number from ${min} to ${max}`): Schema<number> {
  const parse = (value: unknown, path: string): number => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) refuse(path, value, allowed);
    return value;
  };
  return define({
    allowed,
    parse,
    // As text, the message quotes the text as given ("70000"), as it appeared in the variable.
    parseText: (text, path) => {
      const value = Number(text);
      return /^-?\d{1,16}$/.test(text) && value >= min && value <= max ? value : refuse(path, text, allowed);
    },
    jsonSchema: () => ({ type: 'integer', minimum: min, maximum: max, description: `use ${allowed}` }),
  });
}

/** A finite number in [min, max] (or (min, max] with `exclusiveMin`). */
export function number(min: number, max: number, options: { exclusiveMin?: boolean; allowed?: string } = {}): Schema<number> {
  const allowed = options.allowed ?? `a number ${options.exclusiveMin ? 'above' : 'from'} ${min} ${options.exclusiveMin ? 'up to' : 'to'} ${max}`;
  const parse = (value: unknown, path: string): number => {
    const low = options.exclusiveMin ? (value as number) <= min : (value as number) < min;
    if (typeof value !== 'number' || !Number.isFinite(value) || low || value > max) refuse(path, value, allowed);
    return value;
  };
  return define({
    allowed,
    parse,
    parseText: (text, path) => (/^-?\d+(\.\d+)?$/.test(text) ? parse(Number(text), path) : refuse(path, text, allowed)),
    jsonSchema: () => ({
      type: 'number',
      ...(options.exclusiveMin ? { exclusiveMinimum: min } : { minimum: min }),
      maximum: max,
      description: `use ${allowed}`,
    }),
  });
}

const TRUE_TEXT = ['true', '1', 'yes', 'on'];
const FALSE_TEXT = ['false', '0', 'no', 'off'];

/** true or false; as text also 1/0, yes/no, on/off. */
export function boolean(): Schema<boolean> {
  const allowed = 'true or false';
  return define({
    allowed,
    parse: (value, path) => (typeof value === 'boolean' ? value : refuse(path, value, allowed)),
    parseText(text, path) {
      const lower = text.toLowerCase();
      if (TRUE_TEXT.includes(lower)) return true;
      if (FALSE_TEXT.includes(lower)) return false;
      return refuse(path, text, allowed);
    },
    jsonSchema: () => ({ type: 'boolean' }),
  });
}

/** One of a fixed set of strings. */
export function oneOf<const T extends string>(values: readonly T[], allowed?: string): Schema<T> {
  const phrase = allowed ?? (values.length === 2 ? `${show(values[0])} or ${show(values[1])}` : `one of ${values.map(show).join(', ')}`);
  return define({
    allowed: phrase,
    parse: (value, path) => (typeof value === 'string' && (values as readonly string[]).includes(value) ? (value as T) : refuse(path, value, phrase)),
    jsonSchema: () => ({ type: 'string', enum: [...values], description: `use ${phrase}` }),
  });
}

const show = (value: string | undefined): string => (value === '' ? '""' : String(value));

/**
 * Longest delay Node.js timers hold: a longer one overflows and fires after 1 ms. Every duration
 * that ends up in setTimeout (intervals, timeouts, drain delays) is capped by it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Prometheus-style duration text (`250ms`, `1m30s`), returned in milliseconds, within [min, max]. */
export function duration(options: { min?: number; max?: number; allowZero?: boolean } = {}): Schema<number> {
  const min = options.min ?? 0;
  const max = options.max ?? MAX_TIMER_MS;
  const allowed = `a duration such as "250ms", "5s" or "1m30s"`;
  const parse = (value: unknown, path: string): number => {
    const ms = parseDuration(value as string, path);
    // node's timers and http timeouts take whole milliseconds; 0.0001ms ended in node's own RangeError.
    if (!Number.isInteger(ms)) throw new ConfigError(path, `${quoteValue(value)} is not allowed; use whole milliseconds (at least 1ms)`);
    if (ms === 0 && options.allowZero === false) throw new ConfigError(path, `${quoteValue(value)} is not allowed; use a positive duration`);
    if (ms < min) throw new ConfigError(path, `${quoteValue(value)} is too short; use at least ${formatDuration(min)}`);
    if (ms > max) throw new ConfigError(path, `${quoteValue(value)} is too long; use at most ${formatDuration(max === MAX_TIMER_MS ? 596 * 3_600_000 : max)}`);
    return ms;
  };
  return define({
    allowed,
    parse,
    jsonSchema: () => ({ type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$', description: `use ${allowed}` }),
  });
}

// ---- containers -------------------------------------------------------------------------------

/** A list whose items all match `item`. */
export function list<T>(item: Schema<T>, options: { minItems?: number; maxItems?: number } = {}): Schema<T[]> {
  const { minItems = 0, maxItems } = options;
  const allowed = `a list of ${item.allowed}`;
  return define({
    allowed,
    parse(value, path) {
      if (!Array.isArray(value)) throw new ConfigError(path || '(top level)', `must be a list, got ${typeName(value)}`);
      if (value.length < minItems) throw new ConfigError(path, `has ${value.length} items; use at least ${minItems}`);
      if (maxItems !== undefined && value.length > maxItems) throw new ConfigError(path, `has ${value.length} items; use at most ${maxItems}`);
      return value.map((v, i) => item.parse(v, joinPath(path, i)));
    },
    redact: (value) => (Array.isArray(value) ? value.map((v) => item.redact(v)) : value),
    jsonSchema: () => ({
      type: 'array',
      items: item.jsonSchema(),
      ...(minItems > 0 ? { minItems } : {}),
      ...(maxItems === undefined ? {} : { maxItems }),
    }),
  });
}

/** A mapping of free keys (checked by `key`) to values of one schema, e.g. labels or modules. */
export function record<T>(value: Schema<T>, options: { key?: Schema<string>; maxKeys?: number } = {}): Schema<Record<string, T>> {
  return define({
    allowed: `a map of ${value.allowed}`,
    parse(input, path) {
      const map = expectMap(input, path);
      const keys = Object.keys(map);
      if (options.maxKeys !== undefined && keys.length > options.maxKeys) {
        throw new ConfigError(path, `has ${keys.length} keys; use at most ${options.maxKeys}`);
      }
      const out: Record<string, T> = {};
      for (const key of keys) {
        const field = joinPath(path, key);
        options.key?.parse(key, field);
        // defineProperty: a key named __proto__ would otherwise replace the prototype and vanish.
        Object.defineProperty(out, key, { value: value.parse(map[key], field), enumerable: true, writable: true, configurable: true });
      }
      return out;
    },
    redact: (input) => (isPlainMap(input) ? Object.fromEntries(Object.entries(input).map(([k, v]) => [k, value.redact(v)])) : input),
    jsonSchema: () => ({
      type: 'object',
      additionalProperties: value.jsonSchema(),
      ...(options.key ? { propertyNames: options.key.jsonSchema() } : {}),
    }),
  });
}

/** Checks that `value` is a plain mapping and returns it. */
export function expectMap(value: unknown, path: string): Record<string, unknown> {
  if (!isPlainMap(value)) throw new ConfigError(path || '(top level)', `must be a map, got ${typeName(value)}`);
  return value;
}

const isPlainMap = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Map);

/** A field of an {@link object} schema: its schema, and whether it may be left out. */
export interface Field<T> {
  readonly field: true;
  readonly schema: Schema<unknown>;
  /** Used when the key is absent; `undefined` with `optional` leaves the field out. */
  readonly fallback: () => T;
  readonly optional: boolean;
}

/** A field that may be absent: the result then has `undefined` there. */
export function optional<T>(schema: Schema<T>): Field<T | undefined> {
  return { field: true, schema, fallback: () => undefined, optional: true };
}

/** A field that takes `value` when absent (a function is called for a fresh value each time). */
export function withDefault<T>(schema: Schema<T>, value: T | (() => T)): Field<T> {
  const fallback = typeof value === 'function' ? (value as () => T) : () => value;
  return { field: true, schema, fallback, optional: true };
}

/** The shape of an object: each key is a required schema or a {@link Field}. */
export type Shape = { readonly [key: string]: Schema<unknown> | Field<unknown> };

/** The parsed type of a {@link Shape}. */
export type Infer<S extends Shape> = {
  -readonly [K in keyof S]: S[K] extends Field<infer T> ? T : S[K] extends Schema<infer T> ? T : never;
};

/** Options of {@link object}. */
export interface ObjectOptions<T> {
  /** What is allowed, for messages. Default "a map with keys a, b, c". */
  readonly allowed?: string;
  /** Cross-field rules, run after every field passed: throw a ConfigError naming the field. */
  readonly check?: (value: T, path: string) => void;
}

/**
 * A mapping with known keys: unknown keys are refused (with the nearest key as a hint), required
 * keys must be present, defaults fill the rest.
 */
export function object<S extends Shape>(shape: S, options: ObjectOptions<Infer<S>> = {}): Schema<Infer<S>> {
  const keys = Object.keys(shape);
  const allowed = options.allowed ?? `a map with keys ${keys.join(', ')}`;
  return define({
    allowed,
    parse(input, path) {
      const map = expectMap(input, path);
      for (const key of Object.keys(map)) {
        if (!Object.hasOwn(shape, key)) throw unknownKey(path, key, keys);
      }
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const spec = shape[key] as Schema<unknown> | Field<unknown>;
        const field = joinPath(path, key);
        const present = Object.hasOwn(map, key) && map[key] !== undefined;
        if (isField(spec)) out[key] = present ? spec.schema.parse(map[key], field) : spec.fallback();
        else if (present) out[key] = spec.parse(map[key], field);
        else throw new ConfigError(field, 'is required');
      }
      const value = out as Infer<S>;
      options.check?.(value, path);
      return value;
    },
    redact: (input) =>
      isPlainMap(input) ? Object.fromEntries(Object.entries(input).map(([k, v]) => [k, Object.hasOwn(shape, k) ? specSchema(shape[k] as Schema<unknown> | Field<unknown>).redact(v) : v])) : input,
    jsonSchema: () => ({
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(keys.map((k) => [k, specSchema(shape[k] as Schema<unknown> | Field<unknown>).jsonSchema()])),
      ...(keys.some((k) => !isField(shape[k])) ? { required: keys.filter((k) => !isField(shape[k])) } : {}),
    }),
  });
}

const isField = (spec: unknown): spec is Field<unknown> => (spec as Field<unknown>).field === true;
const specSchema = (spec: Schema<unknown> | Field<unknown>): Schema<unknown> => (isField(spec) ? spec.schema : spec);

/** The "unknown key" error, with the nearest allowed key as a hint. */
export function unknownKey(path: string, key: string, allowed: readonly string[]): ConfigError {
  const hint = nearestKey(key, allowed);
  return new ConfigError(joinPath(path, key), `unknown key${hint ? ` (did you mean ${hint}?)` : ''}; allowed here: ${allowed.join(', ')}`);
}

// ---- combinators ------------------------------------------------------------------------------

/** Adds a rule to a schema: `check` returns what is wrong (after "is not allowed; "), or undefined. */
export function refine<T>(schema: Schema<T>, check: (value: T) => string | undefined): Schema<T> {
  const checked = (value: T, raw: unknown, path: string): T => {
    const problem = check(value);
    if (problem !== undefined) throw new ConfigError(path, `${quoteValue(raw)} is not allowed; ${problem}`);
    return value;
  };
  return define({
    allowed: schema.allowed,
    parse: (value, path) => checked(schema.parse(value, path), value, path),
    parseText: (text, path) => checked(schema.parseText(text, path), text, path),
    jsonSchema: schema.jsonSchema,
    redact: schema.redact,
  });
}

/** Maps a schema's result to another type (a duration to a Date, a string to a URL...). */
export function transform<T, U>(schema: Schema<T>, to: (value: T, path: string) => U): Schema<U> {
  return define({
    allowed: schema.allowed,
    parse: (value, path) => to(schema.parse(value, path), path),
    parseText: (text, path) => to(schema.parseText(text, path), path),
    jsonSchema: schema.jsonSchema,
    redact: schema.redact,
  });
}

/** A value that may also be null (YAML's `~` or an empty value). */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return define({
    allowed: `${schema.allowed}, or null`,
    parse: (value, path) => (value === null ? null : schema.parse(value, path)),
    parseText: schema.parseText,
    jsonSchema: () => ({ anyOf: [schema.jsonSchema(), { type: 'null' }] }),
    redact: (value) => (value === null ? null : schema.redact(value)),
  });
}

/** What a secret's value is shown as. */
export const SECRET = '<secret>';

/**
 * A credential (password, token): checked by `schema`, but never shown. Its errors name the field
 * and what is allowed without repeating the value, and {@link Schema.redact} shows it as
 * {@link SECRET}, so a debug page, a log line or a config dump cannot leak it.
 */
export function secret<T>(schema: Schema<T>): Schema<T> {
  const hidden = <R>(value: unknown, parse: () => R): R => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const message = error.message.slice(error.field.length + 2).replaceAll(quoteValue(value), SECRET);
      throw new ConfigError(error.field, message);
    }
  };
  return define({
    allowed: schema.allowed,
    parse: (value, path) => hidden(value, () => schema.parse(value, path)),
    parseText: (text, path) => hidden(text, () => schema.parseText(text, path)),
    jsonSchema: () => ({ ...schema.jsonSchema(), writeOnly: true }),
    redact: (value) => (value === undefined ? value : SECRET),
  });
}

// ---- environment ------------------------------------------------------------------------------

/** Environment variables as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads environment variables in one pass: each key of `shape` is a variable name, read as text
 * by its schema. An unset variable takes its default; an empty one is refused (an empty value in a
 * manifest is a mistake more often than a wish for the default).
 */
export function readEnv<S extends Shape>(env: Env, shape: S): Infer<S> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(shape)) {
    const text = env[name];
    const field = isField(spec) ? spec : undefined;
    if (text === undefined) {
      if (!field) throw new ConfigError(name, 'is required');
      out[name] = field.fallback();
    } else if (text === '') {
      const fallback = field?.fallback();
      throw new ConfigError(name, `is set but empty; unset it${fallback === undefined ? '' : ` for the default (${quoteValue(fallback)})`} or use ${specSchema(spec).allowed}`);
    } else {
      out[name] = specSchema(spec).parseText(text, name);
    }
  }
  return out as Infer<S>;
}

// ---- helpers shared by every loader -----------------------------------------------------------

/** The allowed key nearest to a typo (edit distance at most 2, or a case-only difference), for "did you mean". */
export function nearestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3; // only small typos get a hint; skip the table
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Freezes a value and everything it holds (configs are read-only once loaded). RegExps stay usable. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof RegExp) && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
