import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { ConfigError, describeError, type ProbeRequestError, quoteValue, type Logger } from '../common/index.js';
import { loadProberConfig } from './config/load.js';
import type { ProberConfig } from './config/types.js';
import { PROBER_DEFAULT_PORT, PROBER_PATHS } from './contract.js';
import { selfMetric } from './metrics.js';
import { renderProbeDebug, renderProbeMetrics, runProbe } from './handler.js';
import { startScheduler, type Scheduler } from './scheduler.js';

/** Options of {@link startProberServer}. */
export interface ProberServerOptions {
  /** The config to start with (already validated). */
  readonly config: ProberConfig;
  /** File re-read on reload (SIGHUP, `POST /-/reload`); without it reload fails with a reason. */
  readonly configFile?: string | undefined;
  /** `host:port`, `[v6]:port` or `:port`. Default `:9115`. */
  readonly listenAddress?: string;
  /** Seconds subtracted from the scrape timeout. Default 0.5. */
  readonly timeoutOffsetSeconds?: number;
  readonly logger: Logger;
}

/** What a reload ended with. */
export interface ReloadResult {
  readonly ok: boolean;
  /** Why the new config was refused (the old one stays in force). */
  readonly error?: string;
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
  const logger = options.logger;
  let config = options.config;
  const own = new Registry();
  collectDefaultMetrics({ register: own });
  // These three are gauges named *_total, which promtool (rightly) flags; they add little.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) own.removeSingleMetric(name);
  const reloadOk = new Gauge({ ...selfMetric('blackbox_exporter_config_last_reload_successful'), registers: [own] });
  const reloadTime = new Gauge({ ...selfMetric('blackbox_exporter_config_last_reload_success_timestamp_seconds'), registers: [own] });
  const unknownModule = new Counter({ ...selfMetric('blackbox_module_unknown_total'), registers: [own] });
  const probes = new Counter({ ...selfMetric('prober_probes_total'), labelNames: ['module'], registers: [own] });
  const probeFailures = new Counter({ ...selfMetric('prober_probe_failures_total'), labelNames: ['module'], registers: [own] });
  const rejected = new Counter({ ...selfMetric('prober_probes_rejected_total'), registers: [own] });
  const inFlightGauge = new Gauge({ ...selfMetric('prober_probes_in_flight'), registers: [own] });
  reloadOk.set(1);
  reloadTime.set(Date.now() / 1000);
  let inFlight = 0;
  let scheduler: Scheduler = startScheduler(config, logger.child({ component: 'scheduler' }));

  const reload = async (): Promise<ReloadResult> => {
    if (options.configFile === undefined) {
      const error = 'no config file to reload from (the config was given in memory)';
      logger.error('Error reloading config', { err: error });
      return { ok: false, error };
    }
    try {
      const next = loadProberConfig(options.configFile);
      config = next;
      scheduler.stop();
      scheduler = startScheduler(config, logger.child({ component: 'scheduler' }));
      reloadOk.set(1);
      reloadTime.set(Date.now() / 1000);
      logger.info('Loaded config file', { file: options.configFile, modules: Object.keys(config.modules).length, targets: config.targets.length });
      return { ok: true };
    } catch (error) {
      reloadOk.set(0);
      logger.error('Error reloading config', { file: options.configFile, err: describeError(error) });
      return { ok: false, error: describeError(error) };
    }
  };

