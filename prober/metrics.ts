/**
 * Names and help texts of the per-probe metrics, declared once and matching the blackbox
 * exporter's (0.23) word for word, plus helpers that register a gauge on a given registry.
 * Probers register metrics only when they mean something, as the exporter does.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { Gauge, type Metric, type Registry } from 'prom-client';

/** `name -> help` of every metric a probe can emit. */
export const PROBE_METRICS = {
  probe_success: 'Displays whether or not the probe was a success',
  probe_duration_seconds: 'Returns how long the probe took to complete in seconds',
  probe_dns_lookup_time_seconds: 'Returns the time taken for probe dns lookup in seconds',
  probe_ip_protocol: 'Specifies whether probe ip protocol is IP4 or IP6',
  probe_ip_addr_hash: "Specifies the hash of IP address. It's useful to detect if the IP address changes.",
  probe_failed_due_to_regex: 'Indicates if probe failed due to regex',
  probe_http_duration_seconds: 'Duration of http request by phase, summed over all redirects',
  probe_http_content_length: 'Length of http content response',
  probe_http_uncompressed_body_length: 'Length of uncompressed response body',
  probe_http_redirects: 'The number of redirects',
  probe_http_ssl: 'Indicates if SSL was used for the final redirect',
  probe_http_status_code: 'Response HTTP status code',
  probe_http_version: 'Returns the version of HTTP of the probe response',
  probe_http_last_modified_timestamp_seconds: 'Returns the Last-Modified HTTP response header in unixtime',
  probe_ssl_earliest_cert_expiry: 'Returns last SSL chain expiry in unixtime',
  probe_ssl_last_chain_expiry_timestamp_seconds: 'Returns last SSL chain expiry in timestamp',
  probe_ssl_last_chain_info: 'Contains SSL leaf certificate information',
  probe_tls_version_info: 'Returns the TLS version used or NaN when unknown',
} as const;

/** A metric name from {@link PROBE_METRICS}. */
export type ProbeMetricName = keyof typeof PROBE_METRICS;

/** Phases of `probe_http_duration_seconds`, in the exporter's output order. */
export const HTTP_PHASES = ['connect', 'processing', 'resolve', 'tls', 'transfer'] as const;
export type HttpPhase = (typeof HTTP_PHASES)[number];

/** Seconds rounded to the nanosecond, so float noise (0.0001593439999999191) stays out of the output. */
export function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1e9) / 1e9;
}

/** Registers a gauge named `name` (help from {@link PROBE_METRICS}) on `registry`. */
export function probeGauge<L extends string = string>(registry: Registry, name: ProbeMetricName, labelNames: readonly L[] = []): Gauge<L> {
  return new Gauge<L>({ name, help: PROBE_METRICS[name], labelNames, registers: [registry] });
}

/** Registers a gauge and sets it at once. */
export function setProbeGauge(registry: Registry, name: ProbeMetricName, value: number): Gauge {
  const gauge = probeGauge(registry, name);
  gauge.set(value);
  return gauge;
}

/**
 * FNV-1a 32-bit hash of an IP address's bytes (4 for IPv4, 16 for IPv6), as the exporter's
 * `probe_ip_addr_hash`.
 */
export function ipAddressHash(address: string): number {
  let hash = 0x811c9dc5;
  for (const byte of ipBytes(address)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function ipBytes(address: string): number[] {
  if (isIP(address) === 4) return address.split('.').map(Number);
  let text = address.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = (v4[1] as string).split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 255];
  });
}

/**
 * Renders a registry as the exporter does: families sorted by name (prom-client keeps
 * registration order), text format 0.0.4. Formats the values itself: a probe's registry holds
 * a few gauges, and prom-client's general renderer was a measurable share of a probe's CPU.
 */
export async function renderSorted(registry: Registry): Promise<string> {
  const metrics = await Promise.all((registry.getMetricsAsArray() as unknown as Metric[]).map((m) => m.get()));
  metrics.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let out = '';
  for (const m of metrics) {
    out += `# HELP ${m.name} ${escapeHelp(m.help)}\n# TYPE ${m.name} ${m.type}\n`;
    for (const v of m.values) {
      const labels = Object.entries(v.labels);
      const name = (v as { metricName?: string }).metricName ?? m.name;
      out += labels.length === 0 ? `${name} ${formatValue(v.value)}\n` : `${name}{${labels.map(([k, x]) => `${k}="${escapeLabel(String(x))}"`).join(',')}} ${formatValue(v.value)}\n`;
    }
  }
  return out;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return String(value);
}

const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** Lower-case hex SHA-256 of a DER certificate (the exporter's `fingerprint_sha256`). */
export function fingerprintSha256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}
