/**
 * Small schemas the prober's config sections share: text, switches, header maps, IP families,
 * regular expressions and query/response steps, each refusing in the prober's own words.
 */
import { ConfigError, SECRET, boolean, define, object, optional, quoteValue, record, refuse, string, transform, type Schema } from '../../common/index.js';
import { readRegexp } from './regexp.js';
import type { ProbeRegexp } from '../regexp.js';
import type { IpProtocol } from './types.js';

/** An HTTP token (a method or a header name). */
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Text; numbers and booleans are taken as their text (YAML reads `send: 1.0` as a number). */
export const text = string({ coerce: true });
/** true or false. */
export const flag = boolean();

/** `schema` plus a rule; `problem` returns the whole message after the field name, or undefined. */
export function rule<T>(schema: Schema<T>, problem: (value: T) => string | undefined): Schema<T> {
  return define({
    allowed: schema.allowed,
    parse(value, path) {
      const parsed = schema.parse(value, path);
      const message = problem(parsed);
      if (message !== undefined) throw new ConfigError(path, message);
      return parsed;
    },
    jsonSchema: schema.jsonSchema,
    redact: schema.redact,
  });
}

// Header names that carry credentials: their values are shown as <secret>.
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|token|secret|passw|api-?key/i;

/** Header name -> value; values of credential headers are redacted. */
const headerValues = record(
  rule(text, (v) => (/[\r\n\0]/.test(v) ? 'a header value may not contain CR, LF or NUL' : undefined)),
  { key: rule(string(), (k) => (TOKEN.test(k) ? undefined : `${quoteValue(k)} is not a valid header name`)) },
);
export const headers: Schema<Record<string, string>> = define({
  ...headerValues,
  redact: (value) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, CREDENTIAL_HEADER.test(k) ? SECRET : v])) : value,
});

/** The exporter accepts "ip4"/"ip6" (and "tcp4"/"tcp6" spellings in old configs), in any case. */
export const ipProtocol: Schema<IpProtocol> = define({
  allowed: 'ip4 or ip6',
  parse(value, path) {
    const lower = typeof value === 'string' ? value.toLowerCase() : value;
    if (lower === 'ip4' || lower === 'tcp4') return 'ip4';
    if (lower === 'ip6' || lower === 'tcp6') return 'ip6';
    return refuse(path, value, 'ip4 or ip6');
  },
  jsonSchema: () => ({ type: 'string', pattern: '^(?i)(ip|tcp)[46]$', description: 'use ip4 or ip6' }),
});

/** A regular expression, compiled at load. */
export const regexp: Schema<ProbeRegexp> = transform(text, readRegexp);

/** One step of `query_response` (tcp, and the exporter's unix and websocket probers). */
export const queryResponseStep = transform(
  object(
    { expect: optional(regexp), send: optional(text), starttls: optional(flag) },
    {
      check(s, path) {
        if (s.expect === undefined && s.send === undefined && s.starttls === undefined) throw new ConfigError(path, 'is empty; give expect, send or starttls');
      },
    },
  ),
  (s) => ({ expect: s.expect, send: s.send, starttls: s.starttls ?? false }),
);
