/**
 * "Is my fleet monitored?", asked of the Prometheus that should watch it: the PromQL that shows
 * the prober scraped with its config loaded, every app probed (`probe_success` = 1,
 * `probe_duration_seconds` and, over HTTPS, the certificate expiry present) through each path the
 * fleet sets up, the fleet's rule groups loaded and none of its alerts firing. `monitoringChecks` lists them (for a user to paste into Prometheus), and
 * `runMonitoringChecks` runs them against a Prometheus URL through its HTTP API.
 */
import { ClusterUnreachableError, describeError } from '../common/index.js';
import type { ProberSelfMetricName, ScheduledTargetMetricName } from '../prober/contract.js';
import { appAlertGroup, proberAlertGroup, SERIES_APP_LABEL } from './alerts.js';
import type { FleetConfig } from './config/index.js';
import { PROBE_JOB } from './constructs/app-monitoring.js';
import { PROBER_NAME } from './labels.js';


// Series the checks read, by their names in the prober's catalogue (prober/contract.ts).
const RELOAD_SUCCESSFUL: ProberSelfMetricName = 'blackbox_exporter_config_last_reload_successful';
const SCHEDULED_SUCCESS: ScheduledTargetMetricName = 'probe_success';
const SCHEDULED_DURATION: ScheduledTargetMetricName = 'probe_duration_seconds';

/** How a check judges what Prometheus returns. */
export type CheckExpectation =
  /** At least one series, every value 1. */
  | 'all-one'
  /** At least one series. */
  | 'present'
  /** No series at all. */
  | 'none'
  /** `/api/v1/rules` holds every group named in `groups`. */
  | 'rule-groups';

/** One check of the fleet's monitoring. */
export interface MonitoringCheck {
  readonly name: string;
  /** The PromQL to run (empty for `rule-groups`). */
  readonly promql: string;
  readonly expect: CheckExpectation;
  /** Rule group names (`rule-groups` only). */
  readonly groups?: readonly string[];
}

/** A check and what Prometheus answered. */
export interface CheckResult {
  readonly check: MonitoringCheck;
  readonly ok: boolean;
  /** What was found, in a few words (values, missing groups). */
  readonly found: string;
}

/** The expectation in words, for the printed list. */
export function describeExpectation(check: MonitoringCheck): string {
  switch (check.expect) {
    case 'all-one': return 'at least one series, every value 1';
    case 'present': return 'at least one series';
    case 'none': return 'no series';
    case 'rule-groups': return `GET /api/v1/rules lists groups ${check.groups?.join(', ')}`;
  }
}

/** Every check of the fleet, in the order a user would look: prober, each app, rules, alerts. */
export function monitoringChecks(config: FleetConfig): MonitoringCheck[] {
  const m = config.monitoring;
  if (!m.enabled) return [];
  const scheduled = m.prober.mode === 'local' && m.serviceMonitor;
  const proberJob = `job="${PROBER_NAME}",namespace="${m.prober.namespace}"`;
  const checks: MonitoringCheck[] = [];
  if (scheduled) {
    checks.push(
      { name: 'the prober is scraped and up (ServiceMonitor)', promql: `up{${proberJob}}`, expect: 'all-one' },
      { name: 'the prober\'s config loaded', promql: `${RELOAD_SUCCESSFUL}{${proberJob}}`, expect: 'all-one' },
    );
  }
  for (const app of config.apps) {
    const sel = `${SERIES_APP_LABEL}="${app.name}"`;
    if (m.probe) {
      checks.push(
        { name: `${app.name}: probe succeeds through the Probe`, promql: `probe_success{job="${PROBE_JOB}",${sel}}`, expect: 'all-one' },
        { name: `${app.name}: probe duration through the Probe`, promql: `probe_duration_seconds{job="${PROBE_JOB}",${sel}}`, expect: 'present' },
      );
      // The certificate alert reads this; only an HTTPS probe (the public URL) has it.
      if (m.prober.probeVia === 'ingress') {
        checks.push({ name: `${app.name}: certificate expiry read through the Probe`, promql: `probe_ssl_earliest_cert_expiry{job="${PROBE_JOB}",${sel}}`, expect: 'present' });
      }
    }
    if (scheduled) {
      checks.push(
        { name: `${app.name}: scheduled probe succeeds (prober /metrics)`, promql: `${SCHEDULED_SUCCESS}{${proberJob},${sel}}`, expect: 'all-one' },
        { name: `${app.name}: latency histogram (prober /metrics)`, promql: `${SCHEDULED_DURATION}_count{${proberJob},${sel}}`, expect: 'present' },
      );
    }
  }
  if (m.rules) {
    const groups = [...config.apps.map((a) => appAlertGroup(a, m).name), ...(scheduled ? [proberAlertGroup(m).name] : [])];
    checks.push({ name: 'the fleet\'s rule groups are loaded', promql: '', expect: 'rule-groups', groups });
    const namespaces = [...new Set([...config.apps.map((a) => a.namespace), ...(scheduled ? [m.prober.namespace] : [])])];
    checks.push({
      name: 'no alert of the fleet is firing',
      promql: `ALERTS{alertstate="firing",alertname=~"Hello.*",namespace=~"${namespaces.join('|')}"}`,
      expect: 'none',
    });
  }
  return checks;
}

