import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import type { Gauge, Registry } from 'prom-client';
import { Client, type Dispatcher } from 'undici';
import { describeError, type Logger } from '../../common/index.js';
import type { HttpProbeConfig, Module } from '../config/types.js';
import { HTTP_PHASES, probeGauge, roundSeconds, setProbeGauge, type HttpPhase } from '../metrics.js';
import { testRegexp } from '../regexp.js';
import type { ProbeFn } from '../types.js';
import { resolveTarget, type ResolvedAddress } from './resolve.js';
import { registerTlsMetrics, summarizeTls, tlsOptions, type TlsSummary } from './tls.js';

/** Sent on every probe request unless the module sets its own `User-Agent`. */
export const PROBER_USER_AGENT = 'hello-prober/0.1 (blackbox-exporter compatible)';

/** Redirect hops followed before the probe fails (Go's http.Client limit, as the exporter). */
export const MAX_REDIRECTS = 10;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Timings of one request/response round trip, in milliseconds since the time origin. */
interface HopTimings {
  /** Seconds spent resolving this hop's host (a redirect's; the first hop's is the target's). */
  lookupSeconds: number;
  connectStart?: number;
  connectDone?: number;
  tlsStart?: number;
  tlsDone?: number;
  headers?: number;
  end?: number;
}

/** What one hop asks for. */
interface HopRequest {
  readonly url: URL;
  /** Already resolved and checked against the policy. */
  readonly address: string;
  readonly method: string;
  readonly body: string | undefined;
  readonly referer: string | undefined;
}

/** What one hop returned. */
interface Hop {
  readonly url: URL;
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly tls: TlsSummary | undefined;
  /** Bytes after decoding; 0 when the body was not read (redirect hops). */
  readonly bodyBytes: number;
  /** The body as text, kept only when a body regexp needs it. */
  readonly bodyText: string | undefined;
  /** Set when reading the body failed (size limit, decode error). */
  readonly bodyError: string | undefined;
}

/**
 * Probes an http(s) URL the way the blackbox exporter's `http` prober does: a new connection
 * for every probe and every redirect hop (so connect and TLS times are real), phase timings
 * summed over hops, status, version, header, body and TLS checks. Returns false, with the
 * reason logged, when any check fails.
 */
export const probeHttp: ProbeFn = async (target, module, registry, signal, logger) => {
  const gauges = registerHttpGauges(registry);
  const url = parseTarget(target, logger);
  if (!url) return false;
  const cfg = module.http;
  const resolved = await resolveTarget(url.hostname, cfg.preferredIpProtocol, cfg.ipProtocolFallback, module, registry, signal, logger);
  const phases = probeGauge<'phase'>(registry, 'probe_http_duration_seconds', ['phase']);
  if (resolved.address === undefined) {
    // As the exporter: only the resolve phase exists when the target could not be resolved.
    phases.labels({ phase: 'resolve' }).set(resolved.lookupSeconds);
    return false;
  }
  // Written when the probe ends, and also at the deadline: the handler reports the registry as
  // it is then, and a request cut short has connected already (as the exporter reports it).
  const hops: HopTimings[] = [];
  const writePhases = (): void => {
    const sums = phaseSums(hops);
    for (const phase of HTTP_PHASES) phases.labels({ phase }).set(roundSeconds(sums[phase]));
  };
  signal.addEventListener('abort', writePhases, { once: true });
  let final: FinalHop | undefined;
  try {
    final = await followHops(url, resolved, hops, module, gauges, signal, logger);
  } finally {
    signal.removeEventListener('abort', writePhases);
  }
  writePhases();
  return final !== undefined && checkFinalHop(final, cfg, gauges, registry, signal, logger);
};

/** The http prober's gauges that are always there, registered at 0. */
interface HttpGauges {
  readonly contentLength: Gauge;
  readonly bodyLength: Gauge;
  readonly redirects: Gauge;
  readonly ssl: Gauge;
  readonly status: Gauge;
  readonly version: Gauge;
  readonly regex: Gauge;
}

