/**
 * Limits that keep a node:http server's memory bounded under a hostile client, shared by hello
 * and the prober.
 *
 * Pipelining: an HTTP/1.1 client may send many requests without reading the answers. node:http
 * parses every request in what it has read and queues each response behind the one before it
 * until that one is handed to the kernel. A client that never reads fills the kernel's buffers,
 * and then every answer waits in the process: node's own backpressure stops reading the socket,
 * but only after the read at hand is parsed, and for a handler that answers later (the prober
 * renders /metrics and runs probes asynchronously) no byte is queued while the handlers run, so
 * node keeps reading: one connection sending 20,000 `GET /metrics` took the prober from 82 to
 * 379 MB. So what is bounded here is the number of queued responses on a connection that are not
 * yet handed to the kernel (`writableFinished` false, whether or not `res.end()` was called);
 * past {@link DEFAULT_MAX_QUEUED_RESPONSES} the connection is dropped. (Counting only responses
 * without `res.end()` left hello, which answers at once, holding every parsed request of its
 * reads: 59-173 MiB and one V8 heap abort in eight floods, and 4 s to 90+ s to answer again.)
 * Browsers, load balancers and Prometheus do not pipeline; a client that does, and has this many
 * answers outstanding, is broken or hostile.
 *
 * The read at hand: node parses all of a read (64 KiB: ~2,000 requests of 31 bytes) in one call
 * and emits each request as it goes, so destroying the socket alone still let node build every
 * remaining request and response of that read, and hold them until the socket's close callback.
 * Flooding connections whose reads arrive together are all parsed in one turn of the event loop:
 * about 1 MiB of heap each, and 100 of them ended hello in a V8 heap abort in one run of eight. So
 * the drop also stops the parse: node asks `parser.onIncoming` (set per connection, reset when the
 * parser is reused) what to do after each request's headers, and a negative answer makes llhttp
 * stop with a parse error, which node handles as for any malformed request on a socket that is
 * already destroyed (it writes nothing; it builds a parse error carrying a copy of the read, short-
 * lived, and the prober logs it at debug level). `parser` and `onIncoming` are internals node:http
 * has long used for this; where they are missing the drop falls back to destroying the socket,
 * and test/common/http-limits.test.ts fails if the parse no longer stops.
 *
 * Cost on the hot path: one comparison per request. node assigns the socket to a response only
 * when no earlier response on the connection is unfinished, so `res.socket === null` means
 * "queued behind another answer"; only such requests are tracked.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Unanswered pipelined requests one connection may have queued before it is dropped. */
export const DEFAULT_MAX_QUEUED_RESPONSES = 32;

const queuedBySocket = new WeakMap<Socket, ServerResponse[]>();

/**
 * Which bound a dropped connection went past: its own, or the whole server's. The server's is a
 * trade-off: a few connections that queue answers and never read can fill it, and then any other
 * pipelining client is dropped at its first queued answer; clients that do not pipeline never
 * queue one.
 */
export interface PipeliningBound {
  readonly scope: 'connection' | 'server';
  readonly limit: number;
}

/**
 * Answers one server holds queued at once, in connections' worth: past `maxQueued` times this, a
 * connection that queues another answer is dropped, however few it has queued itself.
 */
export const QUEUED_CONNECTIONS_PER_SERVER = 8;

/**
 * Wraps a request handler so that a connection with more than `maxQueued` unanswered pipelined
 * requests is destroyed, as is one that would queue an answer while the whole server has
 * {@link QUEUED_CONNECTIONS_PER_SERVER} connections' worth queued; requests read on a destroyed
 * connection do no work.
 */
export function limitPipelining(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  maxQueued = DEFAULT_MAX_QUEUED_RESPONSES,
  onDrop?: (socket: Socket, bound: PipeliningBound) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  const onServer = new QueuedOnServer(maxQueued * QUEUED_CONNECTIONS_PER_SERVER);
  const perConnection: PipeliningBound = { scope: 'connection', limit: maxQueued };
  const perServer: PipeliningBound = { scope: 'server', limit: onServer.max };
  return (req, res) => {
    if (res.socket === null) {
      const socket = req.socket;
      if (socket.destroyed) return; // parsed from the same read as the request that dropped it
      const unanswered = (queuedBySocket.get(socket) ?? []).filter((queued) => !queued.writableFinished);
      const bound = unanswered.length >= maxQueued ? perConnection : onServer.full() ? perServer : undefined;
      if (bound) {
        onDrop?.(socket, bound);
        stopParsing(socket);
        socket.destroy();
        return;
      }
      unanswered.push(res);
      queuedBySocket.set(socket, unanswered);
      onServer.add(res, socket);
    }
    handler(req, res);
  };
}

// The answers queued on one server's connections. Per connection the bound is `maxQueued`, but a
// server accepts up to its connection cap, and an answer can be large (the prober's /metrics):
// 1,000 flooding connections kept the prober's event loop rendering 33,000 answers and ended in a
// heap abort. An answer stops counting once handed to the kernel or when its connection is gone;
// node emits nothing for a queued answer whose connection closes, so those are swept when the
// bound is reached rather than on an event.
class QueuedOnServer {
  private readonly queued = new Map<ServerResponse, Socket>();

  constructor(readonly max: number) {}

  add(res: ServerResponse, socket: Socket): void {
    this.queued.set(res, socket);
  }

  full(): boolean {
    if (this.queued.size < this.max) return false;
    for (const [res, socket] of this.queued) if (res.writableFinished || socket.destroyed) this.queued.delete(res);
    return this.queued.size >= this.max;
  }
}

/** What node:http's request parser exposes on a server socket (internals, see above). */
interface ParsingSocket {
  parser?: { onIncoming?: unknown } | null;
}

// llhttp stops at a negative answer from the headers-complete callback.
const STOP = (): number => -1;

// Stops node from parsing the rest of the read at hand on a connection being dropped.
function stopParsing(socket: Socket): void {
  const parser = (socket as Socket & ParsingSocket).parser;
  if (parser && typeof parser.onIncoming === 'function') parser.onIncoming = STOP;
}

/**
 * Connections a server accepts at once unless configured otherwise; past it node closes new
 * connections at once, which a load balancer retries elsewhere. Measured for hello: an idle
 * keep-alive connection costs 15-24 KiB of RSS (8,000 and 2,000 connections above a 62 MiB
 * baseline; `node bench/scripts/connection-memory.js`, docs/SECURITY.md), so the cap's worth of
 * connections adds at most ~24 MiB: an eighth of a 192 MiB pod limit.
 */
export const DEFAULT_MAX_CONNECTIONS = 1024;
