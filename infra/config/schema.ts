/**
 * The fleet config as a declarative schema (common/validate.ts): every field, its rule and its
 * default (from defaults.ts). Pure: no file is read here, so `fleetConfigSchema.jsonSchema()` is
 * the same rules for the Helm chart's values.schema.json. What needs I/O or the whole fleet
 * (bench files, app namespaces, unique hosts) is load.ts's.
 */
import { PROBER_DURATION_BUCKETS } from '../../prober/contract.js';
import {
  ConfigError, type Field, type JsonSchema, type Schema, MAX_TIMER_MS, boolean, define, duration, expectMap, formatDuration, integer, joinPath,
  list, number, object, oneOf, optional, quoteValue, refine, refuse, string, transform, withDefault,
} from '../../common/index.js';
import {
  DEFAULT_FLEET_NAME, DEFAULT_HELLO_IMAGE, DEFAULT_MONITORING, SHORTEST_BURN_WINDOW_FRACTION, DEFAULT_NAMESPACES, DEFAULT_PROBER_IMAGE, MIN_REPLICAS_FLOOR,
  DEFAULT_PROBER_RESOURCES, DEFAULT_RESOURCES, DEFAULT_ROUTING, DEFAULT_SHUTDOWN, DEFAULT_SLO,
} from './defaults.js';
import {
  annotationsSchema, bytesSchema, cidrSchema, cpuSchema, dnsLabel, hostNameSchema, labelsSchema, ownedNamespace, systemNamespaceProblem, urlPathSchema,
} from './formats.js';
import { imageSchema } from './image.js';
import type { HostConfig, ImageRef, MonitoringConfig, NamespacesConfig, ResourceAmounts, ResourcesConfig, RoutingConfig, SloConfig } from './types.js';

/** An object schema that takes all its own defaults when the key is absent. */
function defaulted<T>(schema: Schema<T>): Field<T> {
  return withDefault(schema, () => schema.parse({}, ''));
}

/** A duration of whole seconds in [min, max] seconds, returned in seconds. */
function seconds(min: number, max: number): Schema<number> {
  const whole = refine(duration({ min: min * 1000, max: max * 1000 }), (ms) => (ms % 1000 === 0 ? undefined : 'use whole seconds, e.g. "30s" or "5m"'));
  return transform(whole, (ms) => ms / 1000);
}

const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
const TWO_YEARS_SECONDS = 2 * 365 * 86_400;

// ---- resources ----------------------------------------------------------------------------------

const amountsSchema = object({ cpu: optional(cpuSchema), memory: optional(bytesSchema), ephemeralStorage: optional(bytesSchema) });
const AMOUNT_NAMES = { cpuMillis: 'cpu', memoryBytes: 'memory', ephemeralStorageBytes: 'ephemeralStorage' } as const;

/** Requests and limits; each amount not given takes its value from `base`. A request must not exceed its limit. */
export function resourcesSchema(base: ResourcesConfig): Schema<ResourcesConfig> {
  const shape = object({ requests: defaulted(amountsSchema), limits: defaulted(amountsSchema) });
  return transform(shape, (o, path) => {
    const merge = (a: typeof o.requests, from: ResourceAmounts): ResourceAmounts => ({
      cpuMillis: a.cpu ?? from.cpuMillis,
      memoryBytes: a.memory ?? from.memoryBytes,
      ephemeralStorageBytes: a.ephemeralStorage ?? from.ephemeralStorageBytes,
    });
    const requests = merge(o.requests, base.requests);
    // A limit written in the config always exists; only a bench recommendation may say "no CPU limit".
    const limits = merge(o.limits, { ...base.limits, cpuMillis: base.limits.cpuMillis ?? DEFAULT_RESOURCES.limits.cpuMillis ?? 0 });
    checkRequestsWithinLimits(requests, limits, path);
    return { requests, limits, source: 'config' as const };
  });
}