function registerHttpGauges(registry: Registry): HttpGauges {
  const gauges: HttpGauges = {
    contentLength: probeGauge(registry, 'probe_http_content_length'),
    bodyLength: probeGauge(registry, 'probe_http_uncompressed_body_length'),
    redirects: probeGauge(registry, 'probe_http_redirects'),
    ssl: probeGauge(registry, 'probe_http_ssl'),
    status: probeGauge(registry, 'probe_http_status_code'),
    version: probeGauge(registry, 'probe_http_version'),
    regex: probeGauge(registry, 'probe_failed_due_to_regex'),
  };
  for (const g of Object.values(gauges)) g.set(0);
  return gauges;
}

/** The last hop of a probe, and how the probe got there. */
interface FinalHop {
  readonly hop: Hop;
  /** The method of the last request (a redirect may have turned POST into GET). */
  readonly method: string;
  readonly redirects: number;
}

/**
 * Makes the request and follows redirects (each hop re-resolved and checked against the
 * policy), appending each hop's timings to `hops` as it starts. Undefined, with the reason
 * logged, when a hop failed or the redirects ran out.
 */
async function followHops(url: URL, first: ResolvedAddress, hops: HopTimings[], module: Module, gauges: HttpGauges, signal: AbortSignal, logger: Logger): Promise<FinalHop | undefined> {
  const cfg = module.http;
  let current = url;
  let address = first.address;
  let lookupSeconds = first.lookupSeconds;
  let method = cfg.method;
  let body = cfg.body;
  let referer: string | undefined;
  let redirects = 0;
  for (;;) {
    const timings: HopTimings = { lookupSeconds };
    hops.push(timings);
    let hop: Hop;
    try {
      hop = await requestOnce({ url: current, address, method, body, referer }, timings, cfg, signal, logger);
    } catch (error) {
      logger.error('Error for HTTP request', { err: describeError(error) });
      return undefined;
    }
    const location = headerValue(hop.headers, 'location');
    if (!REDIRECT_STATUSES.has(hop.status) || location === undefined) return { hop, method, redirects };
    redirects += 1;
    if (!cfg.followRedirects) {
      logger.info('Not following redirect', { location });
      return { hop, method, redirects };
    }
    if (redirects > MAX_REDIRECTS) {
      gauges.redirects.set(redirects);
      gauges.status.set(hop.status);
      gauges.version.set(1.1);
      gauges.contentLength.set(declaredLength(hop.headers, hop.status, method));
      logger.error('Error for HTTP request', { err: `stopped after ${MAX_REDIRECTS} redirects` });
      return undefined;
    }
    const next = redirectTarget(location, current, logger);
    if (!next) return undefined;
    logger.info('Received redirect', { location: next.href });
    const hopAddress = await resolveTarget(next.hostname, cfg.preferredIpProtocol, cfg.ipProtocolFallback, module, undefined, signal, logger);
    if (hopAddress.address === undefined) return undefined;
    lookupSeconds = hopAddress.lookupSeconds;
    address = hopAddress.address;
    // Go's client: 301/302/303 turn a POST into a GET without body; 307/308 keep both.
    if (hop.status === 303 || ((hop.status === 301 || hop.status === 302) && method === 'POST')) {
      if (method !== 'HEAD') method = 'GET';
      body = undefined;
    }
    referer = current.protocol === 'https:' && next.protocol === 'http:' ? undefined : current.href;
    current = next;
  }
}

/** The URL a Location header points to, if it is an http(s) URL; undefined (logged) otherwise. */
function redirectTarget(location: string, base: URL, logger: Logger): URL | undefined {
  let next: URL;
  try {
    next = new URL(location, base);
  } catch {
    logger.error('Error for HTTP request', { err: `bad Location header ${JSON.stringify(location)}` });
    return undefined;
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    logger.error('Error for HTTP request', { err: `redirect to unsupported scheme ${next.protocol}` });
    return undefined;
  }
  return next;
}

