import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { ConfigError, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_QUEUED_RESPONSES, describeError, limitPipelining, quoteValue, type Logger, type ProbeRequestError } from '../common/index.js';
import type { ProberConfig } from './config/types.js';
import { PROBER_DEFAULT_PORT, PROBER_PATHS } from './contract.js';
import { renderProbeDebug, renderProbeMetrics, runProbe } from './handler.js';
import { selfMetric } from './metrics.js';
import { redactUrlCredentials } from './redact.js';
import { holdConfig, type ReloadResult, type SafeConfig } from './safe-config.js';

/** Options of {@link startProberServer}. */
export interface ProberServerOptions {
  /** The config to serve: one already loaded, or a holder from `loadSafeConfig`. */
  readonly config: ProberConfig | SafeConfig;
  /** File re-read on reload when `config` is a plain config; without it reload fails with a reason. */
  readonly configFile?: string | undefined;
  /** `host:port`, `[v6]:port` or `:port`. Default `:9115`. */
  readonly listenAddress?: string;
  /** Seconds subtracted from the scrape timeout. Default 0.5. */
  readonly timeoutOffsetSeconds?: number;
  readonly logger: Logger;
}

/** A running prober. */
export interface ProberServer {
  readonly server: Server;
  /** Base URL, e.g. `http://127.0.0.1:9115`. */
  readonly url: string;
  /** The config in force. */
  config(): ProberConfig;
  /** Re-reads the config file; a bad file is refused and the old config stays. */
  reload(): Promise<ReloadResult>;
  /** Resolves once every scheduled target has been probed once. */
  firstRound(): Promise<void>;
  /** Stops the scheduler, closes the listener and open connections. */
  close(): Promise<void>;
}

/**
 * Parses `--web.listen-address`: `host:port`, `[v6]:port` or `:port` (all interfaces).
 * @throws ConfigError naming the flag.
 */
export function parseListenAddress(text: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new ConfigError('--web.listen-address', `${quoteValue(text)} is not allowed; use host:port, [v6]:port or :port, e.g. 127.0.0.1:${PROBER_DEFAULT_PORT}`);
  }
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

/** Starts the prober's HTTP server (and the scheduler when the config has targets). */
export async function startProberServer(options: ProberServerOptions): Promise<ProberServer> {
  const { logger } = options;
  const safe = 'current' in options.config ? options.config : holdConfig(options.config, { file: options.configFile, logger });
  const routes = createRoutes(safe, options.timeoutOffsetSeconds, logger);
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    routes(req, res).catch((error: unknown) => {
      logger.error('request failed', { path: redactUrlCredentials(req.url ?? ''), err: describeError(error) });
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error\n');
      else res.destroy();
    });
  };
  const server = createServer(
    {
      requestTimeout: 300_000,
      headersTimeout: HEADERS_TIMEOUT_MS,
      keepAliveTimeout: 65_000,
      maxHeaderSize: 16_384,
      // node checks the two timeouts above only this often (30 s by default), which would let a
      // slowloris client hold a socket far past headersTimeout.
      connectionsCheckingInterval: 1000,
    },
    // A client that pipelines requests and never reads the answers would otherwise make the
    // prober hold every pending answer (/metrics and /probe answer later, so node keeps reading).
    limitPipelining(onRequest, DEFAULT_MAX_QUEUED_RESPONSES, (socket, bound) =>
      logger.warn('dropped a connection with too many unanswered pipelined requests', { remote: socket.remoteAddress, bound: bound.scope, limit: bound.limit }),
    ),
  );
  // Past the cap node closes new connections at once; without one, memory has no bound.
  server.maxConnections = DEFAULT_MAX_CONNECTIONS;
  server.on('clientError', (error, socket) => {
    // Malformed requests get a plain answer instead of a silent reset.
    const status = CLIENT_ERROR_STATUS[(error as { code?: string }).code ?? ''] ?? '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    logger.debug('client error', { err: describeError(error) });
  });
  const { host, port } = parseListenAddress(options.listenAddress ?? `:${PROBER_DEFAULT_PORT}`);
  server.listen({ host, port });
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const shownHost = host === undefined || address.address === '::' || address.address === '0.0.0.0' ? '127.0.0.1' : address.address;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`;
  return {
    server,
    url,
    config: () => safe.current(),
    reload: () => safe.reload(),
    firstRound: () => safe.firstRound(),
    async close() {
      safe.stop();
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

/** How long a client may take to send a request's headers (a slowloris client is cut then, with 408). */
const HEADERS_TIMEOUT_MS = 10_000;

/** Status lines for node's client errors; any other is 400. */
const CLIENT_ERROR_STATUS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * One render for every caller that asks while it runs. Rendering /metrics reads /proc, the heap
 * statistics and the event-loop histogram: milliseconds each time, and 1,000 connections
 * pipelining /metrics kept the prober rendering for over a minute after they closed. A scrape
 * that arrives mid-render gets that render's values, at most one render's time old.
 */
function shareWhileRunning(render: () => Promise<string>): () => Promise<string> {
  let running: Promise<string> | undefined;
  return () => (running ??= render().finally(() => (running = undefined)));
}

/** The prober's routes: `/probe`, `/metrics`, health, readiness and reload. */
function createRoutes(safe: SafeConfig, timeoutOffsetSeconds: number | undefined, logger: Logger): Handler {
  const own = new Registry();
  collectDefaultMetrics({ register: own });
  // These three are gauges named *_total, which promtool (rightly) flags; they add little.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) own.removeSingleMetric(name);
  const probe = createProbeHandler(safe, own, timeoutOffsetSeconds, logger);
  const renderMetrics = shareWhileRunning(async () => (await own.metrics()) + (await safe.metrics()));
  const compress = compressOnce();
  return async (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://prober.invalid');
    } catch {
      return sendText(res, 400, 'Bad request URL\n');
    }
    const method = req.method ?? 'GET';
    const readable = method === 'GET' || method === 'HEAD';
    switch (url.pathname) {
      case PROBER_PATHS.probe:
        if (!readable) return sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
        return probe(req, res, url.searchParams);
      case PROBER_PATHS.metrics:
        if (!readable) return sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
        return sendMetrics(req, res, await renderMetrics(), own.contentType, compress);
      case PROBER_PATHS.healthy:
        return sendText(res, 200, 'Healthy\n');
      case PROBER_PATHS.ready:
        return sendText(res, 200, 'Ready\n');
      case PROBER_PATHS.reload: {
        if (method !== 'POST' && method !== 'PUT') return sendText(res, 405, 'This endpoint requires a POST request.\n', { Allow: 'POST' });
        const result = await safe.reload();
        return result.ok ? sendText(res, 200, 'Config reloaded\n') : sendText(res, 500, `failed to reload config: ${result.error}\n`);
      }
      case '/':
        return sendText(res, 200, `hello-prober (blackbox exporter compatible)\n\n${PROBER_PATHS.probe}?target=http://127.0.0.1:8080/&module=http_2xx[&debug=true]\n${PROBER_PATHS.metrics}\n${PROBER_PATHS.healthy}  ${PROBER_PATHS.ready}  POST ${PROBER_PATHS.reload}\n`);
      default:
        return sendText(res, 404, 'Not Found\n');
    }
  };
}

