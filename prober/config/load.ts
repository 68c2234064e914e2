import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, describeError, parseDuration, quoteValue } from '../../common/index.js';
import { PROBER_SCHEDULED_LABELS } from '../contract.js';
import { compileRegexp, type ProbeRegexp } from '../regexp.js';
import { compilePolicy, parsePattern, type CompiledPolicy } from '../target-policy.js';
import {
  PROBER_NAMES,
  TLS_VERSIONS,
  UNIMPLEMENTED_PROBER_NAMES,
  type HeaderMatch,
  type HttpProbeConfig,
  type IpProtocol,
  type Limits,
  type Module,
  type ProberConfig,
  type ProberName,
  type UnimplementedProberName,
  type QueryResponseStep,
  type ScheduledTarget,
  type TargetPolicy,
  type TcpProbeConfig,
  type TlsConfig,
  type TlsVersionName,
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

const TOP_KEYS = ['modules', 'target_policy', 'limits', 'targets'];
const MODULE_KEYS = ['prober', 'timeout', 'http', 'tcp', ...UNIMPLEMENTED_PROBER_NAMES];
const HTTP_KEYS = [
  'valid_status_codes',
  'valid_http_versions',
  'method',
  'headers',
  'body',
  'body_file',
  'follow_redirects',
  'fail_if_ssl',
  'fail_if_not_ssl',
  'fail_if_body_matches_regexp',
  'fail_if_body_not_matches_regexp',
  'fail_if_header_matches',
  'fail_if_header_not_matches',
  'tls_config',
  'preferred_ip_protocol',
  'ip_protocol_fallback',
  'basic_auth',
  'bearer_token',
  'compression',
  'body_size_limit',
];
const TCP_KEYS = ['query_response', 'tls', 'tls_config', 'preferred_ip_protocol', 'ip_protocol_fallback'];
const TLS_KEYS = ['insecure_skip_verify', 'ca_file', 'cert_file', 'key_file', 'server_name', 'min_version', 'max_version'];
const HEADER_MATCH_KEYS = ['header', 'regexp', 'allow_missing'];
const QUERY_RESPONSE_KEYS = ['expect', 'send', 'starttls'];
const BASIC_AUTH_KEYS = ['username', 'password'];
const POLICY_KEYS = ['allow', 'deny', 'block_link_local'];
const LIMITS_KEYS = ['max_concurrent_probes', 'retry_after_seconds'];
const TARGET_KEYS = ['target', 'module', 'interval', 'labels'];
const COMPRESSIONS = ['', 'gzip', 'br', 'deflate', 'identity'] as const;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Where relative file names in the config (`ca_file`, `body_file`) are resolved from. */
interface LoadContext {
  readonly baseDir: string;
}

/**
 * Reads and validates a config file in one pass: defaults, parse, validate, freeze.
 * @throws ConfigError naming the key path, the value and what is allowed.
 */
export function loadProberConfig(file: string): ProberConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, `cannot read the config file: ${describeError(error)}`);
  }
  return parseProberConfig(text, { baseDir: dirname(resolve(file)) });
}

/**
 * Parses config text (YAML). Relative file names resolve from `options.baseDir` (default: the
 * working directory).
 * @throws ConfigError naming the key path, the value and what is allowed.
 */
export function parseProberConfig(text: string, options: { baseDir?: string } = {}): ProberConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem) {
    throw new ConfigError('yaml', (problem.message.split('\n')[0] ?? problem.code).replace(/:$/, ''));
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  return buildConfig(raw, { baseDir: options.baseDir ?? process.cwd() });
}

/**
 * Builds a config from plain data (already parsed YAML or an object literal), with the same
 * checks as {@link parseProberConfig}.
 */
