/**
 * One outage drill: from a quiet start (no alert active), inject a fault, wait for an alert to fire
 * in the real Prometheus, read when it
 * went pending and fired from Prometheus's own series (`ALERTS`, evaluation timestamps), remove the
 * fault, wait for it to resolve, and list every other alert that was pending or firing meanwhile.
 */
import { PrometheusApi, waitFor, type ActiveAlert } from './prometheus-api.js';

/** Which alert a drill expects: its name and the labels that identify it. */
export interface ExpectedAlert {
  readonly alertname: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** What one alert of a drill did, in seconds after the fault was injected. */
export interface AlertTiming {
  readonly alert: string;
  /** `activeAt`: the evaluation that first saw the condition. */
  readonly pendingAfter: number;
  /** The first `ALERTS{alertstate="firing"}` sample: the evaluation that fired it. */
  readonly firingAfter: number;
  /** Pending samples were stored before the firing one (0 for alerts with `for: 0`). */
  readonly pendingSamples: number;
}

/** The result of a drill. */
export interface DrillResult {
  readonly injectedAt: number;
  readonly alerts: readonly AlertTiming[];
  /** Seconds from removing the fault until none of the expected alerts was active any more (null: not awaited). */
  readonly resolvedAfter: number | null;
  /** `alertname{app|namespace}` of every alert pending or firing during the drill. */
  readonly seen: readonly string[];
}

const matches = (alert: { labels: Readonly<Record<string, string>> }, expected: ExpectedAlert): boolean =>
  alert.labels.alertname === expected.alertname && Object.entries(expected.labels).every(([k, v]) => alert.labels[k] === v);

/** `alertname{app=...}` or `alertname{namespace=...}`: how the drill reports an alert. */
export function alertKey(labels: Readonly<Record<string, string>>): string {
  return `${labels.alertname}{${labels.app !== undefined ? `app=${labels.app}` : `namespace=${labels.namespace ?? ''}`}}`;
}

function selectorOf(expected: ExpectedAlert, state: 'pending' | 'firing'): string {
  const labels = { alertname: expected.alertname, ...expected.labels, alertstate: state };
  return `ALERTS{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}

async function timingOf(api: PrometheusApi, expected: ExpectedAlert, firing: ActiveAlert, injectedAt: number): Promise<AlertTiming> {
  const lookback = Date.now() / 1000 - injectedAt + 5;
  const firstAfter = async (state: 'pending' | 'firing'): Promise<number[]> =>
    (await api.samples(selectorOf(expected, state), lookback)).flatMap((s) => s.values.map(([ts]) => ts)).filter((ts) => ts >= injectedAt).sort((a, b) => a - b);
  const firingTimes = await waitFor(`the firing sample of ${expected.alertname}`, async () => {
    const times = await firstAfter('firing');
    return times.length ? times : undefined;
  }, 10_000);
  const pending = (await firstAfter('pending')).filter((ts) => ts < firingTimes[0]!);
  const round = (s: number): number => Math.round(s * 10) / 10;
  return {
    alert: alertKey(firing.labels),
    pendingAfter: round(Date.parse(firing.activeAt) / 1000 - injectedAt),
    firingAfter: round(firingTimes[0]! - injectedAt),
    pendingSamples: pending.length,
  };
}

/** Options of {@link runDrill}. */
export interface DrillOptions {
  /** Wait until the expected alerts resolve after `recover`; default true. */
  readonly awaitResolved?: boolean;
  /** Deadline of each wait; default 120 s. */
  readonly timeoutMs?: number;
}

/**
 * Runs one drill: `inject`, wait until every expected alert fires, `recover`, wait until none of
 * them is active (unless told not to).
 */
export async function runDrill(
  api: PrometheusApi,
  expected: readonly ExpectedAlert[],
  inject: () => Promise<void>,
  recover: () => Promise<void>,
  options: DrillOptions = {},
): Promise<DrillResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  // Each drill starts from quiet, so what it sees is its own doing.
  await waitFor('no alert active before the drill', async () => ((await api.alerts()).length === 0 ? true : undefined), timeoutMs, 500,
    async () => JSON.stringify((await api.alerts()).map((a) => `${alertKey(a.labels)} ${a.state}`)));
  const injectedAt = Date.now() / 1000;
  await inject();
  const firing = await waitFor(`${expected.map((e) => alertKey({ alertname: e.alertname, ...e.labels })).join(', ')} firing`, async () => {
    const alerts = await api.alerts();
    const found = expected.map((e) => alerts.find((a) => a.state === 'firing' && matches(a, e)));
    return found.every((a) => a !== undefined) ? (found as ActiveAlert[]) : undefined;
  }, timeoutMs, 250, async () => JSON.stringify((await api.alerts()).map((a) => `${alertKey(a.labels)} ${a.state}`)));
  const alerts = await Promise.all(expected.map((e, i) => timingOf(api, e, firing[i]!, injectedAt)));
  const recoveredAt = Date.now() / 1000;
  await recover();
  let resolvedAfter: number | null = null;
  if (options.awaitResolved ?? true) {
    await waitFor('the drill\'s alerts to resolve', async () => {
      const active = await api.alerts();
      return expected.some((e) => active.some((a) => matches(a, e))) ? undefined : true;
    }, timeoutMs, 250, async () => JSON.stringify((await api.alerts()).map((a) => `${alertKey(a.labels)} ${a.state}`)));
    resolvedAfter = Math.round((Date.now() / 1000 - recoveredAt) * 10) / 10;
  }
  const seen = (await api.samples('ALERTS', Date.now() / 1000 - injectedAt + 1))
    .filter((s) => s.values.some(([ts]) => ts >= injectedAt))
    .map((s) => alertKey(s.metric));
  return { injectedAt, alerts, resolvedAfter, seen: [...new Set(seen)].sort() };
}
