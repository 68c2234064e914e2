import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import {
  PROBER_CONFIG_DIR, PROBER_CONFIG_FILE_NAME, PROBER_DEFAULT_CONFIG_FILE, PROBER_DEFAULT_MODULE, PROBER_DEFAULT_PORT,
  PROBER_FLAGS, PROBER_PATHS, PROBER_PORT_NAME, PROBER_RUN_AS_GID, PROBER_RUN_AS_UID,
} from '../../prober/contract.js';
import { HELLO_DEFAULT_PORT } from '../../hello/contract.js';
import { ServiceMonitor } from '../imports/monitoring.coreos.com.js';
import { SERIES_APP_LABEL, proberAlertGroup } from '../alerts.js';
import { type AppConfig, type FleetConfig, POD, POD_PROBES, ROLLOUT, imageString } from '../config/index.js';
import { PROBER_NAME, appSelector, proberLabels, proberSelector } from '../labels.js';
import {
  containerSecurityContext, dnsEgress, hostAntiAffinity, namespacePeer, podSecurityContext, resourceRequirements, topologySpread,
} from '../pod-spec.js';
import { SERVICE_PORT } from './hello-app.js';
import { addPrometheusRule } from './prometheus-rule.js';

/** The URL the prober probes for an app host: the public URL, or the in-cluster Service. */
export function probeTargetUrl(app: AppConfig, host: { host: string; path: string }, via: 'ingress' | 'service'): string {
  return via === 'ingress' ? `https://${host.host}${host.path}` : `http://${app.name}.${app.namespace}.svc:${SERVICE_PORT}${host.path}`;
}

/** The prober's probe module, as written into its config (blackbox.yml style). */
export function proberModules(fleet: FleetConfig): Record<string, unknown> {
  return {
    [PROBER_DEFAULT_MODULE]: {
      prober: 'http',
      timeout: `${fleet.monitoring.scrapeTimeoutSeconds}s`,
      http: { method: 'GET', preferred_ip_protocol: 'ip4', fail_if_not_ssl: fleet.monitoring.prober.probeVia === 'ingress' },
    },
  };
}

/** Host (or in-cluster Service name) the prober may probe for an app host: its target allowlist entry. */
export function probeTargetHost(app: AppConfig, host: { host: string }, via: 'ingress' | 'service'): string {
  return via === 'ingress' ? host.host : `${app.name}.${app.namespace}.svc`;
}

/** One scheduled-mode target of the prober's config. */
export interface ProberTarget {
  readonly target: string;
  readonly module: string;
  readonly interval: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The prober's config file as data (prober/'s format, blackbox.yml-style). */
export interface ProberConfigFile {
  readonly modules: Readonly<Record<string, unknown>>;
  readonly target_policy: { readonly block_link_local: boolean; readonly allow: readonly string[] };
  readonly targets: readonly ProberTarget[];
}

/**
 * The prober's config file: the `http_2xx` module, a `target_policy` allowing exactly the fleet's
 * hosts (a prober is an SSRF risk by nature; the `/probe` path then refuses anything else), and
 * one scheduled-mode target per app host, labelled with the app name. The Helm chart templates
 * this same object (its host lists become `range` blocks) and serialises it with
 * {@link renderProberConfig}.
 */
export function proberConfig(fleet: FleetConfig): ProberConfigFile {
  const via = fleet.monitoring.prober.probeVia;
  return {
    modules: proberModules(fleet),
    target_policy: {
      block_link_local: true,
      allow: [...new Set(fleet.apps.flatMap((app) => app.hosts.map((h) => probeTargetHost(app, h, via))))],
    },
    targets: fleet.apps.flatMap((app) => app.hosts.map((h) => proberTarget(probeTargetUrl(app, h, via), app.name, fleet))),
  };
}

/** One scheduled-mode target: `url` probed with the default module at the fleet's interval, labelled with the app. */
export function proberTarget(url: string, app: string, fleet: FleetConfig): ProberTarget {
  return { target: url, module: PROBER_DEFAULT_MODULE, interval: `${fleet.monitoring.intervalSeconds}s`, labels: { [SERIES_APP_LABEL]: app } };
}

/**
 * How the prober's config is written: every string double-quoted, because a Helm template writes
 * a value as `{{ ... | quote }}`, which gives the same text only for double-quoted strings.
 */
