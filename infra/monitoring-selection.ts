/**
 * Will a Prometheus pick up the fleet's ServiceMonitor, Probe and PrometheusRule objects? The
 * Prometheus Operator reads an object only when a `Prometheus` object's label selector for that
 * kind matches the object's labels and its namespace selector matches the object's namespace
 * (the classic "my ServiceMonitor is not picked up": a missing `release` label). These functions
 * apply the operator's rules to what the fleet synthesizes, so synth and deploy can warn:
 * - an unset (null) object selector selects nothing, an empty one (`{}`) everything;
 * - an unset namespace selector means the Prometheus object's own namespace only, `{}` every one.
 */
import type { FleetConfig } from './config/index.js';
import type { FleetManifests, KubeObject } from './synth.js';

/** A Kubernetes label selector. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: string; readonly values?: readonly string[] }[];
}

/** The kinds the operator selects, and the `Prometheus` spec fields that select them. */
const SELECTOR_FIELDS = {
  ServiceMonitor: { objects: 'serviceMonitorSelector', namespaces: 'serviceMonitorNamespaceSelector' },
  Probe: { objects: 'probeSelector', namespaces: 'probeNamespaceSelector' },
  PrometheusRule: { objects: 'ruleSelector', namespaces: 'ruleNamespaceSelector' },
} as const;

type SelectedKind = keyof typeof SELECTOR_FIELDS;

/** A `Prometheus` object (monitoring.coreos.com/v1) as read from the cluster. */
export interface PrometheusObject {
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec?: Readonly<Record<string, unknown>>;
}

/** True when `labels` satisfy `selector` (`{}` matches everything; null/undefined nothing). */
export function selectorMatches(selector: LabelSelector | null | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (selector === null || selector === undefined) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In': return key in labels && values.includes(labels[key]!);
      case 'NotIn': return !(key in labels) || !values.includes(labels[key]!);
      case 'Exists': return key in labels;
      case 'DoesNotExist': return !(key in labels);
      default: return false;
    }
  });
}

/** A selector as words: `release=kube-prometheus-stack`, `everything`, `nothing (unset)`. */
export function describeSelector(selector: LabelSelector | null | undefined): string {
  if (selector === null || selector === undefined) return 'nothing (unset)';
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector.matchExpressions ?? []).map((e) => `${e.key} ${e.operator}${e.values?.length ? ` (${e.values.join(', ')})` : ''}`),
  ];
  return parts.length ? parts.join(',') : 'everything';
}

function selects(prometheus: PrometheusObject, kind: SelectedKind, object: KubeObject, namespaceLabels: Readonly<Record<string, string>>): boolean {
  const fields = SELECTOR_FIELDS[kind];
  const spec = prometheus.spec ?? {};
  const namespaceSelector = spec[fields.namespaces] as LabelSelector | null | undefined;
  const inNamespace = namespaceSelector === null || namespaceSelector === undefined
    ? object.metadata.namespace === prometheus.metadata.namespace
    : selectorMatches(namespaceSelector, namespaceLabels);
  return inNamespace && selectorMatches(spec[fields.objects] as LabelSelector | null | undefined, object.metadata.labels ?? {});
}

function describeWants(prometheus: PrometheusObject, kind: SelectedKind): string {
  const fields = SELECTOR_FIELDS[kind];
  const spec = prometheus.spec ?? {};
  const namespaces = spec[fields.namespaces] as LabelSelector | null | undefined;
  const where = namespaces === null || namespaces === undefined ? `its own namespace only (${fields.namespaces} unset)` : `namespaces matching ${describeSelector(namespaces)}`;
  return `${prometheus.metadata.namespace ?? ''}/${prometheus.metadata.name} selects ${describeSelector(spec[fields.objects] as LabelSelector | null | undefined)} (${fields.objects}) in ${where}`;
}

/**
 * One warning per kind of monitoring object that no `Prometheus` object selects, naming an
 * example object, its labels and what each Prometheus wants. Empty when `prometheuses` is empty:
 * with no Prometheus object in the cluster nothing can be known.
 */
export function selectionWarnings(manifests: FleetManifests, prometheuses: readonly PrometheusObject[]): string[] {
  if (prometheuses.length === 0) return [];
  const objects = manifests.files.flatMap((f) => f.objects);
  const namespaceLabels = new Map(objects.filter((o) => o.kind === 'Namespace').map((o) => [o.metadata.name, { ...o.metadata.labels }]));
  const labelsOf = (namespace: string): Record<string, string> => ({ ...namespaceLabels.get(namespace), 'kubernetes.io/metadata.name': namespace });
  const warnings: string[] = [];
  for (const kind of Object.keys(SELECTOR_FIELDS) as SelectedKind[]) {
    const unselected = objects.filter((o) => o.kind === kind && !prometheuses.some((p) => selects(p, kind, o, labelsOf(o.metadata.namespace ?? ''))));
    const first = unselected[0];
    if (!first) continue;
    const labels = Object.entries(first.metadata.labels ?? {}).filter(([k]) => !k.startsWith('app.kubernetes.io/') && !k.startsWith('hello-edge.dev/'));
    warnings.push(
      `no Prometheus selects ${unselected.length} ${kind}(s) of fleet ${manifests.fleet}, e.g. ${first.metadata.namespace}/${first.metadata.name} `
      + `(monitoring labels: ${labels.length ? labels.map(([k, v]) => `${k}=${v}`).join(',') : 'none'}): `
      + `${prometheuses.map((p) => describeWants(p, kind)).join('; ')}. Set monitoring.labels to what your Prometheus selects.`,
    );
  }
  return warnings;
}

/**
 * What synth can tell without a cluster: kube-prometheus-stack's Prometheus selects by
 * `release: <its Helm release>` unless told otherwise, so monitoring objects without a `release`
 * label are most likely never read.
 */
export function configSelectionWarnings(config: FleetConfig): string[] {
  const m = config.monitoring;
  if (!m.enabled || 'release' in m.labels) return [];
  return [
    `monitoring.labels ${JSON.stringify(m.labels)} has no "release" label: kube-prometheus-stack's Prometheus selects ServiceMonitors, Probes and PrometheusRules `
    + 'by release=<its Helm release name> unless its *SelectorNilUsesHelmValues values are false, so these objects may never be read '
    + '(hello-cli deploy checks them against the Prometheus objects in the cluster)',
  ];
}