export function buildConfig(raw: unknown, ctx: LoadContext = { baseDir: process.cwd() }): ProberConfig {
  const top = readMap(raw, '', TOP_KEYS);
  const targetPolicy = top.target_policy === undefined ? DEFAULT_TARGET_POLICY : readPolicy(top.target_policy);
  const policy = compilePolicy(targetPolicy);
  const modulesRaw = top.modules === undefined ? {} : readMap(top.modules, 'modules', undefined);
  const modules: Record<string, Module> = {};
  for (const [name, value] of Object.entries(modulesRaw)) {
    // defineProperty, not assignment: a module named __proto__ would otherwise replace the prototype and vanish.
    Object.defineProperty(modules, name, { value: readModule(name, value, ctx, policy), enumerable: true, writable: true, configurable: true });
  }
  const limits = top.limits === undefined ? DEFAULT_LIMITS : readLimits(top.limits);
  const targets = top.targets === undefined ? [] : readTargets(top.targets, modules);
  return deepFreeze({ modules, targetPolicy, limits, targets });
}

function readModule(name: string, raw: unknown, ctx: LoadContext, policy: CompiledPolicy): Module {
  const path = `modules.${name}`;
  const m = readMap(raw, path, MODULE_KEYS);
  const known = [...PROBER_NAMES, ...UNIMPLEMENTED_PROBER_NAMES] as readonly string[];
  const proberHelp = `use http or tcp (${UNIMPLEMENTED_PROBER_NAMES.join(', ')} modules load but cannot be probed here)`;
  if (m.prober === undefined) throw new ConfigError(`${path}.prober`, `is required; ${proberHelp}`);
  if (typeof m.prober !== 'string' || !known.includes(m.prober)) {
    throw new ConfigError(`${path}.prober`, `${quoteValue(m.prober)} is not a prober; ${proberHelp}`);
  }
  const prober = m.prober as ProberName | UnimplementedProberName;
  const timeoutMs = m.timeout === undefined ? 0 : readDuration(m.timeout, `${path}.timeout`);
  // Like the exporter, only the section of the module's own prober is read; unlike it, a
  // section for another prober is an error, since it would silently do nothing.
  for (const section of ['http', 'tcp', ...UNIMPLEMENTED_PROBER_NAMES]) {
    if (section !== prober && m[section] !== undefined) {
      throw new ConfigError(`${path}.${section}`, `is set but the prober is ${quoteValue(prober)}`);
    }
  }
  return {
    name,
    prober,
    timeoutMs,
    http: m.http === undefined ? DEFAULT_HTTP_PROBE : readHttp(m.http, `${path}.http`, ctx),
    tcp: m.tcp === undefined ? DEFAULT_TCP_PROBE : readTcp(m.tcp, `${path}.tcp`, ctx),
    source: structuredClone(raw),
    policy,
  };
}

