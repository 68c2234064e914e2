/**
 * The prober's config: the exporter's `blackbox.yml` module format (the `http` and `tcp`
 * probers) plus our `target_policy`, `limits` and `targets`, declared once as schemas of the
 * shared validator (common/validate.ts). One pass: defaults, parse, validate, freeze. Files named
 * in the config (`ca_file`, `body_file`, ...) are read after their section's own rules passed.
 */
import { dirname, resolve } from 'node:path';
import { checkShape, parseConfigYaml, readConfigText } from '../../common/config-file.js';
import {
  ConfigError,
  deepFreeze,
  define,
  duration,
  integer,
  joinPath,
  list,
  object,
  oneOf,
  optional,
  quoteValue,
  record,
  secret,
  transform,
  withDefault,
  type Field,
  type Schema,
} from '../../common/index.js';
import { PROBER_SCHEDULED_LABELS } from '../contract.js';
import { flag, headers, ipProtocol, queryResponseStep, regexp, rule, text, TOKEN } from './fields.js';
import { readCertificates, readKeyPair, readOptionalFile, type LoadContext } from './files.js';
import { compilePolicy, parsePattern } from './target-policy.js';
import { UNIMPLEMENTED_SECTIONS } from './unimplemented.js';
import {
  PROBER_NAMES,
  TLS_VERSIONS,
  UNIMPLEMENTED_PROBER_NAMES,
  type HttpProbeConfig,
  type Limits,
  type Module,
  type ProberConfig,
  type ProberName,
  type ScheduledTarget,
  type TargetPolicy,
  type TcpProbeConfig,
  type TlsConfig,
  type UnimplementedProberName,
} from './types.js';

/** Defaults of `tls_config` (the exporter's). */
export const DEFAULT_TLS_CONFIG: TlsConfig = Object.freeze({
  insecureSkipVerify: false,
  ca: undefined,
  cert: undefined,
  key: undefined,
  serverName: undefined,
  minVersion: undefined,
  maxVersion: undefined,
});

/** Defaults of `http:` (the exporter's `DefaultHTTPProbe`). */
export const DEFAULT_HTTP_PROBE: HttpProbeConfig = Object.freeze({
  validStatusCodes: [],
  validHttpVersions: [],
  method: 'GET',
  headers: {},
  body: undefined,
  followRedirects: true,
  failIfSsl: false,
  failIfNotSsl: false,
  failIfBodyMatchesRegexp: [],
  failIfBodyNotMatchesRegexp: [],
  failIfHeaderMatches: [],
  failIfHeaderNotMatches: [],
  tlsConfig: DEFAULT_TLS_CONFIG,
  preferredIpProtocol: 'ip6',
  ipProtocolFallback: true,
  basicAuth: undefined,
  bearerToken: undefined,
  compression: '',
  bodySizeLimit: 0,
});

/** Defaults of `tcp:` (the exporter's `DefaultTCPProbe`). */
export const DEFAULT_TCP_PROBE: TcpProbeConfig = Object.freeze({
  queryResponse: [],
  tls: false,
  tlsConfig: DEFAULT_TLS_CONFIG,
  preferredIpProtocol: 'ip6',
  ipProtocolFallback: true,
});

/** Defaults of `target_policy:`: every target, but never link-local or metadata addresses. */
export const DEFAULT_TARGET_POLICY: TargetPolicy = Object.freeze({ allow: [], deny: [], blockLinkLocal: true });

/** Defaults of `limits:`. */
export const DEFAULT_LIMITS: Limits = Object.freeze({ maxConcurrentProbes: 100, retryAfterSeconds: 1 });

/** Interval of a scheduled target without one. */
export const DEFAULT_TARGET_INTERVAL_MS = 15_000;

/** Shortest interval a scheduled target may have. */
export const MIN_TARGET_INTERVAL_MS = 1_000;

const COMPRESSIONS = ['', 'gzip', 'br', 'deflate', 'identity'] as const;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const PROBER_HELP = `use http or tcp (${UNIMPLEMENTED_PROBER_NAMES.join(', ')} modules load but cannot be probed here)`;

/**
 * Reads and validates a config file in one pass: defaults, parse, validate, freeze.
 * @throws ConfigError naming the key path, the value and what is allowed; NotFoundError when
 * the file cannot be read.
 */
