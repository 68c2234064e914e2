/**
 * The fleets of the monitoring chain test and its test-sized timings, all set through the fleet
 * config (plus the Prometheus object's evaluation interval).
 */
import type { KubeObject } from '../../infra/index.js';

/** Seconds. `interval` is the probe and scrape interval; `evaluation` Prometheus's rule evaluation interval. */
export const T = { interval: 2, evaluation: 1, targetDownFor: 6, probeMissingFor: 6, proberDownFor: 6, certExpiryFor: 4 } as const;
/** The SLO period that scales the burn-rate windows by 1/30: 1h/5m -> 2m/10s, `for` 2m -> 4s. */
export const SLO_PERIOD = '24h';
/**
 * The apps' latency SLO threshold (a prober histogram bucket): well above what a freshly started
 * hello or prober process takes for its first request on a busy machine, since with a few minutes
 * of history two slow probes already exceed a 1 % budget.
 */
export const SLO_THRESHOLD = '500ms';
/** The "slow" fault: each connection to the app held this long, over the threshold and under the Probe's deadline (scrapeTimeout - 0.5 s). */
export const SLOW_DELAY_MS = 1000;

/** One fleet of the test. */
export interface FleetSpec {
  readonly name: string;
  readonly apps: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly prober: 'local' | 'shared';
  readonly probeVia: 'ingress' | 'service';
}

const SELECTED = { release: 'kube-prometheus-stack' };

/** Three fleets a kube-prometheus-stack Prometheus selects, and two it must not. */
export const FLEETS: readonly FleetSpec[] = [
  { name: 'edge', apps: ['web', 'shop'], labels: SELECTED, prober: 'local', probeVia: 'ingress' },
  { name: 'inner', apps: ['api'], labels: SELECTED, prober: 'local', probeVia: 'service' },
  { name: 'ext', apps: ['docs'], labels: SELECTED, prober: 'shared', probeVia: 'ingress' },
  // The same objects as "edge", without the release label, and with one that no Prometheus selects.
  { name: 'nolabel', apps: ['web', 'shop'], labels: {}, prober: 'local', probeVia: 'ingress' },
  { name: 'other', apps: ['web', 'shop'], labels: { release: 'other-stack' }, prober: 'local', probeVia: 'ingress' },
];

/** True for the fleets the Prometheus object selects. */
export const selected = (f: FleetSpec): boolean => f.labels.release === SELECTED.release;

/** The public host of an app. */
export const publicHost = (fleet: FleetSpec, app: string): string => (fleet.name === 'edge' || fleet.name === 'ext' ? `${app}.example.com` : `${app}.${fleet.name}.example.com`);

/** The fleet config file of a fleet. */
export function fleetYaml(f: FleetSpec): string {
  return [
    `fleet: ${f.name}`,
    'namespaces:',
    `  prefix: ${f.name}-`,
    'monitoring:',
    `  labels: ${JSON.stringify(f.labels)}`,
    `  interval: ${T.interval}s`,
    `  scrapeTimeout: ${T.interval}s`,
    '  prober:',
    ...(f.prober === 'local' ? ['    mode: local', `    namespace: ${f.name}-system`] : ['    mode: shared', '    url: blackbox-exporter.monitoring.svc:9115']),
    `    probeVia: ${f.probeVia}`,
    '  alerts:',
    `    targetDownFor: ${T.targetDownFor}s`,
    `    probeMissingFor: ${T.probeMissingFor}s`,
    `    proberDownFor: ${T.proberDownFor}s`,
    `    certExpiryFor: ${T.certExpiryFor}s`,
    '    certExpiryDays: 14',
    `    sloPeriod: ${SLO_PERIOD}`,
    'defaults:',
    '  image: ghcr.io/hello-edge/hello:0.1.0',
    `  slo: {latency: {threshold: ${SLO_THRESHOLD}, objective: 99}}`,
    '  scaling: {minReplicas: 2, maxReplicas: 3}',
    'apps:',
    ...f.apps.map((a) => `  - {name: ${a}, host: ${publicHost(f, a)}}`),
    '',
  ].join('\n');
}

/** The scrape jobs and rule groups the operator must generate for a fleet's objects. */
export function expectedFromObjects(objects: readonly KubeObject[]): { jobs: string[]; groups: string[] } {
  const jobs: string[] = [];
  const groups: string[] = [];
  for (const o of objects) {
    const spec = o.spec as { endpoints?: unknown[]; groups?: { name: string }[] };
    if (o.kind === 'ServiceMonitor') (spec.endpoints ?? []).forEach((_e, i) => jobs.push(`serviceMonitor/${o.metadata.namespace}/${o.metadata.name}/${i}`));
    if (o.kind === 'Probe') jobs.push(`probe/${o.metadata.namespace}/${o.metadata.name}`);
    if (o.kind === 'PrometheusRule') groups.push(...(spec.groups ?? []).map((g) => g.name));
  }
  return { jobs, groups };
}