/** The exporter's checks of the last response (status, headers, body, version, TLS), and its gauges. */
async function checkFinalHop({ hop, method, redirects }: FinalHop, cfg: HttpProbeConfig, gauges: HttpGauges, registry: Registry, signal: AbortSignal, logger: Logger): Promise<boolean> {
  let success = true;
  const validStatus = cfg.validStatusCodes.length > 0 ? cfg.validStatusCodes.includes(hop.status) : hop.status >= 200 && hop.status < 300;
  if (!validStatus) {
    logger.error('Invalid HTTP response status code', { status_code: hop.status });
    success = false;
  }
  if (success && !(await checkHeaders(hop.headers, cfg, signal, logger))) {
    gauges.regex.set(1);
    success = false;
  }
  if (hop.bodyError !== undefined) {
    logger.error('Failed to read HTTP response body', { err: hop.bodyError });
    success = false;
  } else if (success && !(await checkBody(hop.bodyText ?? '', cfg, signal, logger))) {
    gauges.regex.set(1);
    success = false;
  }
  // undici speaks HTTP/1.1 only and does not expose the status line's version.
  const version = 1.1;
  if (success && cfg.validHttpVersions.length > 0 && !cfg.validHttpVersions.includes('HTTP/1.1')) {
    logger.error('Invalid HTTP version number', { version: 'HTTP/1.1' });
    success = false;
  }
  gauges.status.set(hop.status);
  gauges.version.set(version);
  gauges.contentLength.set(declaredLength(hop.headers, hop.status, method));
  gauges.bodyLength.set(hop.bodyBytes);
  gauges.redirects.set(redirects);
  const lastModified = headerValue(hop.headers, 'last-modified');
  if (lastModified !== undefined) {
    const ms = Date.parse(lastModified);
    if (Number.isFinite(ms)) setProbeGauge(registry, 'probe_http_last_modified_timestamp_seconds', ms / 1000);
    else logger.error('Error parsing Last-Modified header', { value: lastModified });
  }
  if (hop.tls) {
    gauges.ssl.set(1);
    registerTlsMetrics(registry, hop.tls);
    if (cfg.failIfSsl) {
      logger.error('Final request was over SSL');
      success = false;
    }
  } else if (cfg.failIfNotSsl) {
    logger.error('Final request was not over SSL');
    success = false;
  }
  return success;
}