/** `/probe`: the concurrency limit, the probe, its metrics or debug page, and the counters. */
function createProbeHandler(safe: SafeConfig, own: Registry, timeoutOffsetSeconds: number | undefined, logger: Logger) {
  const unknownModule = new Counter({ ...selfMetric('blackbox_module_unknown_total'), registers: [own] });
  const probes = new Counter({ ...selfMetric('prober_probes_total'), labelNames: ['module'], registers: [own] });
  const probeFailures = new Counter({ ...selfMetric('prober_probe_failures_total'), labelNames: ['module'], registers: [own] });
  const rejected = new Counter({ ...selfMetric('prober_probes_rejected_total'), registers: [own] });
  const inFlightGauge = new Gauge({ ...selfMetric('prober_probes_in_flight'), registers: [own] });
  let inFlight = 0;
  return async (req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> => {
    const config = safe.current();
    const limit = config.limits.maxConcurrentProbes;
    if (inFlight >= limit) {
      rejected.inc();
      return sendText(res, 503, `Too many probes in flight (limit ${limit}); retry later\n`, { 'Retry-After': String(config.limits.retryAfterSeconds) });
    }
    const header = req.headers['x-prometheus-scrape-timeout-seconds'];
    const params = { target: query.get('target') ?? undefined, module: query.get('module') ?? undefined, scrapeTimeoutHeader: Array.isArray(header) ? header[0] : header, timeoutOffsetSeconds };
    // A client that hangs up (a scrape timeout) aborts its probe.
    const gone = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) gone.abort(new Error('client closed the connection'));
    };
    res.once('close', onClose);
    inFlightGauge.set(++inFlight);
    try {
      const outcome = await runProbe(config, params, logger, gone.signal);
      probes.labels({ module: outcome.module.name }).inc();
      if (!outcome.success) probeFailures.labels({ module: outcome.module.name }).inc();
      if (query.get('debug') === 'true') sendText(res, 200, await renderProbeDebug(outcome));
      else sendMetrics(req, res, await renderProbeMetrics(outcome), outcome.registry.contentType, gzipSync);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== 'HELLO_ERR_PROBE_REQUEST' && code !== 'HELLO_ERR_UNKNOWN_MODULE') throw error;
      if (code === 'HELLO_ERR_UNKNOWN_MODULE') unknownModule.inc();
      const refused = error as ProbeRequestError;
      logger.debug('probe request refused', { status: refused.status, err: refused.message });
      sendText(res, refused.status, `${refused.message}\n`);
    } finally {
      inFlightGauge.set(--inFlight);
      res.off('close', onClose);
    }
  };
}

function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  const payload = Buffer.from(body);
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(payload.length), ...headers });
  res.end(payload);
}

/** Gzips a /metrics body, once for all the scrapes that share its render (the last one is kept). */
function compressOnce(): (body: string) => Buffer {
  let last: { readonly body: string; readonly gzipped: Buffer } | undefined;
  return (body) => {
    if (last?.body !== body) last = { body, gzipped: gzipSync(body) };
    return last.gzipped;
  };
}

function sendMetrics(req: IncomingMessage, res: ServerResponse, body: string, contentType: string, compress: (body: string) => Buffer): void {
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  // Each answer sends the shared render (as the string, or its one compressed Buffer): a Buffer
  // per answer is an ArrayBuffer each, garbage V8 collects only at a full GC, and a flood of
  // scrapes piled up 70-116 MiB of it.
  const payload = gzip ? compress(body) : body;
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(payload)), ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
  res.end(payload);
}