function readHttp(raw: unknown, path: string, ctx: LoadContext): HttpProbeConfig {
  const h = readMap(raw, path, HTTP_KEYS);
  const d = DEFAULT_HTTP_PROBE;
  const validStatusCodes = h.valid_status_codes === undefined ? d.validStatusCodes : readList(h.valid_status_codes, `${path}.valid_status_codes`).map((v, i) => {
    const field = `${path}.valid_status_codes[${i}]`;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 100 || v > 599) {
      throw new ConfigError(field, `${quoteValue(v)} is not an HTTP status code; use a whole number from 100 to 599`);
    }
    return v;
  });
  const validHttpVersions = h.valid_http_versions === undefined ? d.validHttpVersions : readList(h.valid_http_versions, `${path}.valid_http_versions`).map((v, i) => {
    const field = `${path}.valid_http_versions[${i}]`;
    const allowed = ['HTTP/1.0', 'HTTP/1.1', 'HTTP/2.0'];
    return readEnum(v, field, allowed);
  });
  const method = h.method === undefined ? d.method : readString(h.method, `${path}.method`);
  if (!TOKEN.test(method)) throw new ConfigError(`${path}.method`, `${quoteValue(method)} is not an HTTP method; use e.g. GET, HEAD or POST`);
  const headers: Record<string, string> = {};
  if (h.headers !== undefined) {
    for (const [k, v] of Object.entries(readMap(h.headers, `${path}.headers`, undefined))) {
      if (!TOKEN.test(k)) throw new ConfigError(`${path}.headers`, `${quoteValue(k)} is not a valid header name`);
      const value = readString(v, `${path}.headers.${k}`);
      if (/[\r\n\0]/.test(value)) throw new ConfigError(`${path}.headers.${k}`, 'a header value may not contain CR, LF or NUL');
      headers[k] = value;
    }
  }
  if (h.body !== undefined && h.body_file !== undefined) {
    throw new ConfigError(`${path}.body_file`, 'setting body and body_file both is not allowed');
  }
  const body = h.body !== undefined ? readString(h.body, `${path}.body`) : h.body_file !== undefined ? readFile(h.body_file, `${path}.body_file`, ctx) : undefined;
  const failIfSsl = h.fail_if_ssl === undefined ? false : readBool(h.fail_if_ssl, `${path}.fail_if_ssl`);
  const failIfNotSsl = h.fail_if_not_ssl === undefined ? false : readBool(h.fail_if_not_ssl, `${path}.fail_if_not_ssl`);
  if (failIfSsl && failIfNotSsl) {
    throw new ConfigError(`${path}.fail_if_not_ssl`, 'fail_if_ssl and fail_if_not_ssl are both true, so every probe would fail');
  }
  let basicAuth: HttpProbeConfig['basicAuth'];
  if (h.basic_auth !== undefined) {
    const b = readMap(h.basic_auth, `${path}.basic_auth`, BASIC_AUTH_KEYS);
    if (b.username === undefined) throw new ConfigError(`${path}.basic_auth.username`, 'is required when basic_auth is set');
    basicAuth = { username: readString(b.username, `${path}.basic_auth.username`), password: b.password === undefined ? '' : readString(b.password, `${path}.basic_auth.password`) };
  }
  const bearerToken = h.bearer_token === undefined ? undefined : readString(h.bearer_token, `${path}.bearer_token`);
  if (basicAuth && bearerToken !== undefined) {
    throw new ConfigError(`${path}.bearer_token`, 'basic_auth and bearer_token are mutually exclusive');
  }
  return {
    validStatusCodes,
    validHttpVersions,
    method: method.toUpperCase(),
    headers,
    body,
    followRedirects: h.follow_redirects === undefined ? d.followRedirects : readBool(h.follow_redirects, `${path}.follow_redirects`),
    failIfSsl,
    failIfNotSsl,
    failIfBodyMatchesRegexp: readRegexps(h.fail_if_body_matches_regexp, `${path}.fail_if_body_matches_regexp`),
    failIfBodyNotMatchesRegexp: readRegexps(h.fail_if_body_not_matches_regexp, `${path}.fail_if_body_not_matches_regexp`),
    failIfHeaderMatches: readHeaderMatches(h.fail_if_header_matches, `${path}.fail_if_header_matches`),
    failIfHeaderNotMatches: readHeaderMatches(h.fail_if_header_not_matches, `${path}.fail_if_header_not_matches`),
    tlsConfig: h.tls_config === undefined ? DEFAULT_TLS_CONFIG : readTls(h.tls_config, `${path}.tls_config`, ctx),
    preferredIpProtocol: h.preferred_ip_protocol === undefined ? d.preferredIpProtocol : readIpProtocol(h.preferred_ip_protocol, `${path}.preferred_ip_protocol`),
    ipProtocolFallback: h.ip_protocol_fallback === undefined ? d.ipProtocolFallback : readBool(h.ip_protocol_fallback, `${path}.ip_protocol_fallback`),
    basicAuth,
    bearerToken,
    compression: h.compression === undefined ? '' : (readEnum(h.compression, `${path}.compression`, COMPRESSIONS) as HttpProbeConfig['compression']),
    bodySizeLimit: h.body_size_limit === undefined ? 0 : readSize(h.body_size_limit, `${path}.body_size_limit`),
  };
}

