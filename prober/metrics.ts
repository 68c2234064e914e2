/**
 * Helpers that register the metrics of the catalogues in contract.ts (names and help texts are
 * declared there, once), and the exporter's way of rendering a probe's registry.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { Gauge, type Metric, type Registry } from 'prom-client';
import { PROBE_METRICS, PROBER_SELF_METRICS, SCHEDULED_TARGET_METRICS, type ProbeMetricName, type ProberSelfMetricName, type ScheduledTargetMetricName } from './contract.js';

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

/** Name and help of one of the prober's own metrics, for a prom-client constructor. */
export function selfMetric<N extends ProberSelfMetricName>(name: N): { name: N; help: string } {
  return { name, help: PROBER_SELF_METRICS[name] };
}

/** Name and help of one of scheduled mode's per-target metrics, for a prom-client constructor. */
export function scheduledMetric<N extends ScheduledTargetMetricName>(name: N): { name: N; help: string } {
  return { name, help: SCHEDULED_TARGET_METRICS[name] };
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
