/**
 * One synthesized object as template text: its value leaves become template expressions and its
 * host lists become `range` blocks over the app's `ingress.hosts` value. Items of those lists are
 * built by the same functions as the synthesized ones, with placeholders for the host and path.
 */
import { type SloTerms, appAlertGroup } from '../alerts.js';
import { type AppConfig, type FleetConfig, imageString } from '../config/index.js';
import {
  PROBER_CONFIG_YAML_OPTIONS, probeTargetHost, probeTargetUrl, proberConfig, proberTarget,
} from '../constructs/prober.js';
import type { KubeObject } from '../synth.js';
import { goLiteral } from './helpers.js';
import { type Placeholders, indentLines } from './placeholders.js';
import { resourceValues } from './values.js';

/** What turning a document into template text needs. */
export interface DocumentContext {
  readonly placeholders: Placeholders;
  /** The config this document was synthesized from (a variant of the fleet's). */
  readonly config: FleetConfig;
  /** Template expression of an app's values, e.g. `(index $.Values.apps "shop")`. */
  appValues(app: string): string;
}

// Kubernetes' resource names and the values' (the fleet config's) names for the same amounts.
const RESOURCE_KEYS = { cpu: 'cpu', memory: 'memory', 'ephemeral-storage': 'ephemeralStorage' } as const;
type ResourceName = keyof typeof RESOURCE_KEYS;
const isResourceName = (name: string): name is ResourceName => Object.hasOwn(RESOURCE_KEYS, name);

/** A host of an app as placeholders for the fields of one `ingress.hosts` item (inside a `range`). */
interface HostPlaceholders {
  readonly host: string;
  readonly path: string;
}

/** One source of list items: the items for each host of one app. */
interface HostItems {
  readonly app: AppConfig;
  readonly item: (host: HostPlaceholders) => unknown;
}

// A JSON path into a synthesized object; the objects are plain JSON, so they are walked untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The template text of one synthesized object (`app` is the app whose file it is in, if any). */
export function templateDocument(object: KubeObject, app: AppConfig | undefined, ctx: DocumentContext): string {
  const doc = structuredClone(object) as Json;
  const hostsTemplate = (sources: readonly HostItems[], options: { unique?: boolean } = {}) =>
    hostList(ctx, sources, options);
  if (app) {
    const values = ctx.appValues(app.name);
    const p = ctx.placeholders;
    const one = (item: (host: HostPlaceholders) => unknown): HostItems[] => [{ app, item }];
    switch (object.kind) {
      case 'Deployment':
        for (const c of doc.spec.template.spec.containers as Json[]) {
          if (c.image !== imageString(app.image)) continue;
          c.image = p.scalar(`include "hello-edge.image" ${values}.image`);
          for (const side of ['requests', 'limits'] as const) templateAmounts(c.resources[side], (name) => amountOf(values, side, name), p);
        }
        break;
      case 'HorizontalPodAutoscaler':
        doc.spec.minReplicas = p.scalar(`${values}.scaling.minReplicas`, 'int');
        doc.spec.maxReplicas = p.scalar(`${values}.scaling.maxReplicas`, 'int');
        doc.spec.metrics[0].resource.target.averageUtilization = p.scalar(`${values}.scaling.targetCPUUtilization`, 'int');
        break;
      case 'PrometheusRule':
        doc.spec.groups = [appAlertGroup(app, ctx.config.monitoring, chartSloTerms(p, values))];
        break;
      case 'Ingress': {
        const rule = doc.spec.rules[0];
        doc.spec.rules = hostsTemplate(one((h) => ({ ...rule, host: h.host, http: { paths: [{ ...rule.http.paths[0], path: h.path }] } })));
        doc.spec.tls[0].hosts = hostsTemplate(one((h) => h.host), { unique: true });
        break;
      }
      case 'HTTPRoute':
        doc.spec.hostnames = hostsTemplate(one((h) => h.host), { unique: true });
        if (object.metadata.name === app.name) {
          const match = doc.spec.rules[0].matches[0];
          doc.spec.rules[0].matches = hostsTemplate(one((h) => ({ ...match, path: { ...match.path, value: h.path } })));
        }
        break;
      case 'Probe':
        doc.spec.targets.staticConfig.static = hostsTemplate(one((h) => probeTargetUrl(app, h, ctx.config.monitoring.prober.probeVia)));
        break;
    }
  } else if (object.kind === 'ConfigMap' && typeof doc.data?.['prober.yml'] === 'string') {
    doc.data['prober.yml'] = proberConfigTemplate(ctx);
  }
  if (object.kind === 'LimitRange' || object.kind === 'ResourceQuota') templateNamespaceTotals(doc, ctx);
  return ctx.placeholders.toTemplate(doc);
}

/** The expression of one amount of an app's `resources` values, printed as Kubernetes prints it. */
function amountOf(values: string, side: 'requests' | 'limits', name: ResourceName): string {
  return `include "${name === 'cpu' ? 'hello-edge.cpu' : 'hello-edge.memory'}" ${values}.resources.${side}.${RESOURCE_KEYS[name]}`;
}