function readTcp(raw: unknown, path: string, ctx: LoadContext): TcpProbeConfig {
  const t = readMap(raw, path, TCP_KEYS);
  const d = DEFAULT_TCP_PROBE;
  const queryResponse: QueryResponseStep[] =
    t.query_response === undefined
      ? []
      : readList(t.query_response, `${path}.query_response`).map((step, i) => {
          const p = `${path}.query_response[${i}]`;
          const s = readMap(step, p, QUERY_RESPONSE_KEYS);
          if (s.expect === undefined && s.send === undefined && s.starttls === undefined) {
            throw new ConfigError(p, 'is empty; give expect, send or starttls');
          }
          return {
            expect: s.expect === undefined ? undefined : readRegexp(s.expect, `${p}.expect`),
            send: s.send === undefined ? undefined : readString(s.send, `${p}.send`),
            starttls: s.starttls === undefined ? false : readBool(s.starttls, `${p}.starttls`),
          };
        });
  return {
    queryResponse,
    tls: t.tls === undefined ? d.tls : readBool(t.tls, `${path}.tls`),
    tlsConfig: t.tls_config === undefined ? DEFAULT_TLS_CONFIG : readTls(t.tls_config, `${path}.tls_config`, ctx),
    preferredIpProtocol: t.preferred_ip_protocol === undefined ? d.preferredIpProtocol : readIpProtocol(t.preferred_ip_protocol, `${path}.preferred_ip_protocol`),
    ipProtocolFallback: t.ip_protocol_fallback === undefined ? d.ipProtocolFallback : readBool(t.ip_protocol_fallback, `${path}.ip_protocol_fallback`),
  };
}

function readTls(raw: unknown, path: string, ctx: LoadContext): TlsConfig {
  const t = readMap(raw, path, TLS_KEYS);
  const version = (v: unknown, field: string): TlsVersionName | undefined => (v === undefined ? undefined : (readEnum(v, field, TLS_VERSIONS) as TlsVersionName));
  const minVersion = version(t.min_version, `${path}.min_version`);
  const maxVersion = version(t.max_version, `${path}.max_version`);
  if (minVersion && maxVersion && TLS_VERSIONS.indexOf(minVersion) > TLS_VERSIONS.indexOf(maxVersion)) {
    throw new ConfigError(`${path}.min_version`, `${quoteValue(minVersion)} is above max_version ${quoteValue(maxVersion)}`);
  }
  if ((t.cert_file === undefined) !== (t.key_file === undefined)) {
    throw new ConfigError(`${path}.${t.cert_file === undefined ? 'cert_file' : 'key_file'}`, 'cert_file and key_file must be set together');
  }
  return {
    insecureSkipVerify: t.insecure_skip_verify === undefined ? false : readBool(t.insecure_skip_verify, `${path}.insecure_skip_verify`),
    ca: t.ca_file === undefined ? undefined : readFile(t.ca_file, `${path}.ca_file`, ctx),
    cert: t.cert_file === undefined ? undefined : readFile(t.cert_file, `${path}.cert_file`, ctx),
    key: t.key_file === undefined ? undefined : readFile(t.key_file, `${path}.key_file`, ctx),
    serverName: t.server_name === undefined ? undefined : readString(t.server_name, `${path}.server_name`),
    minVersion,
    maxVersion,
  };
}

function readPolicy(raw: unknown): TargetPolicy {
  const p = readMap(raw, 'target_policy', POLICY_KEYS);
  const patterns = (v: unknown, field: string): string[] =>
    v === undefined
      ? []
      : readList(v, field).map((item, i) => {
          const text = readString(item, `${field}[${i}]`);
          parsePattern(text, `${field}[${i}]`);
          return text;
        });
  return {
    allow: patterns(p.allow, 'target_policy.allow'),
    deny: patterns(p.deny, 'target_policy.deny'),
    blockLinkLocal: p.block_link_local === undefined ? true : readBool(p.block_link_local, 'target_policy.block_link_local'),
  };
}