/** Throws when a request exceeds its limit (named at `<path>.requests.<amount>`). */
export function checkRequestsWithinLimits(requests: ResourceAmounts, limits: { readonly [K in keyof ResourceAmounts]: number | null }, path: string): void {
  for (const key of Object.keys(AMOUNT_NAMES) as (keyof ResourceAmounts)[]) {
    const limit = limits[key];
    if (limit !== null && requests[key] > limit) {
      const name = AMOUNT_NAMES[key];
      const show = (amount: number): string => (key === 'cpuMillis' ? `${amount}m` : `${amount} bytes`);
      throw new ConfigError(joinPath(path, `requests.${name}`), `${show(requests[key])} is larger than limits.${name} (${show(limit)}); a request must not exceed its limit`);
    }
  }
}

/** `resources: {fromBench: FILE}`: take requests, limits and HPA settings from a bench results file. */
export const benchRefSchema = object({
  fromBench: string({ minLength: 1, maxLength: 4096, allowed: 'a file path' }),
  /** Use a results file whose run failed its own checks (with a warning). Default false. */
  allowInvalidRun: withDefault(boolean(), false),
});

/** A bench reference, resolved by load.ts. */
export type BenchRef = ReturnType<typeof benchRefSchema.parse>;

const appResources = resourcesSchema(DEFAULT_RESOURCES);

/** An app's resources: amounts (over the built-in defaults) or a bench reference. */
export const appResourcesSchema: Schema<ResourcesConfig | BenchRef> = define({
  allowed: `${appResources.allowed}, or {fromBench: FILE}`,
  parse: (value, path) => (Object.hasOwn(expectMap(value, path), 'fromBench') ? benchRefSchema.parse(value, path) : appResources.parse(value, path)),
  jsonSchema: () => ({ anyOf: [appResources.jsonSchema(), benchRefSchema.jsonSchema()] }),
});

// ---- one app --------------------------------------------------------------------------------------

const bucketList = PROBER_DURATION_BUCKETS.map((b) => `${b * 1000}ms`).join(', ');

/** The SLO threshold: one of the prober's histogram buckets, so it can be read exactly. */
const thresholdSchema = refine(duration(), (ms) => (PROBER_DURATION_BUCKETS.includes(ms / 1000) ? undefined : `use one of the prober's histogram buckets: ${bucketList}`));

const latencySchema = object({
  threshold: withDefault(thresholdSchema, DEFAULT_SLO.latencyThresholdMs),
  objective: withDefault(number(50, 99.999, { exclusiveMin: true, allowed: 'a percentage above 50 and at most 99.999, e.g. 99 or 99.9' }), DEFAULT_SLO.objectivePercent),
});

/** `slo: {latency: {threshold, objective}}`, as the alerts read it. */
export const sloSchema: Schema<SloConfig> = transform(object({ latency: defaulted(latencySchema) }), (o) => ({
  latencyThresholdSeconds: o.latency.threshold / 1000,
  latencyObjective: o.latency.objective / 100,
}));

/** HPA settings written in the config; absent ones come from a bench file or the defaults (load.ts). */
export const scalingSchema = object({
  minReplicas: optional(integer(MIN_REPLICAS_FLOOR, 1000)),
  maxReplicas: optional(integer(3, 1000)),
  targetCPUUtilization: optional(integer(10, 100)),
});

/** One `{host, path}` entry. */
export const hostSchema: Schema<HostConfig> = object({ host: hostNameSchema, path: withDefault(urlPathSchema, '/') });

/** App names leave room for the suffixes of derived names (`-https-redirect`, `-tls`). */
export const appNameSchema = string({ pattern: /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, maxLength: 40, allowed: 'a DNS label starting with a letter, at most 40 characters (room for suffixes)' });

// Every app field but the name and hosts may also be written once under `defaults`.
const appFields = {
  image: withDefault(imageSchema, DEFAULT_HELLO_IMAGE),
  path: optional(urlPathSchema),
  slo: defaulted(sloSchema),
  scaling: defaulted(scalingSchema),
  resources: withDefault(appResourcesSchema, DEFAULT_RESOURCES),
  drainDelay: withDefault(duration(), DEFAULT_SHUTDOWN.drainDelayMs),
  shutdownTimeout: withDefault(duration(), DEFAULT_SHUTDOWN.shutdownTimeoutMs),
  /** The preStop sleep, at most an hour (the grace period covers it). */
  preStop: withDefault(seconds(0, 3600), DEFAULT_SHUTDOWN.preStopSeconds),
};

