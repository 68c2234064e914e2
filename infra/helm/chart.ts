/**
 * A Helm chart for one app or a fleet, with a real `values.yaml` and a strict
 * `values.schema.json`. cdk8s' own Helm output is static YAML, so the templates are generated
 * here from the synthesized objects:
 *
 * - on/off switches (`gatewayApi.enabled`, `monitoring.enabled`, `monitoring.prober.url` shared vs
 *   local) are found by synthesizing every combination and wrapping each document in the
 *   condition under which it exists with that content;
 * - values (images, scaling, resources, SLO, gateway ref, shared exporter URL) become template
 *   expressions at the leaves that hold them; namespace quotas are computed from them;
 * - host lists (Ingress rules and TLS, HTTPRoute hostnames and matches, Probe targets, prober
 *   allowlist and targets) are `range` blocks over each app's `ingress.hosts`.
 *
 * A chart of one app installs everything into the release namespace; a fleet chart keeps the
 * config's namespaces. Rendered with its default values (a one-app chart: with `--namespace N`
 * and `namespace.create=true`), the chart gives exactly the objects of `synthesizeFleet` (of
 * {@link inReleaseNamespace}`(config, N)`).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { AppConfig, FleetConfig } from '../config/index.js';
import { type KubeObject, SHARED_FILE, type WrittenFile, appFileName, synthesizeFleet } from '../synth.js';
import { templateDocument } from './documents.js';
import { checkReplacedValues, helpersTpl } from './helpers.js';
import { Placeholders } from './placeholders.js';
import { valuesSchema } from './schema.js';
import { type ChartLayout, chartLayout, valuesYaml } from './values.js';
import {
  type Variant, type VariantPlaceholders, allVariants, conditionFor, effectiveVariant, variantConfig, variantKey,
} from './variants.js';

/**
 * Lowest Kubernetes version the objects need: the preStop `sleep` action is on by default from
 * 1.30 (matchLabelKeys in topology spread and the PDB's unhealthyPodEvictionPolicy from 1.27).
 */
export const MIN_KUBERNETES_VERSION = '1.30';

/** Options of {@link renderHelmChart}. */
export interface HelmOptions {
  /** Chart version (semver); default `0.1.0`. */
  readonly chartVersion?: string;
  /** Chart name; default `hello-edge-<fleet>`. */
  readonly chartName?: string;
}

/** One file of the chart. */
export interface ChartFile {
  /** Path inside the chart directory, e.g. `templates/app-shop.yaml`. */
  readonly path: string;
  readonly content: string;
  /** Documents in a template (0 for other files). */
  readonly objects: number;
}

/** Renders the chart in memory: Chart.yaml, values.yaml, values.schema.json, README.md, templates/_helpers.tpl, checks and one template per file. */
export function renderHelmChart(config: FleetConfig, options: HelmOptions = {}): ChartFile[] {
  const layout = chartLayout(config);
  const templates = templatesByFile(config, layout);
  const order = [SHARED_FILE, ...config.apps.map((a) => appFileName(a.name))];
  return [
    { path: 'Chart.yaml', objects: 0, content: chartYaml(config, options) },
    { path: 'values.yaml', objects: 0, content: valuesYaml(config, layout) },
    { path: 'values.schema.json', objects: 0, content: `${JSON.stringify(valuesSchema(config, layout), null, 2)}\n` },
    { path: 'README.md', objects: 0, content: readme(config, layout) },
    { path: 'templates/_helpers.tpl', objects: 0, content: `${helpersTpl()}${layout.oneApp ? checkReplacedValues() : ''}` },
    { path: 'templates/checks.yaml', objects: 0, content: checksTemplate(config, layout) },
    ...order.flatMap((name) => {
      const parts = templates.get(name);
      return parts ? [{ path: `templates/${name}`, objects: parts.length, content: parts.join('') }] : [];
    }),
  ];
}

/**
 * The config a one-app chart installs into namespace `namespace`: the app and its prober both
 * there, the namespace's quota sized for both. (`namespace` is a placeholder of the release
 * namespace when the chart is generated; tests pass a real name to get the expected objects.)
 */