export function loadProberConfig(file: string): ProberConfig {
  return parseProberConfig(readConfigText(file), { baseDir: dirname(resolve(file)) });
}

/**
 * Parses config text (YAML). Relative file names resolve from `options.baseDir` (default: the
 * working directory).
 * @throws ConfigError naming the key path, the value and what is allowed.
 */
export function parseProberConfig(text: string, options: { baseDir?: string } = {}): ProberConfig {
  return parseRaw(parseConfigYaml(text), { baseDir: options.baseDir ?? process.cwd() });
}

/**
 * Builds a config from plain data (already parsed YAML or an object literal), with the same
 * checks as {@link parseProberConfig}.
 */
export function buildConfig(raw: unknown, ctx: LoadContext = { baseDir: process.cwd() }): ProberConfig {
  checkShape(raw);
  return parseRaw(raw, ctx);
}

function parseRaw(raw: unknown, ctx: LoadContext): ProberConfig {
  // An empty file would load as a config without modules: a reload would then drop every one.
  if (raw === undefined || raw === null) throw new ConfigError('(top level)', 'the config is empty; give at least one module under modules');
  return proberConfigSchema(ctx).parse(raw, '');
}

/**
 * The config used when none is given: the modules of the exporter's example `blackbox.yml`
 * (`http_2xx`, `http_post_2xx`, `tcp_connect`), with the default target policy and limits.
 */
export function defaultProberConfig(): ProberConfig {
  return buildConfig({
    modules: {
      http_2xx: { prober: 'http' },
      http_post_2xx: { prober: 'http', http: { method: 'POST' } },
      tcp_connect: { prober: 'tcp' },
    },
  });
}

// ---- the whole file -----------------------------------------------------------------------------

function proberConfigSchema(ctx: LoadContext): Schema<ProberConfig> {
  const top = object(
    {
      modules: rule(record(moduleSchema(ctx)), (m) => (Object.keys(m).length === 0 ? 'has no module; give at least one (e.g. http_2xx: {prober: http})' : undefined)),
      target_policy: withDefault(policySchema, DEFAULT_TARGET_POLICY),
      limits: withDefault(limitsSchema, DEFAULT_LIMITS),
      targets: withDefault(list(targetSchema), () => []),
    },
    { check: (config) => checkTargets(config.targets, config.modules) },
  );
  return transform(top, (config) => {
    const policy = compilePolicy(config.target_policy);
    const modules: Record<string, Module> = {};
    for (const [name, parts] of Object.entries(config.modules)) {
      // defineProperty, not assignment: a module named __proto__ would otherwise replace the prototype and vanish.
      Object.defineProperty(modules, name, { value: { name, ...parts, policy }, enumerable: true, writable: true, configurable: true });
    }
    return deepFreeze({ modules, targetPolicy: config.target_policy, limits: config.limits, targets: config.targets });
  });
}

// ---- small schemas with the prober's own words ----------------------------------------------------

const statusCode: Schema<number> = define({
  allowed: 'a whole number from 100 to 599',
  parse(value, path) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 100 || value > 599) {
      throw new ConfigError(path, `${quoteValue(value)} is not an HTTP status code; use a whole number from 100 to 599`);
    }
    return value;
  },
  jsonSchema: () => integer(100, 599).jsonSchema(),
});

const method = rule(text, (m) => (TOKEN.test(m) ? undefined : `${quoteValue(m)} is not an HTTP method; use e.g. GET, HEAD or POST`));

const SIZE_UNITS: Readonly<Record<string, number>> = { B: 1, KB: 1024, KIB: 1024, MB: 1024 ** 2, MIB: 1024 ** 2, GB: 1024 ** 3, GIB: 1024 ** 3 };
const SIZE_TEXT = /^(\d+)\s*([KMG]i?B|B)?$/i;

