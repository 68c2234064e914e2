import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Registry } from 'prom-client';
import { describeError, type Logger } from '../../common/index.js';
import type { IpProtocol, Module } from '../config/types.js';
import { ipAddressHash, probeGauge, roundSeconds } from '../metrics.js';
import { canonicalAddress } from '../config/target-policy.js';

/** A resolved target address. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
  /** Seconds spent resolving (0 for IP literals, apart from bookkeeping). */
  readonly lookupSeconds: number;
}

/** A target that cannot be probed: no address of a usable family, or one the policy refuses. */
export interface Unresolved {
  readonly address: undefined;
  /** Seconds spent resolving, reported as the exporter does even when it failed. */
  readonly lookupSeconds: number;
}

/**
 * Resolves `host` the exporter's way (its `chooseProtocol`): without fallback only an address of
 * the preferred family will do, a literal of the other family included; with fallback the first
 * address of the preferred family, else the last one of the other. IPv4-mapped IPv6 addresses
 * count as IPv4, as in Go. `probe_ip_protocol` and `probe_ip_addr_hash` (0 when nothing was
 * chosen) and `probe_dns_lookup_time_seconds` are registered either way. The chosen address is
 * then checked against the target policy, so a DNS name cannot point a probe at a refused address.
 * Returns an {@link Unresolved}, with the reason logged, when the host cannot be used.
 */
export async function resolveTarget(
  host: string,
  preferred: IpProtocol,
  fallback: boolean,
  module: Module,
  registry: Registry | undefined,
  signal: AbortSignal,
  logger: Logger,
): Promise<ResolvedAddress | Unresolved> {
  const bare = host.replace(/^\[|\]$/g, '');
  const started = performance.now();
  const protocolGauge = registry && probeGauge(registry, 'probe_ip_protocol');
  const hashGauge = registry && probeGauge(registry, 'probe_ip_addr_hash');
  const lookupGauge = registry && probeGauge(registry, 'probe_dns_lookup_time_seconds');
  for (const gauge of [protocolGauge, hashGauge]) gauge?.set(0);
  const finish = (): number => {
    const seconds = roundSeconds((performance.now() - started) / 1000);
    lookupGauge?.set(seconds);
    return seconds;
  };
  logger.info('Resolving target address', { target: bare, ip_protocol: preferred });
  let candidates: { address: string; family: 4 | 6 }[];
  try {
    const found = isIP(bare) !== 0 ? [{ address: bare }] : await abortable(lookup(bare, { all: true, verbatim: true }), signal);
    // Go's To4(): an IPv4-mapped IPv6 address is an IPv4 address, dialled and hashed as one.
    candidates = found.map(({ address }) => {
      const canonical = canonicalAddress(address);
      return { address: canonical.address, family: canonical.family === 'ipv4' ? 4 : 6 };
    });
  } catch (error) {
    logger.error('Error resolving address', { target: bare, err: describeError(error) });
    return { address: undefined, lookupSeconds: finish() };
  }
  const want = preferred === 'ip6' ? 6 : 4;
  const chosen = candidates.find((c) => c.family === want) ?? (fallback ? candidates.findLast((c) => c.family !== want) : undefined);
  const lookupSeconds = finish();
  if (!chosen) {
    logger.error('Resolution with IP protocol failed', { target: bare, ip_protocol: preferred, err: fallback ? 'unable to find ip; no fallback' : 'no suitable address found' });
    return { address: undefined, lookupSeconds };
  }
  protocolGauge?.set(chosen.family);
  hashGauge?.set(ipAddressHash(chosen.address));
  logger.info('Resolved target address', { target: bare, ip: chosen.address });
  const refused = module.policy.check(bare, chosen.address);
  if (refused) {
    logger.error('Target refused by target_policy', { target: bare, ip: chosen.address, reason: refused });
    return { address: undefined, lookupSeconds };
  }
  return { address: chosen.address, family: chosen.family, lookupSeconds };
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
