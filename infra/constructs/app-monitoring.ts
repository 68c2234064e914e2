import { Construct } from 'constructs';
import { PROBER_DEFAULT_MODULE, PROBER_DEFAULT_PORT, PROBER_PATHS } from '../../prober/contract.js';
import { Probe, ProbeSpecProberScheme } from '../imports/monitoring.coreos.com.js';
import { SERIES_APP_LABEL, appAlertGroup } from '../alerts.js';
import type { AppConfig, FleetConfig } from '../config/index.js';
import { PROBER_NAME, appLabels } from '../labels.js';
import { probeTargetUrl } from './prober.js';
import { addPrometheusRule } from './prometheus-rule.js';

/** Job label of every Probe's series. */
export const PROBE_JOB = 'hello-edge-probe';

/** `host:port` of the prober that a Probe sends `/probe` requests to (shared exporter or local prober). */
export function proberAddress(fleet: FleetConfig): string {
  const p = fleet.monitoring.prober;
  return p.mode === 'shared' ? p.url : `${PROBER_NAME}.${p.namespace}.svc:${PROBER_DEFAULT_PORT}`;
}

/** Props of {@link AppMonitoring}. */
export interface AppMonitoringProps {
  readonly app: AppConfig;
  readonly fleet: FleetConfig;
}

/**
 * Monitoring of one app: a Probe (blackbox-style `/probe` on the shared or the local prober, one
 * static target per host) and a PrometheusRule (target down, latency burn rate, certificate
 * expiry). Both carry the labels kube-prometheus-stack selects on (`release` by default).
 */
export class AppMonitoring extends Construct {
  constructor(scope: Construct, id: string, props: AppMonitoringProps) {
    super(scope, id);
    const { app, fleet } = props;
    const m = fleet.monitoring;
    const metadata = { name: app.name, namespace: app.namespace, labels: { ...appLabels(app.name), ...m.labels } };
    if (m.probe) {
      new Probe(this, 'probe', {
        metadata,
        spec: {
          jobName: PROBE_JOB,
          prober: { url: proberAddress(fleet), scheme: ProbeSpecProberScheme.HTTP, path: PROBER_PATHS.probe },
          module: PROBER_DEFAULT_MODULE,
          interval: `${m.intervalSeconds}s`,
          scrapeTimeout: `${m.scrapeTimeoutSeconds}s`,
          targets: {
            staticConfig: {
              static: app.hosts.map((h) => probeTargetUrl(app, h, m.prober.probeVia)),
              labels: { [SERIES_APP_LABEL]: app.name },
            },
          },
        },
      });
    }
    if (m.rules) addPrometheusRule(this, 'rules', metadata, appAlertGroup(app, m));
  }
}