/** Sizes as the exporter reads them (base-2 units: 1KB = 1024 bytes). */
const size: Schema<number> = define({
  allowed: 'bytes or a unit (B, KB, MB, GB)',
  parse(value, path) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
    const match = typeof value === 'string' ? SIZE_TEXT.exec(value.trim()) : null;
    if (!match) throw new ConfigError(path, `${quoteValue(value)} is not a size; use bytes or a unit (B, KB, MB, GB), e.g. "1MB"`);
    return Number(match[1]) * (SIZE_UNITS[(match[2] ?? 'B').toUpperCase()] ?? 1);
  },
  jsonSchema: () => ({ anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+ *([KMGkmg][iI]?[bB]|[bB])?$' }] }),
});

// ---- modules --------------------------------------------------------------------------------------

const proberName: Schema<ProberName | UnimplementedProberName> = define({
  allowed: PROBER_HELP,
  parse(value, path) {
    if (typeof value !== 'string' || !([...PROBER_NAMES, ...UNIMPLEMENTED_PROBER_NAMES] as readonly string[]).includes(value)) {
      throw new ConfigError(path, `${quoteValue(value)} is not a prober; ${PROBER_HELP}`);
    }
    return value as ProberName | UnimplementedProberName;
  },
  jsonSchema: () => oneOf([...PROBER_NAMES, ...UNIMPLEMENTED_PROBER_NAMES]).jsonSchema(),
});

/** A section of a prober we do not implement: kept as written (the module cannot be probed). */

type ModuleParts = Omit<Module, 'name' | 'policy'>;

function moduleSchema(ctx: LoadContext): Schema<ModuleParts> {
  const sections = Object.fromEntries(Object.entries(UNIMPLEMENTED_SECTIONS).map(([name, schema]) => [name, optional(schema)])) as Record<UnimplementedProberName, Field<unknown>>;
  const shape = object(
    {
      prober: optional(proberName),
      timeout: withDefault(duration(), 0),
      http: optional(httpSchema(ctx)),
      tcp: optional(tcpSchema(ctx)),
      ...sections,
    },
    {
      check(m, path) {
        if (m.prober === undefined) throw new ConfigError(joinPath(path, 'prober'), `is required; ${PROBER_HELP}`);
        // Like the exporter, only the section of the module's own prober is read; unlike it, a
        // section for another prober is an error, since it would silently do nothing.
        for (const section of ['http', 'tcp', ...UNIMPLEMENTED_PROBER_NAMES] as const) {
          if (section !== m.prober && m[section] !== undefined) throw new ConfigError(joinPath(path, section), `is set but the prober is ${quoteValue(m.prober)}`);
        }
      },
    },
  );
  return define({
    allowed: shape.allowed,
    parse(value, path) {
      const m = shape.parse(value, path);
      return {
        prober: m.prober as ProberName | UnimplementedProberName,
        timeoutMs: m.timeout,
        http: m.http ?? DEFAULT_HTTP_PROBE,
        tcp: m.tcp ?? DEFAULT_TCP_PROBE,
        // As written, secrets shown as <secret>: the debug page (and any dump) shows this.
        source: structuredClone(shape.redact(value)),
      };
    },
    jsonSchema: () => ({ ...shape.jsonSchema(), required: ['prober'] }),
  });
}

function tlsSchema(ctx: LoadContext): Schema<TlsConfig> {
  const version = optional(oneOf(TLS_VERSIONS));
  const shape = object(
    {
      insecure_skip_verify: withDefault(flag, false),
      ca_file: optional(text),
      cert_file: optional(text),
      key_file: optional(text),
      server_name: optional(text),
      min_version: version,
      max_version: version,
    },
    {
      check(t, path) {
        if (t.min_version && t.max_version && TLS_VERSIONS.indexOf(t.min_version) > TLS_VERSIONS.indexOf(t.max_version)) {
          throw new ConfigError(joinPath(path, 'min_version'), `${quoteValue(t.min_version)} is above max_version ${quoteValue(t.max_version)}`);
        }
        if ((t.cert_file === undefined) !== (t.key_file === undefined)) {
          throw new ConfigError(joinPath(path, t.cert_file === undefined ? 'cert_file' : 'key_file'), 'cert_file and key_file must be set together');
        }
      },
    },
  );
  return transform(shape, (t, path) => ({
    insecureSkipVerify: t.insecure_skip_verify,
    ca: readCertificates(ctx, t.ca_file, joinPath(path, 'ca_file')),
    ...readKeyPair(ctx, t.cert_file, t.key_file, path),
    serverName: t.server_name,
    minVersion: t.min_version,
    maxVersion: t.max_version,
  }));
}

const headerMatch = transform(object({ header: text, regexp, allow_missing: withDefault(flag, false) }), (m) => ({
  header: m.header,
  regexp: m.regexp,
  allowMissing: m.allow_missing,
}));

function httpSchema(ctx: LoadContext): Schema<HttpProbeConfig> {
  const shape = object(
    {
      valid_status_codes: withDefault(list(statusCode), () => []),
      valid_http_versions: withDefault(list(oneOf(['HTTP/1.0', 'HTTP/1.1', 'HTTP/2.0'])), () => []),
      method: withDefault(method, 'GET'),
      headers: withDefault(headers, () => ({})),
      body: optional(text),
      body_file: optional(text),
      follow_redirects: withDefault(flag, true),
      fail_if_ssl: withDefault(flag, false),
      fail_if_not_ssl: withDefault(flag, false),
      fail_if_body_matches_regexp: withDefault(list(regexp), () => []),
      fail_if_body_not_matches_regexp: withDefault(list(regexp), () => []),
      fail_if_header_matches: withDefault(list(headerMatch), () => []),
      fail_if_header_not_matches: withDefault(list(headerMatch), () => []),
      tls_config: withDefault(tlsSchema(ctx), DEFAULT_TLS_CONFIG),
      preferred_ip_protocol: withDefault(ipProtocol, 'ip6'),
      ip_protocol_fallback: withDefault(flag, true),
      basic_auth: optional(object({ username: text, password: withDefault(secret(text), '') })),
      bearer_token: optional(secret(rule(text, (t) => (/[\r\n\0]/.test(t) ? 'a bearer token may not contain CR, LF or NUL' : undefined)))),
      compression: withDefault(oneOf(COMPRESSIONS), ''),
      body_size_limit: withDefault(size, 0),
    },
    { check: checkHttp },
  );
  return transform(shape, (h, path) => ({
    validStatusCodes: h.valid_status_codes,
    validHttpVersions: h.valid_http_versions,
    method: h.method.toUpperCase(),
    headers: h.headers,
    body: h.body ?? readOptionalFile(ctx, h.body_file, joinPath(path, 'body_file')),
    followRedirects: h.follow_redirects,
    failIfSsl: h.fail_if_ssl,
    failIfNotSsl: h.fail_if_not_ssl,
    failIfBodyMatchesRegexp: h.fail_if_body_matches_regexp,
    failIfBodyNotMatchesRegexp: h.fail_if_body_not_matches_regexp,
    failIfHeaderMatches: h.fail_if_header_matches,
    failIfHeaderNotMatches: h.fail_if_header_not_matches,
    tlsConfig: h.tls_config,
    preferredIpProtocol: h.preferred_ip_protocol,
    ipProtocolFallback: h.ip_protocol_fallback,
    basicAuth: h.basic_auth,
    bearerToken: h.bearer_token,
    compression: h.compression,
    bodySizeLimit: h.body_size_limit,
  }));
}

function checkHttp(h: { body?: string | undefined; body_file?: string | undefined; fail_if_ssl: boolean; fail_if_not_ssl: boolean; basic_auth?: unknown; bearer_token?: string | undefined }, path: string): void {
  if (h.body !== undefined && h.body_file !== undefined) throw new ConfigError(joinPath(path, 'body_file'), 'setting body and body_file both is not allowed');
  if (h.fail_if_ssl && h.fail_if_not_ssl) {
    throw new ConfigError(joinPath(path, 'fail_if_not_ssl'), 'fail_if_ssl and fail_if_not_ssl are both true, so every probe would fail');
  }
  if (h.basic_auth !== undefined && h.bearer_token !== undefined) throw new ConfigError(joinPath(path, 'bearer_token'), 'basic_auth and bearer_token are mutually exclusive');
}

function tcpSchema(ctx: LoadContext): Schema<TcpProbeConfig> {
  const shape = object({
    query_response: withDefault(list(queryResponseStep), () => []),
    tls: withDefault(flag, false),
    tls_config: withDefault(tlsSchema(ctx), DEFAULT_TLS_CONFIG),
    preferred_ip_protocol: withDefault(ipProtocol, 'ip6'),
    ip_protocol_fallback: withDefault(flag, true),
  });
  return transform(shape, (t) => ({
    queryResponse: t.query_response,
    tls: t.tls,
    tlsConfig: t.tls_config,
    preferredIpProtocol: t.preferred_ip_protocol,
    ipProtocolFallback: t.ip_protocol_fallback,
  }));
}

// ---- our sections ---------------------------------------------------------------------------------

const policyPattern = transform(text, (pattern, path) => {
  parsePattern(pattern, path);
  return pattern;
});

const policySchema: Schema<TargetPolicy> = transform(
  object({ allow: withDefault(list(policyPattern), () => []), deny: withDefault(list(policyPattern), () => []), block_link_local: withDefault(flag, true) }),
  (p) => ({ allow: p.allow, deny: p.deny, blockLinkLocal: p.block_link_local }),
);

const limitsSchema: Schema<Limits> = transform(
  object({ max_concurrent_probes: withDefault(integer(1, 100_000), DEFAULT_LIMITS.maxConcurrentProbes), retry_after_seconds: withDefault(integer(1, 3600), DEFAULT_LIMITS.retryAfterSeconds) }),
  (l) => ({ maxConcurrentProbes: l.max_concurrent_probes, retryAfterSeconds: l.retry_after_seconds }),
);

const labels = rule(record(text), (map) => {
  const bad = Object.keys(map).find((k) => !LABEL_NAME.test(k) || k.startsWith('__') || k === 'le' || (PROBER_SCHEDULED_LABELS as readonly string[]).includes(k));
  return bad === undefined ? undefined : `${quoteValue(bad)} is not allowed as a label name; use [a-zA-Z_][a-zA-Z0-9_]*, not target, module, le or a __ name`;
});

const targetSchema: Schema<ScheduledTarget> = transform(
  object({
    target: rule(text, (t) => {
      if (t.trim() === '') return 'is empty';
      // Said without the value: it would show the password. The prober refuses such targets anyway.
      if (/^([a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i.test(t)) return 'credentials in a target (user:password@) are not allowed; use basic_auth in the module';
      return undefined;
    }),
    module: withDefault(text, 'http_2xx'),
    interval: withDefault(duration({ min: MIN_TARGET_INTERVAL_MS }), DEFAULT_TARGET_INTERVAL_MS),
    labels: withDefault(labels, () => ({})),
  }),
  (t) => ({ target: t.target, module: t.module, intervalMs: t.interval, labels: t.labels }),
);

// A scheduled target that can never be probed is a config error, not a probe failure forever.
function checkTargets(targets: readonly ScheduledTarget[], modules: Readonly<Record<string, ModuleParts>>): void {
  const seen = new Set<string>();
  targets.forEach(({ target, module }, i) => {
    const path = `targets[${i}]`;
    if (!Object.hasOwn(modules, module)) {
      const known = Object.keys(modules);
      throw new ConfigError(`${path}.module`, `${quoteValue(module)} is not a module of this config; known: ${known.length ? known.join(', ') : '(none)'}`);
    }
    const prober = modules[module]?.prober;
    if (prober !== 'http' && prober !== 'tcp') {
      throw new ConfigError(`${path}.module`, `${quoteValue(module)} uses the ${prober} prober, which cannot be scheduled here (http and tcp only)`);
    }
    checkTargetForm(target, prober, `${path}.target`);
    const key = `${module}\u0000${target}`;
    if (seen.has(key)) throw new ConfigError(path, `target ${quoteValue(target)} with module ${quoteValue(module)} is listed twice`);
    seen.add(key);
  });
}

function checkTargetForm(target: string, prober: 'http' | 'tcp', path: string): void {
  if (prober === 'tcp') {
    if (!/^(\[[0-9a-fA-F:.]+\]|[^:[\]/\s]+):\d{1,5}$/.test(target)) {
      throw new ConfigError(path, `${quoteValue(target)} is not host:port, which the tcp prober needs`);
    }
    return;
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `http://${target}`;
  let url: URL | undefined;
  try {
    url = new URL(withScheme);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError(path, `${quoteValue(target)} is not an http(s) URL, which the http prober needs`);
  }
}
