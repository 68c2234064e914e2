import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { AddressInUseError, limitPipelining, type Logger } from '../common/index.js';
import { HELLO_BODY, HELLO_PATHS } from './contract.js';
import type { HelloConfig } from './config.js';

/** Where the service is in its life. */
export type HelloPhase = 'serving' | 'draining' | 'closing' | 'closed';

/** What a shutdown ended with. */
export interface ShutdownResult {
  /** True when every connection ended before the deadline. */
  readonly clean: boolean;
  /** Milliseconds from the start of the shutdown to its end. */
  readonly durationMs: number;
  /** Connections destroyed at the deadline (0 when clean). */
  readonly forcedConnections: number;
}

/** A running hello service. */
export interface HelloService {
  /** The underlying server, for tests and for callers that need its events. */
  readonly server: Server;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  phase(): HelloPhase;
  /**
   * Drains and stops: readiness turns 503 at once, requests keep being served (with
   * `Connection: close`) for the drain delay, then the listener closes, idle connections are
   * closed and in-flight requests finish. Resolves when all connections are gone or the
   * shutdown deadline destroyed what was left. Calling it again returns the same promise.
   */
  shutdown(reason: string): Promise<ShutdownResult>;
}

// Responses are prebuilt once: the request path is the hot path and every allocation costs
// throughput. Header arrays skip node's per-call header object normalisation.
const TEXT = 'text/plain; charset=utf-8';
const HELLO = Buffer.from(HELLO_BODY);
const OK = Buffer.from('ok\n');
const NOT_READY = Buffer.from('draining\n');
const NOT_FOUND = Buffer.from('Not Found\n');
const NOT_ALLOWED = Buffer.from('Method Not Allowed\n');
const headers = (body: Buffer, extra: string[] = []): string[] => ['Content-Type', TEXT, 'Content-Length', String(body.length), ...extra];
const HELLO_HEADERS = headers(HELLO);
const OK_HEADERS = headers(OK, ['Cache-Control', 'no-store']);
const NOT_READY_HEADERS = headers(NOT_READY, ['Cache-Control', 'no-store']);
const NOT_FOUND_HEADERS = headers(NOT_FOUND);
const NOT_ALLOWED_HEADERS = headers(NOT_ALLOWED, ['Allow', 'GET, HEAD']);

/** Where a running service is in its life; the handler reads it on every request. */
interface ServiceState {
  phase: HelloPhase;
}

/**
 * Starts the hello service and resolves once it listens.
 * The caller owns signals; see `runHelloProcess` for the process wiring.
 */
export async function startHelloService(config: HelloConfig, logger: Logger): Promise<HelloService> {
  const state: ServiceState = { phase: 'serving' };
  const server = createHelloServer(config, createHandler(state, config.accessLog ? logger : undefined), logger);

  // Track sockets so a shutdown can wait for them, and destroy them at the deadline.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  server.listen(config.port, config.host);
  await once(server, 'listening').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    throw new AddressInUseError(`${config.host}:${config.port} is in use by another process (EADDRINUSE)`, { cause: error });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let shutdownPromise: Promise<ShutdownResult> | undefined;
  return {
    server,
    url: `http://${hostForUrl}:${address.port}`,
    port: address.port,
    phase: () => state.phase,
    shutdown: (reason: string) => (shutdownPromise ??= drainAndClose({ server, sockets, state, config, logger }, reason)),
  };
}

