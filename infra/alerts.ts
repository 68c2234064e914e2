/**
 * Alerting rules for one app, as plain data: the PrometheusRule construct wraps them, and the
 * promtool tests load the very same objects. Series come from the prober: `probe_success` and
 * `probe_ssl_earliest_cert_expiry` (from `/probe` through the Probe, or scheduled mode), and the
 * scheduled-mode histogram `probe_duration_seconds` (through the ServiceMonitor). Every series
 * carries the label `app` (set by the Probe's static labels and the prober's target labels).
 */
import { formatDuration, parseDuration } from '../common/index.js';
import type { ProberSelfMetricName } from '../prober/contract.js';
import type { AppConfig, MonitoringConfig, SloConfig } from './config/index.js';
import { PROBER_NAME } from './labels.js';

/** The prober's gauge of its last config reload (the exporter's name). */
const RELOAD_SUCCESSFUL: ProberSelfMetricName = 'blackbox_exporter_config_last_reload_successful';

/** Label that names the app on every probe series. */
export const SERIES_APP_LABEL = 'app';

/** One Prometheus alerting rule, in the rule-file shape (`for`, not `for_`). */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** A rule group, as in a Prometheus rule file and in PrometheusRule `spec.groups[]`. */
export interface AlertGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/**
 * Burn-rate windows of the multi-window, multi-burn-rate method (SRE workbook, ch. 5) for a 30-day
 * SLO: a long window that measures and a short one that resets the alert quickly once it is over.
 */
export const BURN_RATE_WINDOWS = Object.freeze([
  { severity: 'critical', factor: 14.4, long: '1h', short: '5m' },
  { severity: 'critical', factor: 6, long: '6h', short: '30m' },
  { severity: 'warning', factor: 3, long: '1d', short: '2h' },
  { severity: 'warning', factor: 1, long: '3d', short: '6h' },
] as const);

/**
 * The SLO's numbers as the rules write them. The Helm chart passes template expressions instead,
 * so its values can change the SLO without regenerating the chart.
 */
export interface SloTerms {
  /** Matcher of the threshold's histogram bucket, e.g. `le="0.3"` (tolerant of Prometheus 3's `1.0` form of whole seconds). */
  readonly leMatcher: string;
  /** The threshold in milliseconds, e.g. `300`. */
  readonly thresholdMs: string;
  /** The objective in percent, e.g. `99%`. */
  readonly objective: string;
  /** The share of slow probes at which the error budget burns `factor` times too fast, e.g. `0.144` for 14.4 at 99 %. */
  burnThreshold(factor: number): string;
}

/** The SLO's numbers as written into the rules. */
export function sloTerms(slo: SloConfig): SloTerms {
  const threshold = slo.latencyThresholdSeconds;
  const budget = round(1 - slo.latencyObjective);
  return {
    leMatcher: Number.isInteger(threshold) ? `le=~"${threshold}(\\\\.0)?"` : `le="${threshold}"`,
    thresholdMs: String(Math.round(threshold * 1000)),
    objective: `${round(slo.latencyObjective * 100)}%`,
    burnThreshold: (factor) => String(round(factor * budget)),
  };
}

/** The SLO period {@link BURN_RATE_WINDOWS} and the burn alerts' `for` durations are written for. */
const WORKBOOK_PERIOD_SECONDS = 30 * 86_400;

/** `for` of the fast and slow burn alerts over a 30-day period. */
const BURN_FOR = { critical: '2m', warning: '15m' } as const;

const PROM_UNITS = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const;

