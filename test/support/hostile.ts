/**
 * Hostile HTTP clients for the hardening tests, on loopback: pipelining without reading.
 */
import { connect, type Socket } from 'node:net';

/** Options of {@link pipelineFlood}. */
export interface FloodOptions {
  readonly port: number;
  readonly path: string;
  readonly connections: number;
  /** Pipelined requests written on each connection. */
  readonly requests: number;
  /** Polled every 200 ms; the flood ends when it returns true (e.g. the server logged every drop). */
  readonly done: () => boolean;
  /** The flood ends after this many ms at the latest. */
  readonly timeoutMs: number;
}

/**
 * Opens `connections` sockets, writes `requests` pipelined `GET path` on each and never reads an
 * answer, until `done()` or the timeout; then closes them. Resolves with the ms it took.
 */
export async function pipelineFlood(options: FloodOptions): Promise<number> {
  const { port, path, connections, requests, done, timeoutMs } = options;
  const payload = `GET ${path} HTTP/1.1\r\nHost: flood\r\n\r\n`.repeat(requests);
  const sockets: Socket[] = [];
  for (let i = 0; i < connections; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.pause(); // never read: the answers pile up on the server's side
    socket.on('error', () => undefined);
    socket.on('connect', () => socket.write(payload));
    sockets.push(socket);
  }
  const started = performance.now();
  while (!done() && performance.now() - started < timeoutMs) await new Promise((resolve) => setTimeout(resolve, 200));
  for (const socket of sockets) socket.destroy();
  return performance.now() - started;
}

/** Polls `url` until it answers 200; resolves with the ms it took, rejects after `limitMs`. */
export async function healthyWithin(url: string, limitMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const status = await fetch(url, { signal: AbortSignal.timeout(limitMs) }).then((r) => r.status, () => 0);
    if (status === 200) return performance.now() - started;
    if (performance.now() - started > limitMs) throw new Error(`${url} did not answer 200 within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
