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
import { type AppConfig, type FleetConfig, type MonitoringConfig, POD, ROLLOUT, imageString } from '../config/index.js';
import { PROBER_NAME, appSelector, proberLabels, proberSelector } from '../labels.js';
import {
  basePodSpec, containerSecurityContext, disruptionBudgetSpec, dnsEgress, httpProbes, namespacePeer, resourceRequirements, routingPeer,
  surgeOnlyRollout, tmpVolume, tmpVolumeMount,
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
    const selector = proberSelector();
    const metadata = { name: PROBER_NAME, namespace: fleet.monitoring.prober.namespace, labels: proberLabels() };

    // The objects are written in the order they are created here (the golden files pin it).
    new k8s.KubeServiceAccount(this, 'service-account', { metadata, automountServiceAccountToken: false });
    new k8s.KubeConfigMap(this, 'config', { metadata, data: { [PROBER_CONFIG_FILE_NAME]: renderProberConfig(proberConfig(fleet)) } });
    new k8s.KubeDeployment(this, 'deployment', { metadata, spec: deploymentSpec(fleet) });
    new k8s.KubeService(this, 'service', { metadata, spec: serviceSpec(selector) });
    new k8s.KubePodDisruptionBudget(this, 'pdb', { metadata, spec: disruptionBudgetSpec(selector) });
    new k8s.KubeNetworkPolicy(this, 'network-policy', { metadata, spec: networkPolicySpec(fleet) });
    this.addMonitoring(fleet.monitoring);
  }

  /** The prober's alert rules and the ServiceMonitor that scrapes its scheduled-mode `/metrics`. */
  private addMonitoring(m: MonitoringConfig): void {
    const namespace = m.prober.namespace;
    const labels = { ...proberLabels(), ...m.labels };
    // The rules read the series this ServiceMonitor scrapes: without it, `absent(up)` would fire forever.
    if (m.rules && m.serviceMonitor) {
      addPrometheusRule(this, 'rules', { name: PROBER_NAME, namespace, labels }, proberAlertGroup(m));
    }
    if (m.serviceMonitor) {
      new ServiceMonitor(this, 'service-monitor', {
        metadata: { name: PROBER_NAME, namespace, labels },
        spec: {
          selector: { matchLabels: proberSelector() },
          namespaceSelector: { matchNames: [namespace] },
          endpoints: [{ port: PROBER_PORT_NAME, path: PROBER_PATHS.metrics, interval: `${m.intervalSeconds}s`, scrapeTimeout: `${m.scrapeTimeoutSeconds}s` }],
        },
      });
    }
  }
}

/** The prober's named port, as probes, the Service and the NetworkPolicy refer to it. */
const PORT = k8s.IntOrString.fromString(PROBER_PORT_NAME);

/** Name of the volume holding the ConfigMap. */
const CONFIG_VOLUME = 'config';

/** Fixed replicas: every replica probes every target, so more replicas add load, not capacity. */
function deploymentSpec(fleet: FleetConfig): k8s.DeploymentSpec {
  return {
    replicas: fleet.monitoring.prober.replicas,
    selector: { matchLabels: proberSelector() },
    revisionHistoryLimit: ROLLOUT.revisionHistoryLimit,
    strategy: surgeOnlyRollout(k8s.IntOrString.fromNumber(ROLLOUT.proberMaxSurge)),
    template: {
      metadata: { labels: proberLabels() },
      spec: {
        ...basePodSpec({
          serviceAccountName: PROBER_NAME,
          uid: PROBER_RUN_AS_UID,
          gid: PROBER_RUN_AS_GID,
          terminationGracePeriodSeconds: POD.proberGraceSeconds,
          selector: proberSelector(),
          priorityClassName: fleet.priorityClassName,
        }),
        containers: [proberContainer(fleet.monitoring.prober)],
        volumes: [
          { name: CONFIG_VOLUME, configMap: { name: PROBER_NAME } },
          tmpVolume(),
        ],
      },
    },
  };
}

/** The prober container: its config from the mounted ConfigMap directory, probed on its named port. */
function proberContainer(prober: MonitoringConfig['prober']): k8s.Container {
  return {
    name: 'prober',
    image: imageString(prober.image),
    imagePullPolicy: 'Always',
    // Auto-reload: a changed ConfigMap reaches the mounted directory within a minute or so,
    // and the prober picks it up without a restart.
    args: [`${PROBER_FLAGS.configFile}=${PROBER_DEFAULT_CONFIG_FILE}`, PROBER_FLAGS.autoReload],
    ports: [{ name: PROBER_PORT_NAME, containerPort: PROBER_DEFAULT_PORT, protocol: 'TCP' }],
    resources: resourceRequirements(prober.resources),
    securityContext: containerSecurityContext(PROBER_RUN_AS_UID, PROBER_RUN_AS_GID),
    ...httpProbes(PROBER_PATHS.healthy, PROBER_PATHS.ready, PORT),
    volumeMounts: [
      { name: CONFIG_VOLUME, mountPath: PROBER_CONFIG_DIR, readOnly: true },
      tmpVolumeMount(),
    ],
  };
}

/** The Service Prometheus reaches the prober through (`/probe` and `/metrics`). */
function serviceSpec(selector: Record<string, string>): k8s.ServiceSpec {
  return {
    type: 'ClusterIP',
    selector,
    ports: [{ name: PROBER_PORT_NAME, port: PROBER_DEFAULT_PORT, targetPort: PORT, protocol: 'TCP' }],
  };
}

/** In: the prober's port, from Prometheus's namespace only. Out: DNS and the probed targets. */
function networkPolicySpec(fleet: FleetConfig): k8s.NetworkPolicySpec {
  return {
    podSelector: { matchLabels: proberSelector() },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ from: [namespacePeer(fleet.monitoring.prometheusNamespace)], ports: [{ protocol: 'TCP', port: PORT }] }],
    egress: [dnsEgress(), targetEgress(fleet)],
  };
}

/**
 * Egress to exactly the probed targets, since a prober is an SSRF risk by nature: the ingress
 * controller / gateway (and `egressCidrs`) on 80/443 for public URLs, or the app pods on hello's
 * port for in-cluster probing.
 */
function targetEgress(fleet: FleetConfig): k8s.NetworkPolicyEgressRule {
  const prober = fleet.monitoring.prober;
  if (prober.probeVia === 'ingress') {
    return {
      to: [routingPeer(fleet), ...prober.egressCidrs.map((cidr) => ({ ipBlock: { cidr } }))],
      ports: [80, 443].map((p) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(p) })),
    };
  }
  return {
    to: fleet.apps.map((a) => namespacePeer(a.namespace, appSelector(a.name))),
    ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(HELLO_DEFAULT_PORT) }],
  };
}