export function inReleaseNamespace(config: FleetConfig, namespace: string): FleetConfig {
  return {
    ...config,
    // Whether the chart creates the namespace is namespace.create's to say, not the config's.
    namespaces: { ...config.namespaces, layout: 'shared', shared: namespace, adopt: [] },
    monitoring: { ...config.monitoring, prober: { ...config.monitoring.prober, namespace } },
    apps: config.apps.map((a) => ({ ...a, namespace })),
  };
}

/** Each template file's documents, each wrapped in the condition under which it exists with that text. */
function templatesByFile(config: FleetConfig, layout: ChartLayout): Map<string, string[]> {
  const placeholders = new Placeholders();
  const symbols: VariantPlaceholders = {
    gatewayName: placeholders.scalar('$.Values.gatewayApi.gatewayRef.name'),
    gatewayNamespace: placeholders.scalar('$.Values.gatewayApi.gatewayRef.namespace'),
    proberUrl: placeholders.scalar('$.Values.monitoring.prober.url'),
  };
  const base = layout.oneApp ? inReleaseNamespace(config, placeholders.scalar('$.Release.Namespace')) : config;
  const variants = allVariants();
  // file name -> document key -> (text -> variants having that text), in order of first appearance
  const files = new Map<string, Map<string, { kind: string; byText: Map<string, Variant[]> }>>();
  const synthesized = new Map<string, { file: string; key: string; kind: string; text: string }[]>();
  for (const variant of variants) {
    const effective = effectiveVariant(variant);
    let docs = synthesized.get(variantKey(effective));
    if (!docs) {
      docs = templatedDocuments(variantConfig(base, effective, symbols), layout, placeholders);
      synthesized.set(variantKey(effective), docs);
    }
    for (const { file, key, kind, text } of docs) {
      const byKey = files.get(file) ?? new Map<string, { kind: string; byText: Map<string, Variant[]> }>();
      files.set(file, byKey);
      const { byText } = byKey.get(key) ?? { kind, byText: new Map<string, Variant[]>() };
      byKey.set(key, { kind, byText });
      byText.set(text, [...(byText.get(text) ?? []), variant]);
    }
  }
  const namespaceKinds = new Set(['Namespace', 'LimitRange', 'ResourceQuota']);
  const out = new Map<string, string[]>();
  for (const [file, byKey] of files) {
    out.set(file, [...byKey.values()].flatMap(({ kind, byText }) => [...byText].map(([text, where]) => {
      // The chart creates the namespaces it uses (and their LimitRange and ResourceQuota) only when asked.
      const variantCondition = conditionFor(where, variants);
      const condition = namespaceKinds.has(kind)
        ? (variantCondition === undefined ? layout.createNamespaces : `and (${variantCondition}) ${layout.createNamespaces}`)
        : variantCondition;
      const body = text.trimEnd();
      return condition === undefined ? `---\n${body}\n` : `{{- if ${condition} }}\n---\n${body}\n{{- end }}\n`;
    })));
  }
  return out;
}

/** Every object of one variant's synthesis as template text, with its file and a key naming it. */
function templatedDocuments(config: FleetConfig, layout: ChartLayout, placeholders: Placeholders): { file: string; key: string; kind: string; text: string }[] {
  const apps = new Map<string, AppConfig>(config.apps.map((a) => [a.name, a]));
  const ctx = { placeholders, config, appValues: layout.appValues };
  return synthesizeFleet(config).files.flatMap((file) => file.objects.map((synthesized) => {
    const object = layout.oneApp && synthesized.kind === 'Namespace' ? keptOnUninstall(synthesized) : synthesized;
    return {
      file: file.name,
      key: `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`,
      kind: object.kind,
      text: templateDocument(object, file.app === undefined ? undefined : apps.get(file.app), ctx),
    };
  }));
}

/** Annotation that makes `helm uninstall` leave an object in place. */
export const HELM_KEEP_ANNOTATION = { 'helm.sh/resource-policy': 'keep' } as const;