/** Parses a target the exporter's way: no scheme means `http://`; only http and https are probed. */
function parseTarget(target: string, logger: Logger): URL | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(target) && !/^[^:/]+:\d+(\/|$)/.test(target) ? target : `http://${target}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    logger.error('Could not parse target URL', { target });
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    logger.error('Unsupported scheme; the http prober probes http and https URLs only', { scheme: url.protocol });
    return undefined;
  }
  if (url.username || url.password) {
    logger.error('Credentials in the target URL are not allowed; use basic_auth in the module', { target: url.host });
    return undefined;
  }
  return url;
}

function headerValue(headers: Hop['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Go's `resp.ContentLength`: for HEAD the declared length; 0 for 1xx, 204 and 304 (no body
 * whatever the headers say); -1 when chunked; else the declared length, -1 when absent.
 */
function declaredLength(headers: Hop['headers'], status: number, method: string): number {
  const value = headerValue(headers, 'content-length');
  const declared = value !== undefined && /^\d+$/.test(value) ? Number(value) : -1;
  if (method === 'HEAD') return declared;
  if (status < 200 || status === 204 || status === 304) return 0;
  return headerValue(headers, 'transfer-encoding') !== undefined ? -1 : declared;
}

/**
 * The phases summed over hops. As the exporter: a hop that never got a usable connection
 * (refused, a failed TLS handshake) adds only its lookup, not even its TCP connect; one that
 * connected and got no answer adds its connect.
 */
function phaseSums(hops: readonly HopTimings[]): Record<HttpPhase, number> {
  const sums: Record<HttpPhase, number> = { connect: 0, processing: 0, resolve: 0, tls: 0, transfer: 0 };
  const span = (a: number | undefined, b: number | undefined): number => (a !== undefined && b !== undefined && b >= a ? (b - a) / 1000 : 0);
  for (const t of hops) {
    sums.resolve += t.lookupSeconds;
    if ((t.tlsStart === undefined ? t.connectDone : t.tlsDone) === undefined) continue;
    sums.connect += span(t.connectStart, t.connectDone);
    sums.tls += span(t.tlsStart, t.tlsDone);
    sums.processing += span(t.tlsDone ?? t.connectDone, t.headers);
    sums.transfer += span(t.headers, t.end);
  }
  return sums;
}

// The exporter's rules: a missing header fails both kinds of check unless allow_missing is set;
// fail_if_header_matches fails on any value that matches, the other when no value matches.
async function checkHeaders(headers: Hop['headers'], cfg: HttpProbeConfig, signal: AbortSignal, logger: Logger): Promise<boolean> {
  const checks = [...cfg.failIfHeaderMatches.map((m) => ({ m, failIfMatches: true })), ...cfg.failIfHeaderNotMatches.map((m) => ({ m, failIfMatches: false }))];
  for (const { m, failIfMatches } of checks) {
    const v = headers[m.header.toLowerCase()];
    const values = v === undefined ? [] : Array.isArray(v) ? v : [v];
    if (values.length === 0) {
      if (m.allowMissing) continue;
      logger.error('Missing required header', { header: m.header });
      return false;
    }
    let matched = false;
    for (const value of values) {
      if (await testRegexp(m.regexp, value, signal)) {
        matched = true;
        break;
      }
    }
    if (matched === failIfMatches) {
      logger.error(failIfMatches ? 'Header matched regular expression' : 'Header did not match regular expression', { header: m.header, regexp: m.regexp.source, value_count: values.length });
      return false;
    }
  }
  return true;
}

async function checkBody(text: string, cfg: HttpProbeConfig, signal: AbortSignal, logger: Logger): Promise<boolean> {
  for (const re of cfg.failIfBodyMatchesRegexp) {
    if (await testRegexp(re, text, signal)) {
      logger.error('Body matched regular expression', { regexp: re.source });
      return false;
    }
  }
  for (const re of cfg.failIfBodyNotMatchesRegexp) {
    if (!(await testRegexp(re, text, signal))) {
      logger.error('Body did not match regular expression', { regexp: re.source });
      return false;
    }
  }
  return true;
}

/** What reading a response body gave. */
type BodyRead = Pick<Hop, 'bodyBytes' | 'bodyText' | 'bodyError'>;

/**
 * Reads the body to its end: decoded when the module asks for a compression, counted, kept as
 * text only when a body regexp needs it, and cut at `body_size_limit` (a failure).
 */
async function readBody(response: Dispatcher.ResponseData, cfg: HttpProbeConfig): Promise<BodyRead> {
  const keepText = cfg.failIfBodyMatchesRegexp.length > 0 || cfg.failIfBodyNotMatchesRegexp.length > 0;
  const encoding = headerValue(response.headers, 'content-encoding');
  let stream: NodeJS.ReadableStream = response.body;
  if (cfg.compression !== '' && cfg.compression !== 'identity' && encoding !== undefined && encoding !== 'identity') {
    if (encoding !== cfg.compression) {
      response.body.destroy();
      return { bodyBytes: 0, bodyText: undefined, bodyError: `response Content-Encoding ${JSON.stringify(encoding)} differs from the module's compression ${JSON.stringify(cfg.compression)}` };
    }
    const decoder: Transform = encoding === 'gzip' ? createGunzip() : encoding === 'br' ? createBrotliDecompress() : createInflate();
    stream = response.body.pipe(decoder);
    response.body.on('error', (e) => decoder.destroy(e));
  }
  let bodyBytes = 0;
  let bodyError: string | undefined;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bodyBytes += chunk.length;
      if (cfg.bodySizeLimit > 0 && bodyBytes > cfg.bodySizeLimit) {
        bodyError = `body is larger than body_size_limit (${cfg.bodySizeLimit} bytes)`;
        bodyBytes = cfg.bodySizeLimit;
        break;
      }
      if (keepText) chunks.push(chunk);
    }
  } catch (error) {
    bodyError = describeError(error);
  }
  if (bodyError !== undefined) response.body.destroy();
  return { bodyBytes, bodyText: keepText ? Buffer.concat(chunks).toString('utf8') : undefined, bodyError };
}