interface PrometheusAnswer<T> {
  readonly status: string;
  readonly data?: T;
  readonly error?: string;
}

type VectorSample = { readonly metric: Readonly<Record<string, string>>; readonly value: readonly [number, string] };

async function getApi<T>(base: string, path: string, signal?: AbortSignal): Promise<T> {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  let response: Response;
  try {
    response = await fetch(url, { ...(signal ? { signal } : {}), headers: { accept: 'application/json' } });
  } catch (error) {
    throw new ClusterUnreachableError(`cannot reach Prometheus at ${base}: ${describeError(error)}`);
  }
  const answer = await response.json().catch(() => undefined) as PrometheusAnswer<T> | undefined;
  if (!response.ok || answer?.status !== 'success' || answer.data === undefined) {
    throw new ClusterUnreachableError(`Prometheus at ${base} answered ${response.status} to ${url.pathname}: ${answer?.error ?? 'not a Prometheus API response'}`);
  }
  return answer.data;
}

function judgeVector(check: MonitoringCheck, samples: readonly VectorSample[]): CheckResult {
  const values = samples.map((s) => Number(s.value[1]));
  const shown = samples.slice(0, 4).map((s) => `${s.metric.instance ?? s.metric.alertname ?? s.metric.job ?? ''}=${s.value[1]}`.replace(/^=/, ''));
  const found = samples.length === 0 ? 'no series' : `${samples.length} series: ${shown.join(', ')}${samples.length > 4 ? ', ...' : ''}`;
  const ok = check.expect === 'none' ? samples.length === 0
    : check.expect === 'present' ? samples.length > 0
      : samples.length > 0 && values.every((v) => v === 1);
  return { check, ok, found };
}

/**
 * Runs every check against the Prometheus HTTP API at `prometheusUrl` (e.g.
 * `http://localhost:9090` after `kubectl port-forward`).
 * @throws ClusterUnreachableError when Prometheus cannot be reached or does not answer as its API does.
 */
export async function runMonitoringChecks(config: FleetConfig, prometheusUrl: string, signal?: AbortSignal): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of monitoringChecks(config)) {
    if (check.expect === 'rule-groups') {
      const data = await getApi<{ groups: { name: string }[] }>(prometheusUrl, 'api/v1/rules', signal);
      const loaded = new Set(data.groups.map((g) => g.name));
      const missing = (check.groups ?? []).filter((g) => !loaded.has(g));
      results.push({ check, ok: missing.length === 0, found: missing.length ? `missing: ${missing.join(', ')}` : `${check.groups?.length} group(s) loaded` });
      continue;
    }
    const data = await getApi<{ resultType: string; result: VectorSample[] }>(prometheusUrl, `api/v1/query?query=${encodeURIComponent(check.promql)}`, signal);
    results.push(judgeVector(check, data.result));
  }
  return results;
}
