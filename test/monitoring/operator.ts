/**
 * The Prometheus Operator side of the monitoring chain test: a `Prometheus` object configured as
 * kube-prometheus-stack configures its own, the operator run outside the cluster against the
 * test's control plane, and what it generates (scrape config, rule files, Prometheus's command
 * line), turned into something a Prometheus outside a pod can run, with every change listed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parse as parseYaml, stringify } from 'yaml';
import { spawnLogged, type ChildProcessHandle } from '../support/child.js';
import type { ControlPlane } from '../support/cluster.js';
import type { NetNamespace } from '../support/netns.js';

/** kube-prometheus-stack's Helm release name, which its Prometheus selects on by default. */
export const RELEASE = 'kube-prometheus-stack';
/** The chart names its Prometheus object `<release>-prometheus`, in the release namespace. */
export const PROMETHEUS_NAME = `${RELEASE}-prometheus`;
export const PROMETHEUS_NAMESPACE = 'monitoring';

/**
 * The `Prometheus` object as kube-prometheus-stack renders it with default values
 * (templates/prometheus/prometheus.yaml): every *Selector is `matchLabels: {release: <release>}`
 * (the *SelectorNilUsesHelmValues defaults), every *NamespaceSelector is `{}` (all namespaces),
 * `version` is the image tag. Test-sized: scrape and evaluation intervals, no Alertmanager.
 */
export function kubePrometheusStackPrometheus(version: string, scrapeInterval: string, evaluationInterval: string): Record<string, unknown> {
  const release = { matchLabels: { release: RELEASE } };
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'Prometheus',
    metadata: {
      name: PROMETHEUS_NAME,
      namespace: PROMETHEUS_NAMESPACE,
      labels: { app: PROMETHEUS_NAME, 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/part-of': RELEASE, release: RELEASE, heritage: 'Helm' },
    },
    spec: {
      alerting: { alertmanagers: [] },
      image: `quay.io/prometheus/prometheus:${version}`,
      version,
      externalUrl: `http://${PROMETHEUS_NAME}.${PROMETHEUS_NAMESPACE}:9090`,
      paused: false,
      replicas: 1,
      shards: 1,
      logLevel: 'info',
      logFormat: 'logfmt',
      listenLocal: false,
      enableAdminAPI: false,
      scrapeInterval,
      evaluationInterval,
      retention: '10d',
      routePrefix: '/',
      serviceAccountName: PROMETHEUS_NAME,
      serviceMonitorSelector: release,
      serviceMonitorNamespaceSelector: {},
      podMonitorSelector: release,
      podMonitorNamespaceSelector: {},
      probeSelector: release,
      probeNamespaceSelector: {},
      ruleSelector: release,
      ruleNamespaceSelector: {},
      scrapeConfigSelector: release,
      scrapeConfigNamespaceSelector: {},
      portName: 'http-web',
    },
  };
}

/**
 * Starts the operator inside the namespace, outside the cluster, against the control plane with
 * the admin client certificate of the test kubeconfig. Killed when the test ends.
 */
export function startOperator(t: TestContext, ns: NetNamespace, cp: ControlPlane, binary: string): ChildProcessHandle {
  const port = /API_PORT=(\d+)/.exec(readFileSync(join(cp.dir, 'ports.env'), 'utf8'))?.[1];
  const pki = join(cp.dir, 'pki');
  return spawnLogged(t, ...ns.wrap(binary, [
    `-apiserver=https://127.0.0.1:${port}`, `-ca-file=${join(pki, 'ca.crt')}`, `-cert-file=${join(pki, 'admin.crt')}`, `-key-file=${join(pki, 'admin.key')}`,
    '-web.listen-address=127.0.0.1:8081',
  ]));
}

/** What the operator wrote for the Prometheus object. */
export interface Generated {
  /** The scrape config (Secret `prometheus-<name>`, `prometheus.yaml.gz`), as YAML text. */
  readonly config: string;
  /** Rule files by ConfigMap (`prometheus-<name>-rulefiles-N`), then file name. */
  readonly ruleFiles: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Arguments of the `prometheus` container of the StatefulSet the operator created. */
  readonly args: readonly string[];
  /** The `web.config.file` content (Secret `prometheus-<name>-web-config`). */
  readonly webConfig: string;
  /** `env` of the config-reloader sidecar, which expands `$(NAME)` in the config. */
  readonly reloaderEnv: ReadonlyMap<string, string>;
}

interface Listed<T> { readonly items: readonly T[] }
interface SecretOrConfigMap { readonly metadata: { readonly name: string }; readonly data?: Record<string, string> }
interface Container { readonly name: string; readonly args?: string[]; readonly env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] }