/**
 * One request on a fresh connection to the request's address. The connector records connect and
 * TLS times in `timings` (filled even when the request fails) and keeps the TLS socket for metrics.
 */
async function requestOnce(request: HopRequest, timings: HopTimings, cfg: HttpProbeConfig, signal: AbortSignal, logger: Logger): Promise<Hop> {
  const { url, address, method, body, referer } = request;
  // Read at handshake time: once the server closes the connection the peer certificate is gone.
  let tls: TlsSummary | undefined;
  let socket: Socket | undefined;
  const https = url.protocol === 'https:';
  const port = Number(url.port || (https ? 443 : 80));
  const client = new Client(url.origin, {
    pipelining: 1,
    // The probe's deadline is the AbortSignal; undici's own timers would cut it short.
    headersTimeout: 0,
    bodyTimeout: 0,
    connectTimeout: 0,
    keepAliveTimeout: 1,
    connect: (_opts, callback) => {
      timings.connectStart = performance.now();
      let done = false;
      const finish = (error: Error | null, connected?: Socket): void => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        if (error) return callback(error, null);
        socket = connected;
        callback(null, connected as Socket);
      };
      const raw = netConnect({ host: address, port, noDelay: true });
      const onAbort = (): void => {
        raw.destroy();
        finish(signal.reason instanceof Error ? signal.reason : new Error('probe deadline reached'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      raw.once('error', (error) => finish(error));
      raw.once('connect', () => {
        timings.connectDone = performance.now();
        if (!https) return finish(null, raw);
        timings.tlsStart = performance.now();
        const secure = tlsConnect({ ...tlsOptions(cfg.tlsConfig, url.hostname), socket: raw });
        secure.once('error', (error) => finish(error));
        secure.once('secureConnect', () => {
          timings.tlsDone = performance.now();
          tls = summarizeTls(secure);
          finish(null, secure);
        });
      });
    },
  });
  try {
    const headers: Record<string, string> = { 'user-agent': PROBER_USER_AGENT };
    for (const [k, v] of Object.entries(cfg.headers)) headers[k.toLowerCase()] = v;
    if (referer !== undefined) headers.referer = referer;
    if (cfg.compression !== '') headers['accept-encoding'] = cfg.compression;
    if (cfg.basicAuth) headers.authorization = `Basic ${Buffer.from(`${cfg.basicAuth.username}:${cfg.basicAuth.password}`).toString('base64')}`;
    if (cfg.bearerToken !== undefined) headers.authorization = `Bearer ${cfg.bearerToken}`;
    logger.info('Making HTTP request', { url: url.href, host: headers.host ?? url.host });
    const response = await client.request({
      path: `${url.pathname}${url.search}`,
      method,
      headers,
      body,
      signal,
    });
    timings.headers = performance.now();
    logger.info('Received HTTP response', { status_code: response.statusCode });
    const isRedirect = REDIRECT_STATUSES.has(response.statusCode) && response.headers.location !== undefined;
    let read: BodyRead = { bodyBytes: 0, bodyText: undefined, bodyError: undefined };
    if (isRedirect) await response.body.dump({ limit: 1_048_576, signal }).catch(() => undefined);
    else read = await readBody(response, cfg);
    timings.end = performance.now();
    return {
      url,
      status: response.statusCode,
      headers: response.headers,
      tls,
      ...read,
    };
  } finally {
    // Never reuse: the next probe must pay for its own connect and handshake. The socket is
    // closed first and quietly: undici's own ways (Connection: close, destroy with a live
    // socket) pass an Error to socket.destroy(), whose stack is then formatted, which cost
    // about a fifth of the CPU of a probe.
    // Once its socket is gone the client holds nothing; destroying it too would build one more
    // Error per probe.
    if (socket) socket.destroy();
    else client.destroy().catch(() => undefined);
  }
}
