/**
 * Turns a fleet config into Kubernetes objects, grouped by output file: one file per app plus a
 * shared one. Every object carries the fleet label, so `deploy` can prune by it.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { ConfigError } from '../common/index.js';
import { type FleetConfig, ROLLOUT } from './config/index.js';
import { AppMonitoring } from './constructs/app-monitoring.js';
import { FleetNamespace, maxPodsDuringRollout } from './constructs/fleet-namespace.js';
import { HelloApp } from './constructs/hello-app.js';
import { Prober } from './constructs/prober.js';
import { SharedGateway } from './constructs/shared-gateway.js';
import { FLEET_LABEL } from './labels.js';

/** A synthesized Kubernetes object (plain JSON). */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> };
  readonly [key: string]: unknown;
}

/** One output file and the objects in it, in apply order (namespaces first). */
export interface ManifestFile {
  /** File name, e.g. `shared.yaml` or `app-shop.yaml`. */
  readonly name: string;
  /** The app this file holds, or undefined for the shared file. */
  readonly app?: string;
  readonly objects: readonly KubeObject[];
}

/** The synthesized fleet. */
export interface FleetManifests {
  readonly fleet: string;
  /** Label selector that matches every object of this fleet (for pruning): `{FLEET_LABEL: fleet}`. */
  readonly selector: Readonly<Record<string, string>>;
  /** `shared.yaml` first, then one file per app in config order. */
  readonly files: readonly ManifestFile[];
}

/** Name of the shared file. */
export const SHARED_FILE = 'shared.yaml';

/** File name of an app's objects. */
export function appFileName(app: string): string {
  return `app-${app}.yaml`;
}

/** Largest number of listeners a Gateway may have (Gateway API validation). */
const MAX_LISTENERS = 64;

/**
 * Synthesizes the whole fleet in memory. Pure with respect to the config: the same config always
 * gives the same objects in the same order.
 */
export function synthesizeFleet(config: FleetConfig): FleetManifests {
  const app = new App();
  const chartProps = { disableResourceNameHashes: true, labels: { [FLEET_LABEL]: config.fleet } };
  const shared = new Chart(app, 'shared', chartProps);
  const m = config.monitoring;
  const localProber = m.enabled && m.prober.mode === 'local';
  const appsNamespace = config.namespaces.layout === 'shared' ? config.namespaces.shared : undefined;
  const appWorkloads = config.apps.map((a) => ({ resources: a.resources, maxPods: maxPodsDuringRollout(a.scaling.maxReplicas) }));
  // An adopted namespace is used, never created, labelled or deleted: no Namespace object for it.
  const owned = (namespace: string): boolean => !config.namespaces.adopt.includes(namespace);
  // The Helm chart of one app installs the app and its prober into the release namespace: one
  // namespace then holds both (the fleet config itself keeps them apart).
  const proberWithApps = localProber && m.prober.namespace === appsNamespace;
  if (localProber) {
    if (owned(m.prober.namespace)) {
      const prober = { resources: m.prober.resources, maxPods: m.prober.replicas + ROLLOUT.proberMaxSurge };
      new FleetNamespace(shared, proberWithApps ? 'apps-namespace' : 'prober-namespace', {
        name: m.prober.namespace,
        fleet: config.fleet,
        workloads: proberWithApps ? [...appWorkloads, prober] : [prober],
      });
    }
    new Prober(shared, 'prober', { fleet: config });
  }
  if (appsNamespace !== undefined && !proberWithApps && owned(appsNamespace)) {
    new FleetNamespace(shared, 'apps-namespace', { name: appsNamespace, fleet: config.fleet, workloads: appWorkloads });
  }
  if (config.routing.kind === 'gateway' && config.routing.gateway.create) {
    const hosts = new Set(config.apps.flatMap((a) => a.hosts.map((h) => h.host)));
    if (hosts.size + 1 > MAX_LISTENERS) {
      throw new ConfigError('routing.gateway.create', `true is not allowed with ${hosts.size} hosts; a Gateway holds at most ${MAX_LISTENERS} listeners (one per host plus HTTP): use an existing Gateway (create: false)`);
    }
    new SharedGateway(shared, 'gateway', { fleet: config });
  }
  const charts: { file: string; app?: string; chart: Chart }[] = [{ file: SHARED_FILE, chart: shared }];
  for (const a of config.apps) {
    const chart = new Chart(app, `app-${a.name}`, chartProps);
    if (config.namespaces.layout === 'per-app' && owned(a.namespace)) {
      new FleetNamespace(chart, 'namespace', {
        name: a.namespace,
        fleet: config.fleet,
        workloads: [{ resources: a.resources, maxPods: maxPodsDuringRollout(a.scaling.maxReplicas) }],
      });
    }
    new HelloApp(chart, 'app', { app: a, fleet: config });
    if (m.enabled) new AppMonitoring(chart, 'monitoring', { app: a, fleet: config });
    charts.push({ file: appFileName(a.name), app: a.name, chart });
  }
  return {
    fleet: config.fleet,
    selector: { [FLEET_LABEL]: config.fleet },
    files: charts.map(({ file, app: appName, chart }) => ({
      name: file,
      ...(appName ? { app: appName } : {}),
      objects: chart.toJson() as KubeObject[],
    })),
  };
}

/** Renders objects as one multi-document YAML string (stable key order, no line folding). */
export function renderYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/** One file written by {@link writeManifests}. */
export interface WrittenFile {
  readonly path: string;
  readonly objects: number;
  readonly bytes: number;
}

/**
 * Writes one YAML file per app plus `shared.yaml` into `outDir` (created if missing). Files of
 * apps no longer in the fleet are removed, so the directory always mirrors the config.
 */
export function writeManifests(manifests: FleetManifests, outDir: string): WrittenFile[] {
  mkdirSync(outDir, { recursive: true });
  const keep = new Set(manifests.files.map((f) => f.name));
  for (const entry of readdirSync(outDir)) {
    if (/^app-[a-z0-9-]+\.yaml$/.test(entry) && !keep.has(entry)) rmSync(join(outDir, entry));
  }
  return manifests.files.map((f) => {
    const text = renderYaml(f.objects);
    const path = join(outDir, f.name);
    writeFileSync(path, text);
    return { path, objects: f.objects.length, bytes: Buffer.byteLength(text) };
  });
}