  const text = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    const payload = Buffer.from(body);
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(payload.length), ...headers });
    res.end(payload);
  };
  const metricsText = (req: IncomingMessage, res: ServerResponse, body: string, contentType: string): void => {
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const payload = gzip ? gzipSync(body) : Buffer.from(body);
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': String(payload.length), ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
    res.end(payload);
  };

  const handleProbe = async (req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> => {
    const limit = config.limits.maxConcurrentProbes;
    if (inFlight >= limit) {
      rejected.inc();
      text(res, 503, `Too many probes in flight (limit ${limit}); retry later\n`, { 'Retry-After': String(config.limits.retryAfterSeconds) });
      return;
    }
    const header = req.headers['x-prometheus-scrape-timeout-seconds'];
    const params = {
      target: query.get('target') ?? undefined,
      module: query.get('module') ?? undefined,
      scrapeTimeoutHeader: Array.isArray(header) ? header[0] : header,
      timeoutOffsetSeconds: options.timeoutOffsetSeconds,
    };
    // A client that hangs up (a scrape timeout) aborts its probe.
    const gone = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) gone.abort(new Error('client closed the connection'));
    };
    res.once('close', onClose);
    inFlight += 1;
    inFlightGauge.set(inFlight);
    try {
      const outcome = await runProbe(config, params, logger, gone.signal);
      probes.labels({ module: outcome.module.name }).inc();
      if (!outcome.success) probeFailures.labels({ module: outcome.module.name }).inc();
      if (query.get('debug') === 'true') {
        text(res, 200, await renderProbeDebug(outcome));
      } else {
        metricsText(req, res, await renderProbeMetrics(outcome), outcome.registry.contentType);
      }
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== 'HELLO_ERR_PROBE_REQUEST' && code !== 'HELLO_ERR_UNKNOWN_MODULE') throw error;
      if (code === 'HELLO_ERR_UNKNOWN_MODULE') unknownModule.inc();
      const refused = error as ProbeRequestError;
      logger.debug('probe request refused', { status: refused.status, err: refused.message });
      text(res, refused.status, `${refused.message}\n`);
      return;
    } finally {
      inFlight -= 1;
      inFlightGauge.set(inFlight);
      res.off('close', onClose);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://prober.invalid');
    } catch {
      text(res, 400, 'Bad request URL\n');
      return;
    }
    const method = req.method ?? 'GET';
    const readable = method === 'GET' || method === 'HEAD';
    switch (url.pathname) {
      case PROBER_PATHS.probe:
        if (!readable) return text(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
        return handleProbe(req, res, url.searchParams);
      case PROBER_PATHS.metrics: {
        if (!readable) return text(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
        const body = (await own.metrics()) + (await scheduler.registry.metrics());
        return metricsText(req, res, body, own.contentType);
      }
      case PROBER_PATHS.healthy:
        return text(res, 200, 'Healthy\n');
      case PROBER_PATHS.ready:
        return text(res, 200, 'Ready\n');
      case PROBER_PATHS.reload: {
        if (method !== 'POST' && method !== 'PUT') return text(res, 405, 'This endpoint requires a POST request.\n', { Allow: 'POST' });
        const result = await reload();
        return result.ok ? text(res, 200, 'Config reloaded\n') : text(res, 500, `failed to reload config: ${result.error}\n`);
      }
      case '/':
        return text(res, 200, `hello-prober (blackbox exporter compatible)\n\n${PROBER_PATHS.probe}?target=http://127.0.0.1:8080/&module=http_2xx[&debug=true]\n${PROBER_PATHS.metrics}\n${PROBER_PATHS.healthy}  ${PROBER_PATHS.ready}  POST ${PROBER_PATHS.reload}\n`);
      default:
        return text(res, 404, 'Not Found\n');
    }
  };

  const server = createServer({ requestTimeout: 300_000, headersTimeout: 10_000, keepAliveTimeout: 65_000, maxHeaderSize: 16_384 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('request failed', { path: req.url, err: describeError(error) });
      if (!res.headersSent) text(res, 500, 'Internal Server Error\n');
      else res.destroy();
    });
  });
  server.on('clientError', (error, socket) => {
    // Malformed requests get a plain 400 instead of a silent reset.
    const status = (error as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
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
    config: () => config,
    reload,
    firstRound: () => scheduler.firstRound(),
    async close() {
      scheduler.stop();
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
