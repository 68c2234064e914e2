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
 * answers outstanding, is broken or hostile. What stays unbounded is the read at hand: node
 * parses all of it (up to 64 KiB, ~1,900 minimal requests) before the connection can be dropped.
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
 * Wraps a request handler so that a connection with more than `maxQueued` unanswered pipelined
 * requests is destroyed, and requests read on a destroyed connection do no work.
 */
export function limitPipelining(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  maxQueued = DEFAULT_MAX_QUEUED_RESPONSES,
  onDrop?: (socket: Socket) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (res.socket === null) {
      const socket = req.socket;
      if (socket.destroyed) return; // parsed from the same read as the request that dropped it
      const unanswered = (queuedBySocket.get(socket) ?? []).filter((queued) => !queued.writableFinished);
      if (unanswered.length >= maxQueued) {
        onDrop?.(socket);
        socket.destroy();
        return;
      }
      unanswered.push(res);
      queuedBySocket.set(socket, unanswered);
    }
    handler(req, res);
  };
}

/**
 * Connections a server accepts at once unless configured otherwise; past it node closes new
 * connections at once, which a load balancer retries elsewhere. Measured for hello: an idle
 * keep-alive connection costs 15-24 KiB of RSS (8,000 and 2,000 connections above a 62 MiB
 * baseline; `node bench/scripts/connection-memory.js`, docs/SECURITY.md), so the cap's worth of
 * connections adds at most ~24 MiB: an eighth of a 192 MiB pod limit.
 */
export const DEFAULT_MAX_CONNECTIONS = 1024;