export const PROBER_CONFIG_YAML_OPTIONS = Object.freeze({ lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' } as const);

/** The text of the prober's config file (the ConfigMap's value). */
export function renderProberConfig(file: ProberConfigFile): string {
  return stringify(file, PROBER_CONFIG_YAML_OPTIONS);
}

/** Props of {@link Prober}. */
export interface ProberProps {
  readonly fleet: FleetConfig;
}

/**
 * The fleet's one prober: ServiceAccount, ConfigMap mounted as a directory (so a changed config
 * reaches the pod and a reload picks it up; a subPath mount would never update), Deployment,
 * Service, PDB, a NetworkPolicy whose egress reaches only the probed targets, and a
 * ServiceMonitor for its scheduled-mode `/metrics`.
 */
export class Prober extends Construct {
  constructor(scope: Construct, id: string, props: ProberProps) {
    super(scope, id);
    const { fleet } = props;
    const m = fleet.monitoring;
    const namespace = m.prober.namespace;
    const labels = proberLabels();
    const selector = proberSelector();
    const metadata = { name: PROBER_NAME, namespace, labels };

    new k8s.KubeServiceAccount(this, 'service-account', { metadata, automountServiceAccountToken: false });
    new k8s.KubeConfigMap(this, 'config', { metadata, data: { [PROBER_CONFIG_FILE_NAME]: renderProberConfig(proberConfig(fleet)) } });

    const port = k8s.IntOrString.fromString(PROBER_PORT_NAME);
    new k8s.KubeDeployment(this, 'deployment', {
      metadata,
      spec: {
        // Fixed replicas: every replica probes every target, so more replicas add load, not capacity.
        replicas: m.prober.replicas,
        selector: { matchLabels: selector },
        revisionHistoryLimit: ROLLOUT.revisionHistoryLimit,
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(ROLLOUT.proberMaxSurge) },
        },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: PROBER_NAME,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            ...(fleet.priorityClassName ? { priorityClassName: fleet.priorityClassName } : {}),
            terminationGracePeriodSeconds: POD.proberGraceSeconds,
            securityContext: podSecurityContext(PROBER_RUN_AS_UID, PROBER_RUN_AS_GID),
            topologySpreadConstraints: topologySpread(selector),
            affinity: hostAntiAffinity(selector),
            containers: [{
              name: 'prober',
              image: imageString(m.prober.image),
              imagePullPolicy: 'Always',
              // Auto-reload: a changed ConfigMap reaches the mounted directory within a minute or so,
              // and the prober picks it up without a restart.
              args: [`${PROBER_FLAGS.configFile}=${PROBER_DEFAULT_CONFIG_FILE}`, PROBER_FLAGS.autoReload],
              ports: [{ name: PROBER_PORT_NAME, containerPort: PROBER_DEFAULT_PORT, protocol: 'TCP' }],
              resources: resourceRequirements(m.prober.resources),
              securityContext: containerSecurityContext(PROBER_RUN_AS_UID, PROBER_RUN_AS_GID),
              startupProbe: { httpGet: { path: PROBER_PATHS.healthy, port }, ...POD_PROBES.startup },
              livenessProbe: { httpGet: { path: PROBER_PATHS.healthy, port }, ...POD_PROBES.liveness },
              readinessProbe: { httpGet: { path: PROBER_PATHS.ready, port }, ...POD_PROBES.readiness },
              volumeMounts: [
                { name: 'config', mountPath: PROBER_CONFIG_DIR, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            }],
            volumes: [
              { name: 'config', configMap: { name: PROBER_NAME } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString(POD.tmpSizeLimit) } },
            ],
          },
        },
      },
    });

    new k8s.KubeService(this, 'service', {
      metadata,
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: PROBER_PORT_NAME, port: PROBER_DEFAULT_PORT, targetPort: port, protocol: 'TCP' }],
      },
    });

    new k8s.KubePodDisruptionBudget(this, 'pdb', {
      metadata,
      spec: { selector: { matchLabels: selector }, maxUnavailable: k8s.IntOrString.fromNumber(ROLLOUT.pdbMaxUnavailable), unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });

    // Egress: DNS plus exactly the probed targets (the ingress controller / gateway for public
    // URLs, or the app pods for in-cluster probing): a prober is an SSRF risk by nature.
    const web = [80, 443].map((p) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(p) }));
    const targets: k8s.NetworkPolicyEgressRule[] = m.prober.probeVia === 'ingress'
      ? [{
          to: [
            namespacePeer(fleet.routing.kind === 'ingress' ? fleet.routing.ingress.controllerNamespace : fleet.routing.gateway.dataplaneNamespace),
            ...m.prober.egressCidrs.map((cidr) => ({ ipBlock: { cidr } })),
          ],
          ports: web,
        }]
      : [{
          to: fleet.apps.map((a) => namespacePeer(a.namespace, appSelector(a.name))),
          ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(HELLO_DEFAULT_PORT) }],
        }];
    new k8s.KubeNetworkPolicy(this, 'network-policy', {
      metadata,
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [namespacePeer(m.prometheusNamespace)], ports: [{ protocol: 'TCP', port }] }],
        egress: [dnsEgress(), ...targets],
      },
    });

    if (m.rules && m.serviceMonitor) {
      addPrometheusRule(this, 'rules', { name: PROBER_NAME, namespace, labels: { ...labels, ...m.labels } }, proberAlertGroup(m));
    }
    if (m.serviceMonitor) {
      new ServiceMonitor(this, 'service-monitor', {
        metadata: { name: PROBER_NAME, namespace, labels: { ...labels, ...m.labels } },
        spec: {
          selector: { matchLabels: selector },
          namespaceSelector: { matchNames: [namespace] },
          endpoints: [{ port: PROBER_PORT_NAME, path: PROBER_PATHS.metrics, interval: `${m.intervalSeconds}s`, scrapeTimeout: `${m.scrapeTimeoutSeconds}s` }],
        },
      });
    }
  }
}