/** An app as the schema reads it; load.ts adds its namespace and resolves a bench reference. */
export interface AppInput {
  readonly name: string;
  readonly image: ImageRef;
  readonly hosts: readonly HostConfig[];
  readonly slo: SloConfig;
  readonly scaling: ReturnType<typeof scalingSchema.parse>;
  readonly resources: ResourcesConfig | BenchRef;
  readonly drainDelayMs: number;
  readonly shutdownTimeoutMs: number;
  readonly preStopSeconds: number;
}

const appObject = object({ name: appNameSchema, host: optional(hostNameSchema), hosts: optional(list(hostSchema, { minItems: 1 })), ...appFields });

/** One app of the fleet (after `defaults` were merged into it). */
export const appSchema: Schema<AppInput> = transform(appObject, (o, path) => {
  if (o.hosts !== undefined && (o.host !== undefined || o.path !== undefined)) {
    throw new ConfigError(joinPath(path, 'hosts'), 'is not allowed together with host/path; use either hosts: [{host, path}] or host (+ path)');
  }
  const hosts = o.hosts ?? (o.host === undefined ? undefined : [{ host: o.host, path: o.path ?? '/' }]);
  if (hosts === undefined) throw new ConfigError(joinPath(path, 'host'), 'is required; every app needs a host (or hosts: [{host, path}])');
  if (o.shutdownTimeout <= o.drainDelay) {
    throw new ConfigError(joinPath(path, 'shutdownTimeout'), `${quoteValue(formatDuration(o.shutdownTimeout))} is not allowed; it must be longer than drainDelay (${formatDuration(o.drainDelay)})`);
  }
  return {
    name: o.name, image: o.image, hosts, slo: o.slo, scaling: o.scaling, resources: o.resources,
    drainDelayMs: o.drainDelay, shutdownTimeoutMs: o.shutdownTimeout, preStopSeconds: o.preStop,
  };
});

/** `defaults`: any app field but name/host/hosts, merged into every app before it is read. */
export const appDefaultsSchema = object(Object.fromEntries(Object.entries(appFields).map(([key, field]) => [key, optional(field.schema)])));

// ---- shared settings ------------------------------------------------------------------------------

/** `namespaces`: where the apps live, and which existing namespaces the fleet may use without owning them. */
export const namespacesSchema: Schema<NamespacesConfig> = object({
  layout: withDefault(oneOf(['per-app', 'shared']), DEFAULT_NAMESPACES.layout),
  prefix: withDefault(string({ pattern: /^([a-z0-9][-a-z0-9]{0,30})?$/, allowed: 'lowercase letters, digits and "-", at most 31, or ""' }), DEFAULT_NAMESPACES.prefix),
  shared: withDefault(ownedNamespace(), DEFAULT_NAMESPACES.shared),
  adopt: withDefault(list(refine(dnsLabel(), systemNamespaceProblem), { maxItems: 1000 }), []),
});

const parentRefSchema = object({
  name: withDefault(dnsLabel(), DEFAULT_ROUTING.gatewayName),
  namespace: withDefault(dnsLabel(), DEFAULT_ROUTING.gatewayNamespace),
  sectionName: optional(dnsLabel()),
});

const routingObject = object({
  kind: withDefault(oneOf(['ingress', 'gateway']), DEFAULT_ROUTING.kind),
  ingress: defaulted(object({
    className: withDefault(dnsLabel(), DEFAULT_ROUTING.ingressClassName),
    controllerNamespace: withDefault(dnsLabel(), DEFAULT_ROUTING.ingressControllerNamespace),
    annotations: withDefault(annotationsSchema, {}),
  })),
  gateway: defaulted(object({
    parentRef: defaulted(parentRefSchema),
    create: withDefault(boolean(), false),
    className: withDefault(dnsLabel(), DEFAULT_ROUTING.gatewayClassName),
    dataplaneNamespace: optional(dnsLabel()),
  })),
  tls: defaulted(object({
    issuer: withDefault(dnsLabel(), DEFAULT_ROUTING.tlsIssuer),
    issuerKind: withDefault(oneOf(['ClusterIssuer', 'Issuer']), DEFAULT_ROUTING.tlsIssuerKind),
  })),
  hstsMaxAge: withDefault(seconds(0, TWO_YEARS_SECONDS), DEFAULT_ROUTING.hstsMaxAgeSeconds),
});