function readLimits(raw: unknown): Limits {
  const l = readMap(raw, 'limits', LIMITS_KEYS);
  return {
    maxConcurrentProbes: l.max_concurrent_probes === undefined ? DEFAULT_LIMITS.maxConcurrentProbes : readInt(l.max_concurrent_probes, 'limits.max_concurrent_probes', 1, 100_000),
    retryAfterSeconds: l.retry_after_seconds === undefined ? DEFAULT_LIMITS.retryAfterSeconds : readInt(l.retry_after_seconds, 'limits.retry_after_seconds', 1, 3600),
  };
}

function readTargets(raw: unknown, modules: Record<string, Module>): ScheduledTarget[] {
  const seen = new Set<string>();
  return readList(raw, 'targets').map((item, i) => {
    const path = `targets[${i}]`;
    const t = readMap(item, path, TARGET_KEYS);
    if (t.target === undefined) throw new ConfigError(`${path}.target`, 'is required');
    const target = readString(t.target, `${path}.target`);
    if (target.trim() === '') throw new ConfigError(`${path}.target`, 'is empty');
    const module = t.module === undefined ? 'http_2xx' : readString(t.module, `${path}.module`);
    if (!Object.hasOwn(modules, module)) {
      const known = Object.keys(modules);
      throw new ConfigError(`${path}.module`, `${quoteValue(module)} is not a module of this config; known: ${known.length ? known.join(', ') : '(none)'}`);
    }
    const prober = modules[module]?.prober;
    if (prober !== 'http' && prober !== 'tcp') {
      throw new ConfigError(`${path}.module`, `${quoteValue(module)} uses the ${prober} prober, which cannot be scheduled here (http and tcp only)`);
    }
    checkTargetForm(target, prober, `${path}.target`);
    const intervalMs = t.interval === undefined ? DEFAULT_TARGET_INTERVAL_MS : readDuration(t.interval, `${path}.interval`);
    if (intervalMs < MIN_TARGET_INTERVAL_MS) {
      throw new ConfigError(`${path}.interval`, `${quoteValue(t.interval)} is too short; use at least 1s`);
    }
    const labels: Record<string, string> = {};
    if (t.labels !== undefined) {
      for (const [k, v] of Object.entries(readMap(t.labels, `${path}.labels`, undefined))) {
        if (!LABEL_NAME.test(k) || k.startsWith('__') || k === 'le' || (PROBER_SCHEDULED_LABELS as readonly string[]).includes(k)) {
          throw new ConfigError(`${path}.labels`, `${quoteValue(k)} is not allowed as a label name; use [a-zA-Z_][a-zA-Z0-9_]*, not target, module, le or a __ name`);
        }
        labels[k] = readString(v, `${path}.labels.${k}`);
      }
    }
    const key = `${module}\u0000${target}`;
    if (seen.has(key)) throw new ConfigError(`${path}`, `target ${quoteValue(target)} with module ${quoteValue(module)} is listed twice`);
    seen.add(key);
    return { target, module, intervalMs, labels };
  });
}

// A scheduled target that can never be probed is a config error, not a probe failure forever.
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

// ---- small readers: each names the path and what is allowed ----

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `a ${typeof v}`;
}

function readMap(v: unknown, path: string, allowed: readonly string[] | undefined): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Map) {
    throw new ConfigError(path || '(top level)', `must be a map, got ${typeName(v)}`);
  }
  const map = v as Record<string, unknown>;
  if (allowed) {
    for (const key of Object.keys(map)) {
      if (!allowed.includes(key)) {
        const hint = closest(key, allowed);
        throw new ConfigError(path ? `${path}.${key}` : key, `unknown key${hint ? ` (did you mean ${hint}?)` : ''}; allowed here: ${allowed.join(', ')}`);
      }
    }
  }
  return map;
}

