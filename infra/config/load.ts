/**
 * Loading a fleet config in one pass: read the file safely, check every field and fill every
 * default (schema.ts), then what needs the whole fleet or a file: app namespaces, bench
 * recommendations, unique names and hosts, namespaces the fleet may not own. The result is deeply
 * frozen. Every failure is one ConfigError naming the field, the value and what is allowed.
 */
import { dirname, resolve } from 'node:path';
import { ConfigError, deepFreeze, describeError, joinPath, quoteValue } from '../../common/index.js';
import { loadConfigFile } from '../../common/config-file.js';
import { readBenchRecommendation } from './bench.js';
import { DEFAULT_BEHAVIOR, DEFAULT_RESOURCES, DEFAULT_SCALING, MIN_REPLICAS_FLOOR } from './defaults.js';
import { DNS_LABEL, systemNamespaceProblem } from './formats.js';
import { type AppInput, type BenchRef, type FleetInput, checkRequestsWithinLimits, fleetConfigSchema } from './schema.js';
import type { AppConfig, BenchRecommendation, FleetConfig, NamespacesConfig, ResourcesConfig, ScalingConfig } from './types.js';
import { parseBytes, parseCpu } from '../quantity.js';

/** Options of {@link parseFleetConfig}. */
export interface ParseOptions {
  /** Directory that relative `fromBench` paths are resolved against; default the working directory. */
  readonly baseDir?: string;
  /** Reads a bench results file for `resources: {fromBench: FILE}`; default {@link readBenchRecommendation}. */
  readonly readBench?: (file: string) => BenchRecommendation;
}

/**
 * Parses and validates a fleet config (already parsed from YAML, or written in TypeScript),
 * applies defaults and returns a deeply frozen {@link FleetConfig}.
 * @throws ConfigError naming the field, the value and what is allowed.
 */
export function parseFleetConfig(input: unknown, options: ParseOptions = {}): FleetConfig {
  const fleet = fleetConfigSchema.parse(input, '');
  const warnings: string[] = [];
  const apps = fleet.apps.map((app, i) => resolveApp(app, `apps[${i}]`, fleet.namespaces, options, warnings));
  checkUnique(apps);
  checkNamespaces(fleet, apps);
  return deepFreeze({ ...fleet, apps, warnings });
}

/** Alias of {@link parseFleetConfig} for configs written in TypeScript. */
export const defineFleet = parseFleetConfig;

/**
 * Reads a fleet config file (YAML or JSON) and parses it; relative `fromBench` paths are
 * resolved against the file's directory.
 */
export function loadFleetConfig(file: string, options: Omit<ParseOptions, 'baseDir'> = {}): FleetConfig {
  let doc: unknown;
  try {
    doc = loadConfigFile(file, 'fleet config');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'HELLO_ERR_NOT_FOUND') throw new ConfigError('--config', `${quoteValue(file)} cannot be read: ${describeError((error as Error).cause)}`, { cause: error });
    // Errors of the file as a whole (syntax, encoding) name the option; deeper ones keep their field.
    const { field, message } = error as ConfigError;
    if (code === 'HELLO_ERR_CONFIG' && (field === 'yaml' || field === file)) {
      throw new ConfigError('--config', `${quoteValue(file)} is not valid YAML: ${message.slice(field.length + 2)}`, { cause: error });
    }
    throw error;
  }
  return parseFleetConfig(doc, { ...options, baseDir: dirname(resolve(file)) });
}

