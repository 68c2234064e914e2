import { connect as netConnect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Registry } from 'prom-client';
import { describeError } from '../../common/index.js';
import type { TlsConfig } from '../config/types.js';
import { probeGauge } from '../metrics.js';
import { execRegexp, expandTemplate, type ProbeRegexp, type RegexpMatch } from '../regexp.js';
import type { ProbeFn } from '../types.js';
import { resolveTarget } from './resolve.js';
import { registerTlsMetrics, summarizeTls, tlsOptions } from './tls.js';

/**
 * Probes `host:port` the way the exporter's `tcp` prober does: connect (optionally TLS from the
 * start), then run the `query_response` steps (expect a line matching a regexp, send a line,
 * upgrade with STARTTLS). Returns false, with the reason logged, on any failure.
 */
export const probeTcp: ProbeFn = async (target, module, registry, signal, logger) => {
  const cfg = module.tcp;
  const regexGauge = probeGauge(registry, 'probe_failed_due_to_regex');
  regexGauge.set(0);
  const hostPort = splitHostPort(target);
  if (!hostPort) {
    logger.error('Target is not host:port', { target });
    return false;
  }
  const resolved = await resolveTarget(hostPort.host, cfg.preferredIpProtocol, cfg.ipProtocolFallback, module, registry, signal, logger);
  if (resolved.address === undefined) return false;

  let socket: Socket | undefined;
  try {
    logger.info(cfg.tls ? 'Dialing TCP with TLS' : 'Dialing TCP without TLS', { address: resolved.address, port: hostPort.port });
    socket = await dial(resolved.address, hostPort.port, signal);
    if (cfg.tls) {
      socket = await upgrade(socket, cfg.tlsConfig, hostPort.host, signal);
      registerTls(registry, socket as TLSSocket);
    }
  } catch (error) {
    // A failed TLS upgrade leaves the plain socket open; close it here, not at GC time.
    socket?.destroy();
    logger.error('Error dialing TCP', { err: describeError(error) });
    return false;
  }
  logger.info('Successfully dialed');
  try {
    const lines = lineReader(socket, signal);
    for (const [i, step] of cfg.queryResponse.entries()) {
      let send = step.send ?? '';
      if (step.expect) {
        const match = await expectLine(lines, step.expect, signal);
        if (!match) {
          logger.error('Regexp did not match', { regexp: step.expect.source, step: i });
          regexGauge.set(1);
          return false;
        }
        logger.info('Regexp matched', { regexp: step.expect.source, line: match.groups[0] ?? '' });
        // As the exporter: `send` may use the groups of this step's `expect` (`${1}`, `$name`).
        send = expandTemplate(send, match);
      }
      if (send !== '') {
        logger.info('Sending line', { line: send });
        await write(socket, `${send}\n`);
      }
      if (step.starttls) {
        lines.detach();
        socket = await upgrade(socket, cfg.tlsConfig, hostPort.host, signal);
        registerTls(registry, socket as TLSSocket);
        logger.info('TLS upgrade done');
        Object.assign(lines, lineReader(socket, signal));
      }
    }
    return true;
  } catch (error) {
    logger.error('Error during query/response', { err: describeError(error) });
    return false;
  } finally {
    socket.destroy();
  }
};

function registerTls(registry: Registry, socket: TLSSocket): void {
  const summary = summarizeTls(socket);
  if (summary) registerTlsMetrics(registry, summary);
}

/** Splits `host:port` / `[v6]:port`; undefined when the port is missing or not a port. */
export function splitHostPort(target: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(target) ?? /^([^:[\]/\s]+):(\d{1,5})$/.exec(target);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  // Decimal and hex IPv4 forms (2130706433, 0x7f.1) are normalised by the WHATWG parser, so the
  // policy sees the real address.
  let host = m[1] as string;
  if (/^[0-9a-fx.]+$/i.test(host) && !host.includes(':')) {
    try {
      host = new URL(`http://${host}/`).hostname;
    } catch {
      return undefined;
    }
  }
  return { host, port };
}

function dial(address: string, port: number, signal: AbortSignal): Promise<Socket> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return settled(netConnect({ host: address, port, noDelay: true }), 'connect', signal);
}

function upgrade(socket: Socket, config: TlsConfig, host: string, signal: AbortSignal): Promise<TLSSocket> {
  return settled(tlsConnect({ ...tlsOptions(config, host), socket }), 'secureConnect', signal);
}

/**
 * Resolves with `socket` once it emits `event`; rejects on its first error, or destroys it and
 * rejects when `signal` aborts first.
 */
function settled<T extends Socket>(socket: T, event: 'connect' | 'secureConnect', signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      socket.destroy();
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      reject(e);
    });
    socket.once(event, () => {
      signal.removeEventListener('abort', onAbort);
      resolve(socket);
    });
  });
}

function write(socket: Socket, text: string): Promise<void> {
  return new Promise((resolve, reject) => socket.write(text, (e) => (e ? reject(e) : resolve())));
}

/** Lines from a socket, pulled one at a time; `null` at end of stream. */
interface LineReader {
  next(): Promise<string | null>;
  detach(): void;
}

/**
 * Longest line read (Go's bufio.Scanner limit, which the exporter has): a longer one fails the
 * probe instead of growing the buffer, and bounds the work of matching one line.
 */
export const MAX_LINE_LENGTH = 64 * 1024;

function lineReader(socket: Socket, signal: AbortSignal): LineReader {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (chunk: Buffer): void => {
    buffer += decoder.write(chunk);
    poke();
  };
  const onEnd = (): void => {
    ended = true;
    poke();
  };
  const onError = (e: Error): void => {
    failure = e;
    poke();
  };
  const onAbort = (): void => {
    failure = signal.reason instanceof Error ? signal.reason : new Error('probe deadline reached');
    poke();
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onEnd);
  socket.on('error', onError);
  signal.addEventListener('abort', onAbort, { once: true });
  return {
    async next() {
      for (;;) {
        const nl = buffer.indexOf('\n');
        if (nl !== -1) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          return line;
        }
        if (failure) throw failure;
        if (buffer.length >= MAX_LINE_LENGTH) throw new Error(`line longer than ${MAX_LINE_LENGTH} characters`);
        if (ended) {
          if (buffer === '') return null;
          const rest = buffer;
          buffer = '';
          return rest;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    detach() {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    },
  };
}

async function expectLine(lines: LineReader, re: ProbeRegexp, signal: AbortSignal): Promise<RegexpMatch | undefined> {
  for (;;) {
    const line = await lines.next();
    if (line === null) return undefined;
    const match = await execRegexp(re, line, signal);
    if (match) return match;
  }
}