function readList(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new ConfigError(path, `must be a list, got ${typeName(v)}`);
  return v;
}

function readString(v: unknown, path: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ConfigError(path, `must be a string, got ${typeName(v)}`);
}

function readBool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(path, `${quoteValue(v)} is not allowed; use true or false`);
  return v;
}

function readInt(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(path, `${quoteValue(v)} is not allowed; use a whole number from ${min} to ${max}`);
  }
  return v;
}

function readEnum(v: unknown, path: string, allowed: readonly string[]): string {
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw new ConfigError(path, `${quoteValue(v)} is not allowed; use one of ${allowed.map((a) => (a === '' ? '""' : a)).join(', ')}`);
  }
  return v;
}

function readDuration(v: unknown, path: string): number {
  return parseDuration(typeof v === 'string' ? v : (v as string), path);
}

function readIpProtocol(v: unknown, path: string): IpProtocol {
  // The exporter accepts "ip4"/"ip6" (and "tcp4"/"tcp6" spellings in old configs).
  const text = typeof v === 'string' ? v.toLowerCase() : v;
  if (text === 'ip4' || text === 'tcp4') return 'ip4';
  if (text === 'ip6' || text === 'tcp6') return 'ip6';
  throw new ConfigError(path, `${quoteValue(v)} is not allowed; use ip4 or ip6`);
}

function readRegexp(v: unknown, path: string): ProbeRegexp {
  const source = readString(v, path);
  try {
    return compileRegexp(source);
  } catch (error) {
    throw new ConfigError(path, `${quoteValue(source)} is not a valid regular expression: ${describeError(error)}`);
  }
}

function readRegexps(v: unknown, path: string): ProbeRegexp[] {
  return v === undefined ? [] : readList(v, path).map((item, i) => readRegexp(item, `${path}[${i}]`));
}

function readHeaderMatches(v: unknown, path: string): HeaderMatch[] {
  if (v === undefined) return [];
  return readList(v, path).map((item, i) => {
    const p = `${path}[${i}]`;
    const m = readMap(item, p, HEADER_MATCH_KEYS);
    if (m.header === undefined) throw new ConfigError(`${p}.header`, 'is required');
    if (m.regexp === undefined) throw new ConfigError(`${p}.regexp`, 'is required');
    return {
      header: readString(m.header, `${p}.header`),
      regexp: readRegexp(m.regexp, `${p}.regexp`),
      allowMissing: m.allow_missing === undefined ? false : readBool(m.allow_missing, `${p}.allow_missing`),
    };
  });
}

const SIZE_UNITS: Readonly<Record<string, number>> = { B: 1, KB: 1024, KIB: 1024, MB: 1024 ** 2, MIB: 1024 ** 2, GB: 1024 ** 3, GIB: 1024 ** 3 };

// Sizes as the exporter reads them (base-2 units: 1KB = 1024 bytes).
function readSize(v: unknown, path: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  const match = typeof v === 'string' ? /^(\d+)\s*([KMG]i?B|B)?$/i.exec(v.trim()) : null;
  if (!match) throw new ConfigError(path, `${quoteValue(v)} is not a size; use bytes or a unit (B, KB, MB, GB), e.g. "1MB"`);
  return Number(match[1]) * (SIZE_UNITS[(match[2] ?? 'B').toUpperCase()] ?? 1);
}

function readFile(v: unknown, path: string, ctx: LoadContext): string {
  const name = readString(v, path);
  try {
    return readFileSync(resolve(ctx.baseDir, name), 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new ConfigError(path, `cannot read ${quoteValue(name)} (${typeof code === 'string' ? code : describeError(error)}); relative names are resolved from the config file's directory`);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
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

// The allowed key nearest to a typo (edit distance <= 2), for "did you mean" hints.
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
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