/** `routing`: Ingress or Gateway API, TLS issuer, HSTS. */
export const routingSchema: Schema<RoutingConfig> = transform(routingObject, (o) => {
  const { sectionName, ...parentRef } = o.gateway.parentRef;
  return {
    kind: o.kind,
    ingress: o.ingress,
    gateway: {
      ...o.gateway,
      parentRef: { ...parentRef, ...(sectionName === undefined ? {} : { sectionName }) },
      dataplaneNamespace: o.gateway.dataplaneNamespace ?? parentRef.namespace,
    },
    tls: o.tls,
    hstsMaxAgeSeconds: o.hstsMaxAge,
  };
});

const PROBER_URL = /^[A-Za-z0-9.-]{1,253}:\d{1,5}$/;

const proberObject = object({
  mode: withDefault(oneOf(['local', 'shared']), 'local'),
  url: optional(string({
    pattern: PROBER_URL,
    allowed: '"host:port" without a scheme, e.g. "blackbox-exporter.monitoring.svc:9115"',
    check: (url) => (Number(url.slice(url.lastIndexOf(':') + 1)) > 65535 ? 'use a port from 1 to 65535' : undefined),
  })),
  namespace: withDefault(ownedNamespace(), DEFAULT_MONITORING.proberNamespace),
  image: withDefault(imageSchema, DEFAULT_PROBER_IMAGE),
  replicas: withDefault(integer(2, 10), DEFAULT_MONITORING.proberReplicas),
  probeVia: withDefault(oneOf(['ingress', 'service']), DEFAULT_MONITORING.probeVia),
  egressCidrs: withDefault(list(cidrSchema, { maxItems: 100 }), []),
  resources: withDefault(resourcesSchema(DEFAULT_PROBER_RESOURCES), DEFAULT_PROBER_RESOURCES),
});

const monitoringObject = object({
  enabled: withDefault(boolean(), true),
  labels: withDefault(labelsSchema, DEFAULT_MONITORING.labels),
  prometheusNamespace: withDefault(dnsLabel(), DEFAULT_MONITORING.prometheusNamespace),
  interval: withDefault(seconds(1, MAX_TIMER_SECONDS), DEFAULT_MONITORING.intervalMs / 1000),
  scrapeTimeout: withDefault(seconds(1, MAX_TIMER_SECONDS), DEFAULT_MONITORING.scrapeTimeoutMs / 1000),
  serviceMonitor: withDefault(boolean(), true),
  probe: withDefault(boolean(), true),
  rules: withDefault(boolean(), true),
  prober: defaulted(proberObject),
  alerts: defaulted(object({
    targetDownFor: withDefault(seconds(1, MAX_TIMER_SECONDS), DEFAULT_MONITORING.targetDownForMs / 1000),
    probeMissingFor: withDefault(seconds(1, MAX_TIMER_SECONDS), DEFAULT_MONITORING.probeMissingForMs / 1000),
    proberDownFor: withDefault(seconds(1, MAX_TIMER_SECONDS), DEFAULT_MONITORING.proberDownForMs / 1000),
    certExpiryDays: withDefault(integer(1, 365), DEFAULT_MONITORING.certExpiryDays),
    certExpiryFor: withDefault(seconds(1, MAX_TIMER_SECONDS), DEFAULT_MONITORING.certExpiryForMs / 1000),
    // Prometheus durations, not timers: a year is the longest SLO period that means anything.
    sloPeriod: withDefault(seconds(1, 366 * 24 * 3600), DEFAULT_MONITORING.sloPeriodMs / 1000),
  })),
});