/** Milliseconds as a Prometheus duration (`1d`, `1h12m`, `2s500ms`); whole milliseconds. */
export function promDuration(ms: number): string {
  let rest = Math.round(ms);
  let text = '';
  for (const [unit, size] of PROM_UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text || '0s';
}

/** A workbook duration (`1h`, `15m`, ...) scaled from a 30-day period to `periodSeconds`. */
export function scaleToPeriod(duration: string, periodSeconds: number): string {
  if (periodSeconds === WORKBOOK_PERIOD_SECONDS) return duration;
  return promDuration(parseDuration(duration.replace(/^(\d+)d$/, (_m, days: string) => `${Number(days) * 24}h`), 'duration') * periodSeconds / WORKBOOK_PERIOD_SECONDS);
}

/** How a period reads in an annotation: `30-day` for whole days, else `12h`-style. */
function periodName(periodSeconds: number): string {
  return periodSeconds % 86_400 === 0 ? `${periodSeconds / 86_400}-day` : promDuration(periodSeconds * 1000);
}

/** Roughly how long a budget lasts at burn rate `factor`: `~2 days`, or a duration under a day. */
function budgetLasts(periodSeconds: number, factor: number): string {
  const seconds = periodSeconds / factor;
  return seconds >= 86_400 ? `~${Math.round(seconds / 86_400)} days` : `~${promDuration(Math.round(seconds / 60) * 60_000)}`;
}

/** The fraction of probes slower than the SLO threshold over `window`. */
export function slowRatioExpr(app: AppConfig, window: string, leMatcher = sloTerms(app.slo).leMatcher): string {
  const sel = `${SERIES_APP_LABEL}="${app.name}"`;
  return `(1 - (sum by (${SERIES_APP_LABEL}) (rate(probe_duration_seconds_bucket{${sel},${leMatcher}}[${window}]))`
    + ` / sum by (${SERIES_APP_LABEL}) (rate(probe_duration_seconds_count{${sel}}[${window}]))))`;
}

/** The alert rules of one app (`slo`: its SLO's numbers, by default from `app.slo`). */
export function appAlertGroup(app: AppConfig, monitoring: MonitoringConfig, slo: SloTerms = sloTerms(app.slo)): AlertGroup {
  const sel = `${SERIES_APP_LABEL}="${app.name}"`;
  const base = { [SERIES_APP_LABEL]: app.name, namespace: app.namespace };
  const { thresholdMs, objective } = slo;
  const period = monitoring.alerts.sloPeriodSeconds;
  const burn = (severity: 'critical' | 'warning'): string => BURN_RATE_WINDOWS
    .filter((w) => w.severity === severity)
    .map((w) => `(${slowRatioExpr(app, scaleToPeriod(w.long, period), slo.leMatcher)} > ${slo.burnThreshold(w.factor)} and ${slowRatioExpr(app, scaleToPeriod(w.short, period), slo.leMatcher)} > ${slo.burnThreshold(w.factor)})`)
    .join(' or ');
  // The latency histogram exists only on the local prober's scheduled-mode /metrics, scraped by
  // its ServiceMonitor; without both, burn-rate rules would be generated but could never fire.
  const hasLatencyHistogram = monitoring.prober.mode === 'local' && monitoring.serviceMonitor;
  const latencyRules: AlertGroup['rules'] = hasLatencyHistogram
    ? [
        {
          alert: 'HelloLatencyBudgetBurnFast',
          expr: burn('critical'),
          for: scaleToPeriod(BURN_FOR.critical, period),
          labels: { ...base, severity: 'critical' },
          annotations: {
            summary: `${app.name} burns its latency error budget fast`,
            description: `More than the budget of probes are slower than ${thresholdMs}ms (SLO ${objective}); at this rate the ${periodName(period)} budget is gone within ${budgetLasts(period, 14.4)}.`,
          },
        },
        {
          alert: 'HelloLatencyBudgetBurnSlow',
          expr: burn('warning'),
          for: scaleToPeriod(BURN_FOR.warning, period),
          labels: { ...base, severity: 'warning' },
          annotations: {
            summary: `${app.name} burns its latency error budget`,
            description: `Probes slower than ${thresholdMs}ms exceed the SLO ${objective} budget over ${period === WORKBOOK_PERIOD_SECONDS ? 'days' : `${scaleToPeriod('1d', period)} to ${scaleToPeriod('3d', period)}`}; it will run out before the ${periodName(period)} window ends.`,
          },
        },
      ]
    : [];
  return {
    name: `hello-edge.${app.name}`,
    rules: [
      {
        alert: 'HelloTargetDown',
        expr: `max by (${SERIES_APP_LABEL}) (probe_success{${sel}}) == 0`,
        for: formatDuration(monitoring.alerts.targetDownForSeconds * 1000),
        labels: { ...base, severity: 'critical' },
        annotations: {
          summary: `${app.name} fails every probe`,
          description: `Every probe of ${app.name} has failed for ${formatDuration(monitoring.alerts.targetDownForSeconds * 1000)}: users cannot reach it.`,
        },
      },
      {
        alert: 'HelloProbeMissing',
        expr: `absent(probe_success{${sel}})`,
        for: formatDuration(monitoring.alerts.probeMissingForSeconds * 1000),
        labels: { ...base, severity: 'warning' },
        annotations: {
          summary: `no probe results for ${app.name}`,
          description: `Prometheus has no probe_success series for ${app.name}: the prober, the Probe or the scrape is broken, so TargetDown cannot fire.`,
        },
      },
      ...latencyRules,
      {
        alert: 'HelloCertificateExpiringSoon',
        expr: `min by (${SERIES_APP_LABEL}) (probe_ssl_earliest_cert_expiry{${sel}}) - time() < ${monitoring.alerts.certExpiryDays} * 86400`,
        for: formatDuration(monitoring.alerts.certExpiryForSeconds * 1000),
        labels: { ...base, severity: 'warning' },
        annotations: {
          summary: `TLS certificate of ${app.name} expires within ${monitoring.alerts.certExpiryDays} days`,
          description: `cert-manager should have renewed it by now; check the Certificate and the issuer.`,
        },
      },
    ],
  };
}

/**
 * Rules about the local prober itself (its Service is scraped by the ServiceMonitor, so its job
 * label is the Service name): no prober instance up, or a config reload that failed (the prober
 * then keeps probing with the old config, so new apps are silently unprobed).
 */
export function proberAlertGroup(monitoring: MonitoringConfig): AlertGroup {
  const job = `job="${PROBER_NAME}",namespace="${monitoring.prober.namespace}"`;
  const base = { namespace: monitoring.prober.namespace };
  return {
    name: 'hello-edge.prober',
    rules: [
      {
        alert: 'HelloProberDown',
        expr: `absent(up{${job}} == 1)`,
        for: formatDuration(monitoring.alerts.proberDownForSeconds * 1000),
        labels: { ...base, severity: 'critical' },
        annotations: {
          summary: 'no hello-prober instance is up',
          description: 'Prometheus scrapes no healthy prober: no app is probed, so no probe alert can fire.',
        },
      },
      {
        alert: 'HelloProberConfigReloadFailed',
        expr: `max by (namespace, pod) (${RELOAD_SUCCESSFUL}{${job}}) == 0`,
        for: '5m',
        labels: { ...base, severity: 'warning' },
        annotations: {
          summary: 'hello-prober failed to reload its config',
          description: 'The prober keeps the previous config; apps added since are not probed. Check the ConfigMap and the prober log.',
        },
      },
    ],
  };
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