/** Reads what the operator generated; rejects when part of it is missing. */
export async function readGenerated(cp: ControlPlane): Promise<Generated> {
  const get = async <T>(what: string): Promise<T> => JSON.parse(await cp.kubectl(['get', what, '-n', PROMETHEUS_NAMESPACE, '-o', 'json'])) as T;
  const secret = await get<SecretOrConfigMap>(`secret/prometheus-${PROMETHEUS_NAME}`);
  const webSecret = await get<SecretOrConfigMap>(`secret/prometheus-${PROMETHEUS_NAME}-web-config`);
  const configMaps = await get<Listed<SecretOrConfigMap>>('configmaps');
  const sts = await get<{ spec: { template: { spec: { containers: Container[]; initContainers?: Container[] } } } }>(`statefulset/prometheus-${PROMETHEUS_NAME}`);
  const containers = sts.spec.template.spec.containers;
  const prometheus = containers.find((c) => c.name === 'prometheus');
  const reloader = containers.find((c) => c.name === 'config-reloader');
  if (!prometheus || !reloader) throw new Error(`StatefulSet containers: ${containers.map((c) => c.name).join(', ')}`);
  const podName = `prometheus-${PROMETHEUS_NAME}-0`;
  const ruleFiles = new Map(configMaps.items
    .filter((c) => c.metadata.name.startsWith(`prometheus-${PROMETHEUS_NAME}-rulefiles-`))
    .map((c) => [c.metadata.name, new Map(Object.entries(c.data ?? {}))] as const));
  return {
    config: gunzipSync(Buffer.from(secret.data?.['prometheus.yaml.gz'] ?? '', 'base64')).toString('utf8'),
    ruleFiles,
    args: prometheus.args ?? [],
    webConfig: Buffer.from(webSecret.data?.['web-config.yaml'] ?? '', 'base64').toString('utf8'),
    // A pod's metadata.name is the one fieldRef the reloader's env uses.
    reloaderEnv: new Map((reloader.env ?? []).map((e) => [e.name, e.value ?? (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name' ? podName : '')])),
  };
}

/** Job names of a scrape config. */
export function jobNames(config: string): string[] {
  return ((parseYaml(config) as { scrape_configs?: { job_name: string }[] }).scrape_configs ?? []).map((j) => j.job_name).sort();
}

/** Rule group names in the generated rule files, with the ConfigMap key that holds each. */
export function ruleGroups(generated: Generated): string[] {
  return [...generated.ruleFiles.values()].flatMap((files) => [...files.values()])
    .flatMap((text) => ((parseYaml(text) as { groups?: { name: string }[] }).groups ?? []).map((g) => g.name)).sort();
}

/** A Prometheus command line and config that run outside a pod, and what was changed for that. */
export interface Localized {
  readonly config: string;
  readonly args: readonly string[];
  /** One line per change, for the test's output. */
  readonly changes: readonly string[];
}

/** Where the localized Prometheus keeps its files. */
export interface LocalPaths {
  readonly configFile: string;
  readonly rulesDir: string;
  readonly webConfigFile: string;
  readonly storageDir: string;
  readonly kubeconfig: string;
  readonly listenAddress: string;
}

/**
 * The operator's config and command line, changed only where running outside a pod requires it.
 * Each change is listed in `changes`; anything else the operator wrote is kept as it is.
 */
export function localize(generated: Generated, paths: LocalPaths): Localized {
  const changes: string[] = [];
  // 1. What the config-reloader sidecar does in the pod: expand $(NAME) from its environment.
  const expanded = generated.config.replace(/\$\(([A-Z_]+)\)/g, (_m, name: string) => {
    const value = generated.reloaderEnv.get(name);
    if (value === undefined) throw new Error(`the config uses $(${name}), which the config-reloader's env does not set`);
    return value;
  });
  changes.push(`$(NAME) placeholders expanded as the config-reloader would: ${[...generated.reloaderEnv].map(([k, v]) => `${k}=${v}`).join(', ')}`);
  const config = parseYaml(expanded) as { rule_files?: string[]; scrape_configs?: { kubernetes_sd_configs?: Record<string, unknown>[] }[] };
  // 2. No in-cluster service account outside a pod: Kubernetes SD reads the API server through a kubeconfig.
  let sd = 0;
  for (const job of config.scrape_configs ?? []) {
    for (const entry of job.kubernetes_sd_configs ?? []) {
      entry.kubeconfig_file = paths.kubeconfig;
      sd += 1;
    }
  }
  changes.push(`kubeconfig_file: ${paths.kubeconfig} added to ${sd} kubernetes_sd_configs (no in-cluster service account)`);
  // 3. The rule ConfigMaps are mounted under /etc/prometheus/rules/<configmap>/ in the pod.
  config.rule_files = (config.rule_files ?? []).map((glob) => glob.replace(/^\/etc\/prometheus\/rules\//, `${paths.rulesDir}/`));
  changes.push(`rule_files: /etc/prometheus/rules/ -> ${paths.rulesDir}/ (where the test writes the rule ConfigMaps)`);
  const replaced: Record<string, string> = {
    '--config.file': paths.configFile,
    '--storage.tsdb.path': paths.storageDir,
    '--web.config.file': paths.webConfigFile,
  };
  const args = generated.args.map((arg) => {
    const [flag] = arg.split('=', 1);
    return flag && flag in replaced ? `${flag}=${replaced[flag]}` : arg;
  });
  changes.push(`command line: the StatefulSet's, with ${Object.keys(replaced).join(', ')} pointing at local files, plus --web.listen-address=${paths.listenAddress}`);
  return { config: stringify(config, { lineWidth: 0 }), args: [...args, `--web.listen-address=${paths.listenAddress}`], changes };
}