/** Replaces each amount of a `{cpu, memory, ephemeral-storage}` map by the expression `of` gives for it. */
function templateAmounts(amounts: Json, of: (name: ResourceName) => string, p: Placeholders): void {
  for (const name of Object.keys(amounts ?? {})) {
    if (isResourceName(name)) amounts[name] = p.scalar(of(name));
  }
}

/** The SLO's numbers in an app's rules, as template expressions over its `slo` values. */
function chartSloTerms(p: Placeholders, values: string): SloTerms {
  const latency = `${values}.slo.latency`;
  return {
    leMatcher: p.scalar(`include "hello-edge.leMatcher" ${latency}.threshold`),
    thresholdMs: p.scalar(`include "hello-edge.thresholdMs" ${latency}.threshold`),
    objective: p.scalar(`include "hello-edge.objective" ${latency}.objective`),
    burnThreshold: (factor) => p.scalar(`include "hello-edge.burnThreshold" (list ${factor} ${latency}.objective)`),
  };
}

/**
 * A namespace's LimitRange or ResourceQuota, computed in the template from the resources and
 * maxReplicas values of the apps in it, as FleetNamespace computes them from the config:
 * defaults from the first workload, the largest limit, and sums over every pod they may run.
 */
function templateNamespaceTotals(doc: Json, ctx: DocumentContext): void {
  const { config, placeholders: p } = ctx;
  const namespace = doc.metadata.namespace as string;
  const apps = config.apps.filter((a) => a.namespace === namespace);
  if (apps.length === 0) return; // the prober's own namespace: nothing in it comes from values
  const m = config.monitoring;
  const workloads = apps.map((a) => `(dict "resources" ${ctx.appValues(a.name)}.resources "maxPods" (include "hello-edge.rolloutPods" ${ctx.appValues(a.name)}.scaling.maxReplicas | atoi))`);
  if (m.enabled && m.prober.mode === 'local' && m.prober.namespace === namespace) {
    workloads.push(`(dict "resources" ${goLiteral(resourceValues(m.prober.resources))} "maxPods" ${m.prober.replicas + 1})`);
  }
  const list = `(list ${workloads.join(' ')})`;
  const first = ctx.appValues((apps[0] as AppConfig).name);
  if (doc.kind === 'LimitRange') {
    const limits = doc.spec.limits[0];
    templateAmounts(limits.defaultRequest, (name) => amountOf(first, 'requests', name), p);
    templateAmounts(limits.default, (name) => amountOf(first, 'limits', name), p);
    templateAmounts(limits.max, (name) => `include "hello-edge.largest" (dict "workloads" ${list} "key" "${RESOURCE_KEYS[name]}")`, p);
    return;
  }
  const hard = doc.spec.hard;
  for (const key of Object.keys(hard)) {
    const [side, name] = key.split('.') as [string, string];
    if (key === 'pods') hard[key] = p.scalar(`include "hello-edge.pods" ${list}`);
    else if (isResourceName(name)) hard[key] = p.scalar(`include "hello-edge.total" (dict "workloads" ${list} "side" "${side}" "key" "${RESOURCE_KEYS[name]}")`);
  }
}

/**
 * A list with the items of each source for every host of its app, in order; `unique` drops
 * repeated items (for lists of host names, which the constructs build from a Set).
 */
function hostList(ctx: DocumentContext, sources: readonly HostItems[], options: { unique?: boolean; yaml?: object } = {}): string {
  const p = ctx.placeholders;
  const host: HostPlaceholders = { host: p.scalar('.host'), path: p.scalar('.path | default "/"') };
  const itemLines = (item: unknown) => p.toTemplate([item], options.yaml).trimEnd().split('\n');
  return p.block((indent) => {
    const hostsOf = (app: AppConfig) => `${ctx.appValues(app.name)}.ingress.hosts`;
    const body = options.unique
      ? [
          '{{- $items := list }}',
          ...sources.map((s) => `{{- range ${hostsOf(s.app)} }}{{- $items = append $items ${p.expressionOf(s.item(host) as string)} }}{{- end }}`),
          '{{- range uniq $items }}',
          ...itemLines(p.scalar('.')),
          '{{- end }}',
        ]
      : sources.flatMap((s) => [`{{- range ${hostsOf(s.app)} }}`, ...itemLines(s.item(host)), '{{- end }}']);
    return indentLines(indent, body);
  });
}

/**
 * The prober's config file as a literal block: the very object the Prober construct writes, with
 * its allowlist and targets ranging over every app's hosts.
 */
function proberConfigTemplate(ctx: DocumentContext): string {
  const { config, placeholders: p } = ctx;
  const via = config.monitoring.prober.probeVia;
  const file = proberConfig(config);
  const yaml = PROBER_CONFIG_YAML_OPTIONS;
  const templated = {
    ...file,
    target_policy: {
      ...file.target_policy,
      allow: hostList(ctx, config.apps.map((app) => ({ app, item: (h) => probeTargetHost(app, h, via) })), { unique: true, yaml }),
    },
    targets: hostList(ctx, config.apps.map((app) => ({ app, item: (h) => proberTarget(probeTargetUrl(app, h, via), app.name, config) })), { yaml }),
  };
  return p.block((indent) => indentLines(indent, p.toTemplate(templated, yaml).trimEnd().split('\n')), 'literal');
}
