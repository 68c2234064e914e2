/**
 * Credentials in text the prober shows (log lines, the debug page): the user information of a
 * URL (`http://user:password@host/`), also percent-encoded as in a `/probe?target=` query. Config
 * fields are redacted by their schema (`secret()` in config/load.ts); this covers the URLs that
 * come from outside the config: `/probe` targets and redirect locations.
 */
import { SECRET, type LogFields } from '../common/index.js';

// scheme://userinfo@ with the separators raw or percent-encoded (%3A%2F%2F, %40).
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*(?::|%3A)(?:\/\/|%2F%2F))[^\s/?#@&"]*?(?:@|%40)/gi;

/** `text` with the user information of every URL in it replaced by `<secret>`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, `$1${SECRET}@`);
}

/** Log fields with URL credentials redacted in every string value. */
export function redactLogFields(fields: LogFields): LogFields {
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value !== 'string') continue;
    const redacted = redactUrlCredentials(value);
    if (redacted !== value) (out ??= { ...fields })[key] = redacted;
  }
  return (out as LogFields | undefined) ?? fields;
}