// The request handler: hello's three routes, prebuilt answers, `Connection: close` once draining.
function createHandler(state: ServiceState, accessLogger: Logger | undefined): (req: IncomingMessage, res: ServerResponse) => void {
  const send = (req: IncomingMessage, res: ServerResponse, status: number, head: string[], body: Buffer): void => {
    // Once draining, every response asks the client to reconnect, so keep-alive clients move
    // to other pods while this one is still answering.
    res.writeHead(status, state.phase === 'serving' ? head : [...head, 'Connection', 'close']);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const rawUrl = req.url ?? '/';
    const query = rawUrl.indexOf('?');
    const path = query === -1 ? rawUrl : rawUrl.slice(0, query);
    const readable = req.method === 'GET' || req.method === 'HEAD';
    switch (path) {
      case HELLO_PATHS.root:
        if (readable) return send(req, res, 200, HELLO_HEADERS, HELLO);
        return send(req, res, 405, NOT_ALLOWED_HEADERS, NOT_ALLOWED);
      case HELLO_PATHS.liveness:
        if (readable) return send(req, res, 200, OK_HEADERS, OK);
        return send(req, res, 405, NOT_ALLOWED_HEADERS, NOT_ALLOWED);
      case HELLO_PATHS.readiness:
        if (!readable) return send(req, res, 405, NOT_ALLOWED_HEADERS, NOT_ALLOWED);
        if (state.phase === 'serving') return send(req, res, 200, OK_HEADERS, OK);
        return send(req, res, 503, NOT_READY_HEADERS, NOT_READY);
      default:
        return send(req, res, 404, NOT_FOUND_HEADERS, NOT_FOUND);
    }
  };
  if (!accessLogger) return handle;

  return (req: IncomingMessage, res: ServerResponse): void => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      accessLogger.info('request', {
        method: req.method,
        path: req.url,
        status: res.statusCode,
        duration_ms: Number(process.hrtime.bigint() - start) / 1e6,
        remote: req.socket.remoteAddress,
      });
    });
    handle(req, res);
  };
}

// node:http with the timeouts, header cap, connection cap and pipelining bound of the config.
function createHelloServer(config: HelloConfig, handler: (req: IncomingMessage, res: ServerResponse) => void, logger: Logger): Server {
  const server = createServer(
    {
      keepAliveTimeout: config.keepAliveTimeoutMs,
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      maxHeaderSize: config.maxHeaderSize,
      // node checks the two timeouts above only this often (30 s by default), which would let
      // a slowloris client hold a socket far past headersTimeout.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.headersTimeoutMs / 4))),
    },
    limitPipelining(handler, config.maxQueuedResponses, (socket, bound) =>
      logger.warn('dropped a connection with too many unanswered pipelined requests', { remote: socket.remoteAddress, bound: bound.scope, limit: bound.limit }),
    ),
  );
  // Past the cap node closes new connections at once; without one, memory has no bound.
  if (config.maxConnections > 0) server.maxConnections = config.maxConnections;
  return server;
}

/** What a drain works on. */
interface Draining {
  readonly server: Server;
  readonly sockets: ReadonlySet<Socket>;
  readonly state: ServiceState;
  readonly config: HelloConfig;
  readonly logger: Logger;
}

// Readiness 503 and `Connection: close` for the drain delay, then close the listener and idle
// sockets, let in-flight requests finish, and destroy what is left at the deadline.
async function drainAndClose({ server, sockets, state, config, logger }: Draining, reason: string): Promise<ShutdownResult> {
  const started = performance.now();
  const deadline = started + config.shutdownTimeoutMs;
  state.phase = 'draining';
  logger.info('shutdown: draining, readiness now 503', { reason, drain_delay_ms: config.drainDelayMs, connections: sockets.size });
  await sleep(config.drainDelayMs);

  state.phase = 'closing';
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // close() already closes idle keep-alive sockets (node >= 19); busy ones end after their
  // response because it carries `Connection: close`.
  server.closeIdleConnections();
  logger.info('shutdown: listener closed, finishing in-flight requests', { connections: sockets.size });

  const remaining = deadline - performance.now();
  const finished = await Promise.race([closed.then(() => true), sleep(Math.max(0, remaining)).then(() => false)]);
  const forcedConnections = finished ? 0 : sockets.size;
  if (!finished) {
    logger.error('shutdown: deadline reached, destroying connections', { connections: sockets.size });
    server.closeAllConnections();
    for (const socket of sockets) socket.destroy();
  }
  state.phase = 'closed';
  const durationMs = Math.round(performance.now() - started);
  logger.info('shutdown: done', { clean: finished, duration_ms: durationMs });
  return { clean: finished, durationMs, forcedConnections };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
