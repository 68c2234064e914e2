import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Registry } from 'prom-client';
import { describeError, type Logger } from '../../common/index.js';
import type { IpProtocol, Module } from '../config/types.js';
import { ipAddressHash, roundSeconds, setProbeGauge } from '../metrics.js';

/** A resolved target address. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
  /** Seconds spent resolving (0 for IP literals, apart from bookkeeping). */
  readonly lookupSeconds: number;
}

/**
 * Resolves `host` the exporter's way: the preferred family first, the other one only when
 * fallback is on. Registers `probe_ip_protocol`, `probe_ip_addr_hash` and
 * `probe_dns_lookup_time_seconds`, then checks the address against the target policy (after
 * resolution, so a DNS name cannot point a probe at a refused address).
 * Returns undefined, with the reason logged, when the host cannot be used.
 */
export async function resolveTarget(
  host: string,
  preferred: IpProtocol,
  fallback: boolean,
  module: Module,
  registry: Registry | undefined,
  signal: AbortSignal,
  logger: Logger,
): Promise<ResolvedAddress | undefined> {
  const bare = host.replace(/^\[|\]$/g, '');
  const started = performance.now();
  logger.info('Resolving target address', { target: bare, ip_protocol: preferred });
  let candidates: { address: string; family: number }[];
  const literal = isIP(bare);
  if (literal !== 0) {
    candidates = [{ address: bare, family: literal }];
  } else {
    try {
      candidates = await abortable(lookup(bare, { all: true, verbatim: true }), signal);
    } catch (error) {
      logger.error('Error resolving address', { target: bare, err: describeError(error) });
      return undefined;
    }
  }
  const want = preferred === 'ip6' ? 6 : 4;
  let chosen = candidates.find((c) => c.family === want);
  if (!chosen && (fallback || literal !== 0)) chosen = candidates[0];
  const lookupSeconds = roundSeconds((performance.now() - started) / 1000);
  if (!chosen) {
    logger.error('Resolution with IP protocol failed', { target: bare, ip_protocol: preferred });
    return undefined;
  }
  const family = chosen.family === 6 ? 6 : 4;
  if (registry) {
    setProbeGauge(registry, 'probe_ip_protocol', family);
    setProbeGauge(registry, 'probe_ip_addr_hash', ipAddressHash(chosen.address));
    setProbeGauge(registry, 'probe_dns_lookup_time_seconds', lookupSeconds);
  }
  logger.info('Resolved target address', { target: bare, ip: chosen.address });
  const refused = module.policy.check(bare, chosen.address);
  if (refused) {
    logger.error('Target refused by target_policy', { target: bare, ip: chosen.address, reason: refused });
    return undefined;
  }
  return { address: chosen.address, family, lookupSeconds };
}

/** Races a promise against an AbortSignal (dns.lookup cannot be cancelled). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