function resolveApp(app: AppInput, field: string, ns: NamespacesConfig, options: ParseOptions, warnings: string[]): AppConfig {
  const namespace = ns.layout === 'shared' ? ns.shared : `${ns.prefix}${app.name}`;
  if (!DNS_LABEL.test(namespace)) throw new ConfigError(joinPath(field, 'name'), `${quoteValue(app.name)} gives namespace ${quoteValue(namespace)}, which is not a DNS label`);
  const systemProblem = systemNamespaceProblem(namespace);
  if (systemProblem) throw new ConfigError(joinPath(field, 'name'), `${quoteValue(app.name)} gives namespace ${quoteValue(namespace)}, which is not allowed; ${systemProblem}`);
  const benchField = joinPath(field, 'resources.fromBench');
  const bench = 'fromBench' in app.resources ? readBench(app.resources, benchField, options, warnings) : undefined;
  const resources = bench ? benchResources(bench.recommendation, bench.file, benchField) : (app.resources as ResourcesConfig);
  const scaling = resolveScaling(app.scaling, bench?.recommendation, joinPath(field, 'scaling'), benchField, warnings);
  return { ...app, namespace, resources, scaling };
}

function readBench(ref: BenchRef, field: string, options: ParseOptions, warnings: string[]): { recommendation: BenchRecommendation; file: string } {
  const file = resolve(options.baseDir ?? process.cwd(), ref.fromBench);
  let recommendation: BenchRecommendation;
  try {
    recommendation = (options.readBench ?? readBenchRecommendation)(file);
  } catch (error) {
    throw new ConfigError(field, `${quoteValue(ref.fromBench)} is not a usable bench results file: ${describeError(error)}`, { cause: error });
  }
  if (!recommendation.valid) {
    const why = recommendation.problems.join('; ') || 'no reason given';
    if (!ref.allowInvalidRun) {
      throw new ConfigError(field, `${quoteValue(ref.fromBench)} is not allowed; its bench run failed its own checks (${why}): re-run the bench, or set allowInvalidRun: true beside fromBench to use it anyway`);
    }
    warnings.push(`${field}: ${quoteValue(ref.fromBench)} comes from a bench run that failed its own checks (${why}); used because allowInvalidRun is true`);
  }
  return { recommendation, file };
}

/** Resources from a bench recommendation; ephemeral storage (not measured) from the defaults. */
function benchResources(bench: BenchRecommendation, file: string, field: string): ResourcesConfig {
  const where = `${field}(${file})`;
  const amount = (text: string | undefined, parse: typeof parseCpu, key: string, fallback: number): number => (text === undefined ? fallback : parse(text, `${where}.${key}`));
  const requests = {
    cpuMillis: amount(bench.requests.cpu, parseCpu, 'requests.cpu', 0),
    memoryBytes: amount(bench.requests.memory, parseBytes, 'requests.memory', 0),
    ephemeralStorageBytes: amount(bench.requests.ephemeralStorage, parseBytes, 'requests.ephemeralStorage', DEFAULT_RESOURCES.requests.ephemeralStorageBytes),
  };
  const limits = {
    cpuMillis: bench.limits.cpu === null ? null : amount(bench.limits.cpu, parseCpu, 'limits.cpu', 0),
    memoryBytes: amount(bench.limits.memory, parseBytes, 'limits.memory', 0),
    ephemeralStorageBytes: amount(bench.limits.ephemeralStorage, parseBytes, 'limits.ephemeralStorage', DEFAULT_RESOURCES.limits.ephemeralStorageBytes),
  };
  checkRequestsWithinLimits(requests, limits, where);
  return { requests, limits, source: 'bench', benchFile: file };
}

/**
 * HPA settings: the config's, else the bench's, else the defaults. A bench value the HPA cannot
 * use (minReplicas under 2, maxReplicas not above minReplicas) is raised, and the change reported.
 */