/**
 * The release namespace a one-app chart creates, kept by `helm uninstall`: it holds helm's own
 * release record, which helm deletes last, so deleting the namespace first would fail the
 * uninstall ("release: not found").
 */
function keptOnUninstall(namespace: KubeObject): KubeObject {
  return { ...namespace, metadata: { ...namespace.metadata, annotations: { ...namespace.metadata.annotations, ...HELM_KEEP_ANNOTATION } } };
}

function chartYaml(config: FleetConfig, options: HelmOptions): string {
  const only = config.apps.length === 1 ? config.apps[0] : undefined;
  return stringify({
    apiVersion: 'v2',
    name: options.chartName ?? `hello-edge-${config.fleet}`,
    description: only
      ? `hello-edge app ${only.name}, generated by hello-cli synth --format helm`
      : `hello-edge fleet ${config.fleet}: ${config.apps.length} apps, generated by hello-cli synth --format helm`,
    type: 'application',
    version: options.chartVersion ?? '0.1.0',
    appVersion: config.apps[0]?.image.tag ?? '0.1.0',
    kubeVersion: `>=${MIN_KUBERNETES_VERSION}.0-0`,
  });
}

/** templates/checks.yaml: renders nothing; fails naming the value when a rule the schema cannot state is broken. */
function checksTemplate(config: FleetConfig, layout: ChartLayout): string {
  const lines = config.apps.map((a) => `{{- include "hello-edge.checkApp" (dict "path" ${JSON.stringify(layout.appPath(a.name))} "values" ${layout.appValues(a.name)}) }}`);
  lines.push('{{- include "hello-edge.checkProberUrl" . }}');
  if (layout.oneApp) lines.push('{{- include "hello-edge.checkNamespace" . }}', '{{- include "hello-edge.checkReplaced" . }}');
  return `${lines.join('\n')}\n`;
}

/**
 * Writes the chart into `outDir` (replacing `templates/`), and returns what was written.
 */
export function writeHelmChart(config: FleetConfig, outDir: string, options: HelmOptions = {}): WrittenFile[] {
  const files = renderHelmChart(config, options);
  rmSync(join(outDir, 'templates'), { recursive: true, force: true });
  return files.map((f) => {
    const path = join(outDir, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
    return { path, objects: f.objects, bytes: Buffer.byteLength(f.content) };
  });
}

/** The chart's README: how to install it, where things go, what can be set. */
function readme(config: FleetConfig, layout: ChartLayout): string {
  const install = layout.oneApp
    ? [
        'Everything is installed into the release namespace:',
        '',
        '```sh',
        'helm install hello ./chart --namespace hello --create-namespace',
        '# the chart owns the namespace: Pod Security "restricted", a LimitRange and a ResourceQuota (helm uninstall keeps the namespace)',
        'helm install hello ./chart --namespace hello --create-namespace --set namespace.create=true',
        '```',
      ]
    : [
        'The fleet config fixes the namespaces (one per app, or one shared, and the prober\'s). The chart creates',
        'them, with Pod Security "restricted", a LimitRange and a ResourceQuota, unless `namespaces.create=false`;',
        '`--namespace` only names where helm keeps the release record: an existing namespace the chart does not',
        'create.',
        '',
        '```sh',
        `helm install ${config.fleet} ./chart --namespace default --values values-prod.yaml`,
        '```',
      ];
  return [
    `# hello-edge ${layout.oneApp ? `chart of the app ${config.apps[0]?.name}` : `chart of the fleet ${config.fleet}`}`,
    '',
    'Generated by `hello-cli synth --format helm` from a fleet config; regenerate it rather than editing it.',
    `Needs Kubernetes ${MIN_KUBERNETES_VERSION} or later (the preStop sleep action), and the Prometheus Operator and`,
    'Gateway API CRDs when monitoring or Gateway API routes are on.',
    '',
    ...install,
    '',
    'values.yaml lists every value with its default; values.schema.json refuses unknown keys and wrong values,',
    'and the chart fails naming the value for the rules a schema cannot state (maxReplicas > minReplicas, a',
    'request within its limit, a pinned image).',
    '',
  ].join('\n');
}