/** `monitoring`: the prober, ServiceMonitor, Probes and PrometheusRules. */
export const monitoringSchema: Schema<MonitoringConfig> = transform(monitoringObject, (o, path) => {
  if (o.prober.mode === 'shared' && o.prober.url === undefined) {
    throw new ConfigError(joinPath(path, 'prober.url'), 'is required when monitoring.prober.mode is "shared"; use "host:port" of the shared exporter');
  }
  if (o.scrapeTimeout > o.interval) {
    throw new ConfigError(joinPath(path, 'scrapeTimeout'), `${quoteValue(formatDuration(o.scrapeTimeout * 1000))} is not allowed; it must not exceed monitoring.interval (${formatDuration(o.interval * 1000)})`);
  }
  const shortestBurnWindow = o.alerts.sloPeriod * SHORTEST_BURN_WINDOW_FRACTION;
  if (shortestBurnWindow < 2 * o.interval) {
    throw new ConfigError(
      joinPath(path, 'alerts.sloPeriod'),
      `${quoteValue(formatDuration(o.alerts.sloPeriod * 1000))} is not allowed; its shortest burn-rate window (period / 8640 = ${shortestBurnWindow}s) must span at least two scrapes (2 x monitoring.interval = ${2 * o.interval}s)`,
    );
  }
  const { interval, scrapeTimeout, alerts, prober, ...rest } = o;
  return {
    ...rest,
    intervalSeconds: interval,
    scrapeTimeoutSeconds: scrapeTimeout,
    prober: { ...prober, url: prober.url ?? '' },
    alerts: {
      targetDownForSeconds: alerts.targetDownFor,
      probeMissingForSeconds: alerts.probeMissingFor,
      proberDownForSeconds: alerts.proberDownFor,
      certExpiryDays: alerts.certExpiryDays,
      certExpiryForSeconds: alerts.certExpiryFor,
      sloPeriodSeconds: alerts.sloPeriod,
    },
  };
});

// ---- the whole fleet ------------------------------------------------------------------------------

/** The fleet as the schema reads it; load.ts resolves it into a FleetConfig. */
export interface FleetInput {
  readonly fleet: string;
  readonly namespaces: NamespacesConfig;
  readonly routing: RoutingConfig;
  readonly monitoring: MonitoringConfig;
  readonly priorityClassName?: string;
  readonly apps: readonly AppInput[];
}

const APPS_ALLOWED = 'a list of at least one app';

// The apps are read after `defaults` are merged into each; here only their list is checked.
const appListSchema: Schema<readonly unknown[]> = define({
  allowed: APPS_ALLOWED,
  parse: (value, path) => (Array.isArray(value) && value.length > 0 ? value : refuse(path, value, APPS_ALLOWED)),
  jsonSchema: (): JsonSchema => ({ type: 'array', minItems: 1, items: appSchema.jsonSchema(), description: `use ${APPS_ALLOWED}` }),
});

const topObject = object({
  fleet: withDefault(dnsLabel('a DNS label (lowercase letters, digits, "-", at most 63)'), DEFAULT_FLEET_NAME),
  namespaces: defaulted(namespacesSchema),
  routing: defaulted(routingSchema),
  monitoring: defaulted(monitoringSchema),
  priorityClassName: optional(dnsLabel()),
  defaults: optional(appDefaultsSchema),
  apps: appListSchema,
});

/** Merges `defaults` into an app: maps one level deep (but an image or resources is replaced whole). */
function mergeDefaults(defaults: Record<string, unknown>, app: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(app)) {
    const base = out[key];
    const bothMaps = isMap(base) && isMap(value) && key !== 'image' && key !== 'resources';
    out[key] = bothMaps ? { ...base, ...value } : value;
  }
  return out;
}

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The whole fleet config. `parse` checks every field and fills every default; its JSON Schema is
 * the base of the Helm chart's values.schema.json.
 */
export const fleetConfigSchema: Schema<FleetInput> = define({
  allowed: topObject.allowed,
  parse(value, path) {
    const top = topObject.parse(value, path);
    const rawDefaults = (expectMap(value, path).defaults ?? {}) as Record<string, unknown>;
    const apps = top.apps.map((raw, i) => {
      const field = joinPath(joinPath(path, 'apps'), i);
      return appSchema.parse(mergeDefaults(rawDefaults, expectMap(raw, field)), field);
    });
    const { defaults: _defaults, priorityClassName, ...rest } = top;
    return { ...rest, ...(priorityClassName === undefined ? {} : { priorityClassName }), apps };
  },
  jsonSchema: topObject.jsonSchema,
});
