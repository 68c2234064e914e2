import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { ConnectionOptions, DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { Registry } from 'prom-client';
import type { TlsConfig, TlsVersionName } from '../config/types.js';
import { fingerprintSha256, probeGauge, setProbeGauge } from '../metrics.js';

const NODE_TLS_VERSION: Readonly<Record<TlsVersionName, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'>> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

/** Go's zero time as Unix seconds: what the exporter reports when no chain was verified. */
const GO_ZERO_TIME_SECONDS = -62135596800;

/**
 * `tls.connect` options for a module's `tls_config` and a target host. The name to verify is
 * `server_name` when set, else the host; SNI is only sent for names (RFC 6066 forbids IPs).
 */
export function tlsOptions(config: TlsConfig, host: string): ConnectionOptions {
  const name = config.serverName ?? host.replace(/^\[|\]$/g, '');
  const options: ConnectionOptions = {
    host: name,
    rejectUnauthorized: !config.insecureSkipVerify,
    ALPNProtocols: ['http/1.1'],
    // A new TLS session per probe, so the handshake time is a full handshake every time.
    session: undefined,
  };
  if (isIP(name) === 0) options.servername = name;
  if (config.ca !== undefined) options.ca = config.ca;
  if (config.cert !== undefined) options.cert = config.cert;
  if (config.key !== undefined) options.key = config.key;
  if (config.minVersion) options.minVersion = NODE_TLS_VERSION[config.minVersion];
  if (config.maxVersion) options.maxVersion = NODE_TLS_VERSION[config.maxVersion];
  return options;
}

/** Summary of a TLS connection, for metrics and the CLI. */
export interface TlsSummary {
  /** e.g. `TLS 1.3`. */
  readonly version: string;
  readonly authorized: boolean;
  /** Unix seconds of the earliest `notAfter` among the certificates the peer sent. */
  readonly earliestExpiry: number;
  /** Unix seconds of the earliest `notAfter` in the verified chain (Go's zero time when unverified). */
  readonly lastChainExpiry: number;
  readonly fingerprintSha256: string;
  readonly subject: string;
  readonly issuer: string;
  /** DNS names of the leaf's subjectAltName, comma-separated (the exporter's `subjectalternative`). */
  readonly subjectAlternative: string;
}

/** Reads what the exporter reports from a connected TLS socket. */
export function summarizeTls(socket: TLSSocket): TlsSummary | undefined {
  const leaf = socket.getPeerCertificate(true) as DetailedPeerCertificate;
  if (!leaf || !leaf.raw) return undefined;
  const chain: DetailedPeerCertificate[] = [];
  const seen = new Set<string>();
  for (let cert: DetailedPeerCertificate | undefined = leaf; cert && cert.raw && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    chain.push(cert);
  }
  const expiries = chain.map((c) => Date.parse(c.valid_to) / 1000);
  const earliest = Math.min(...expiries);
  const x509 = new X509Certificate(leaf.raw);
  const sans = (leaf.subjectaltname ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  const protocol = socket.getProtocol() ?? '';
  return {
    version: protocol.replace(/^TLSv1$/, 'TLS 1.0').replace(/^TLSv/, 'TLS '),
    authorized: socket.authorized,
    earliestExpiry: earliest,
    lastChainExpiry: socket.authorized ? earliest : GO_ZERO_TIME_SECONDS,
    fingerprintSha256: fingerprintSha256(leaf.raw),
    subject: goDistinguishedName(x509.subject),
    issuer: goDistinguishedName(x509.issuer),
    subjectAlternative: sans.join(','),
  };
}

/** Registers the exporter's TLS metrics for a connection. */
export function registerTlsMetrics(registry: Registry, tls: TlsSummary): void {
  setProbeGauge(registry, 'probe_ssl_earliest_cert_expiry', tls.earliestExpiry);
  setProbeGauge(registry, 'probe_ssl_last_chain_expiry_timestamp_seconds', tls.lastChainExpiry);
  probeGauge(registry, 'probe_ssl_last_chain_info', ['fingerprint_sha256', 'issuer', 'subject', 'subjectalternative'])
    .labels({ fingerprint_sha256: tls.fingerprintSha256, issuer: tls.issuer, subject: tls.subject, subjectalternative: tls.subjectAlternative })
    .set(1);
  probeGauge(registry, 'probe_tls_version_info', ['version']).labels({ version: tls.version }).set(1);
}

// Go's pkix.Name.String() order: most specific first (CN, OU, O, street, L, ST, C), values of
// one attribute joined with "+" as separate RDNs, RFC 2253 escaping.
const GO_ORDER = ['SERIALNUMBER', 'CN', 'OU', 'O', 'POSTALCODE', 'STREET', 'L', 'ST', 'C'];

function goDistinguishedName(nodeText: string): string {
  const pairs = nodeText
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const eq = line.indexOf('=');
      return [line.slice(0, eq).toUpperCase(), line.slice(eq + 1)] as const;
    });
  const rank = (k: string): number => (GO_ORDER.includes(k) ? GO_ORDER.indexOf(k) : GO_ORDER.length);
  return pairs
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p[0]) - rank(b.p[0]) || a.i - b.i)
    .map(({ p }) => `${p[0]}=${p[1].replace(/([,+"\\<>;])/g, '\\$1')}`)
    .join(',');
}