function resolveScaling(
  written: AppInput['scaling'], bench: BenchRecommendation | undefined, field: string, benchField: string, warnings: string[],
): ScalingConfig {
  const adjust = (name: string, recommended: number, floor: number, why: string): number => {
    if (recommended >= floor) return recommended;
    warnings.push(`${benchField}: the bench recommends ${name} ${recommended}; raised to ${floor} (${why})`);
    return floor;
  };
  const benchMin = written.minReplicas === undefined && bench?.minReplicas !== undefined ? adjust('minReplicas', bench.minReplicas, MIN_REPLICAS_FLOOR, 'a PDB and a rollout need at least 2 pods') : undefined;
  const minReplicas = written.minReplicas ?? benchMin ?? DEFAULT_SCALING.minReplicas;
  const benchMax = written.maxReplicas === undefined && bench?.maxReplicas !== undefined ? adjust('maxReplicas', bench.maxReplicas, minReplicas + 1, `the HPA must be able to scale above minReplicas ${minReplicas}`) : undefined;
  const maxReplicas = written.maxReplicas ?? benchMax ?? Math.max(DEFAULT_SCALING.maxReplicas, minReplicas + 1);
  if (maxReplicas <= minReplicas) {
    throw new ConfigError(joinPath(field, 'maxReplicas'), `${maxReplicas} is not allowed; it must be larger than minReplicas (${minReplicas}) so the HPA can scale`);
  }
  return {
    minReplicas,
    maxReplicas,
    targetCpuUtilization: written.targetCPUUtilization ?? bench?.targetCpuUtilization ?? DEFAULT_SCALING.targetCpuUtilization,
    behavior: bench?.behavior ?? DEFAULT_BEHAVIOR,
  };
}

/** App names and host+path pairs are unique across the fleet. */
function checkUnique(apps: readonly AppConfig[]): void {
  const names = new Set<string>();
  const hosts = new Map<string, string>();
  apps.forEach((app, i) => {
    if (names.has(app.name)) throw new ConfigError(`apps[${i}].name`, `${quoteValue(app.name)} is not allowed; app names must be unique`);
    names.add(app.name);
    for (const h of app.hosts) {
      const key = `${h.host}${h.path}`;
      const other = hosts.get(key);
      if (other !== undefined) throw new ConfigError(`apps[${i}].hosts`, `${quoteValue(key)} is not allowed; app ${quoteValue(other)} already serves it`);
      hosts.set(key, app.name);
    }
  });
}

/**
 * The namespaces the fleet owns must be its own: the local prober's apart from the apps', and
 * none of them a namespace another component lives in (Prometheus, the ingress controller, the
 * gateway) unless the config adopts it explicitly.
 */
function checkNamespaces(fleet: FleetInput, apps: readonly AppConfig[]): void {
  const m = fleet.monitoring;
  const localProber = m.enabled && m.prober.mode === 'local';
  if (localProber && apps.some((a) => a.namespace === m.prober.namespace)) {
    throw new ConfigError('monitoring.prober.namespace', `${quoteValue(m.prober.namespace)} is not allowed; it is an app namespace, the prober needs its own`);
  }
  const r = fleet.routing;
  const others = new Map<string, string>([
    [m.prometheusNamespace, 'monitoring.prometheusNamespace'],
    ...(r.kind === 'ingress'
      ? [[r.ingress.controllerNamespace, 'routing.ingress.controllerNamespace'] as const]
      : [[r.gateway.parentRef.namespace, 'routing.gateway.parentRef.namespace'] as const, [r.gateway.dataplaneNamespace, 'routing.gateway.dataplaneNamespace'] as const]),
  ]);
  const owned: [string, string][] = [
    ...(localProber ? [[m.prober.namespace, 'monitoring.prober.namespace'] as [string, string]] : []),
    ...apps.map((a, i): [string, string] => [a.namespace, fleet.namespaces.layout === 'shared' ? 'namespaces.shared' : `apps[${i}].name`]),
  ];
  for (const [namespace, field] of owned) {
    const other = others.get(namespace);
    if (other !== undefined && !fleet.namespaces.adopt.includes(namespace)) {
      throw new ConfigError(field, `gives namespace ${quoteValue(namespace)}, which is not allowed; it is ${other}, which this fleet does not own: use a namespace of its own, or list it in namespaces.adopt to deploy into it without owning it`);
    }
  }
}
