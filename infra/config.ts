/**
 * The fleet config: one file (YAML) or object (TypeScript) listing the apps and the shared
 * settings. Parsed in one pass: defaults, parse, validate, freeze. Unknown keys are errors and
 * every message names the field, the value and what is allowed.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, describeError, parseDuration, quoteValue } from '../common/index.js';
import { HELLO_DEFAULT_DRAIN_DELAY_MS, HELLO_DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../hello/contract.js';
import { PROBER_DURATION_BUCKETS } from '../prober/contract.js';
import { validateBenchResults } from '../bench/index.js';
import { parseBytes, parseCpu } from './quantity.js';
import {
  DNS_LABEL, HOST_NAME, expectBoolean, expectEnum, expectInteger, expectList, expectNumber, expectObject, expectString,
  expectStringMap, isPlain, join, type Plain,
} from './validate.js';

/** A container image: by tag, by digest, or both (the digest wins; the tag is then documentation). */
export interface ImageRef {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** CPU in millicores, memory and ephemeral storage in bytes. */
export interface ResourceAmounts {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly ephemeralStorageBytes: number;
}

/** Limits: as {@link ResourceAmounts}, but the CPU limit may be absent (a bench may recommend none). */
export interface ResourceLimits {
  /** null: no CPU limit (only a bench recommendation can say so; CFS throttling hurts latency). */
  readonly cpuMillis: number | null;
  readonly memoryBytes: number;
  readonly ephemeralStorageBytes: number;
}

/** Requests and limits of one container, and where they came from. */
export interface ResourcesConfig {
  readonly requests: ResourceAmounts;
  readonly limits: ResourceLimits;
  /** `default` (built-in safe values), `config` (written in the file) or `bench` (a bench results file). */
  readonly source: 'default' | 'config' | 'bench';
  /** The bench results file, when `source` is `bench`. */
  readonly benchFile?: string;
}

/** One HPA scaling policy (autoscaling/v2 `HPAScalingPolicy`). */
export interface ScalingPolicy {
  readonly type: 'Pods' | 'Percent';
  readonly value: number;
  readonly periodSeconds: number;
}

/** One direction of HPA behaviour. */
export interface ScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: 'Max' | 'Min' | 'Disabled';
  readonly policies: readonly ScalingPolicy[];
}

/** HPA bounds, target and behaviour. */
export interface ScalingConfig {
  /** Default 2 (>= 2 so a PDB and a rollout never leave zero pods). */
  readonly minReplicas: number;
  /** Default 6. */
  readonly maxReplicas: number;
  /** Average CPU utilisation target in percent of the request; default 70. */
  readonly targetCpuUtilization: number;
  /** Default: up `{window 0, Percent 100/15s, Pods 4/15s, Max}`, down `{window 300, Percent 50/60s}`. */
  readonly behavior: { readonly scaleUp: ScalingRules; readonly scaleDown: ScalingRules };
}

/** The latency SLO that the burn-rate alerts watch. */
export interface SloConfig {
  /** Threshold in seconds; one of the prober's histogram buckets so it can be read exactly. Default 0.3. */
  readonly latencyThresholdSeconds: number;
  /** Fraction of probes that must be faster than the threshold; default 0.99. */
  readonly latencyObjective: number;
}

/** One host (and path) an app is served on. */
export interface HostConfig {
  readonly host: string;
  /** Default `/`. */
  readonly path: string;
}

/** One app of the fleet, with every default applied. */
export interface AppConfig {
  /** DNS label; names the Deployment, Service and the rest. Selectors derive from it. */
  readonly name: string;
  /** Namespace the app lives in (from the namespace layout). */
  readonly namespace: string;
  readonly image: ImageRef;
  readonly hosts: readonly HostConfig[];
  readonly slo: SloConfig;
  readonly scaling: ScalingConfig;
  readonly resources: ResourcesConfig;
  /** hello's drain delay after SIGTERM (env `HELLO_DRAIN_DELAY`); default from hello/contract.ts. */
  readonly drainDelayMs: number;
  /** hello's shutdown timeout (env `HELLO_SHUTDOWN_TIMEOUT`); default from hello/contract.ts. */
  readonly shutdownTimeoutMs: number;
  /** preStop sleep so endpoints are removed before SIGTERM; default 5 s. */
  readonly preStopSeconds: number;
}

/** How requests reach the apps. */
export interface RoutingConfig {
  readonly kind: 'ingress' | 'gateway';
  readonly ingress: {
    /** `spec.ingressClassName`; default `nginx`. */
    readonly className: string;
    /** Namespace of the ingress controller pods, allowed by the NetworkPolicies; default `ingress-nginx`. */
    readonly controllerNamespace: string;
    /** Extra annotations on every Ingress. */
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly gateway: {
    readonly parentRef: { readonly name: string; readonly namespace: string; readonly sectionName?: string };
    /** Create the Gateway too (in the shared file); default false. */
    readonly create: boolean;
    /** `gatewayClassName` of a created Gateway; default `nginx`. */
    readonly className: string;
    /** Namespace of the gateway's data-plane pods, allowed by the NetworkPolicies; default the parentRef namespace. */
    readonly dataplaneNamespace: string;
  };
  readonly tls: {
    /** cert-manager issuer name; default `letsencrypt`. */
    readonly issuer: string;
    /** Default `ClusterIssuer`. */
    readonly issuerKind: 'ClusterIssuer' | 'Issuer';
  };
  /** HSTS max-age in seconds; default 31536000 (one year). */
  readonly hstsMaxAgeSeconds: number;
}

/** Where the apps' namespaces are. */
export interface NamespacesConfig {
  /** `per-app` (default): one namespace per app, `<prefix><name>`; `shared`: all apps in `shared`. */
  readonly layout: 'per-app' | 'shared';
  /** Default `hello-`. */
  readonly prefix: string;
  /** Default `hello-apps`. */
  readonly shared: string;
}

/** Monitoring: the prober, ServiceMonitor, Probe and PrometheusRule. */
export interface MonitoringConfig {
  /** Default true. */
  readonly enabled: boolean;
  /** Labels every ServiceMonitor, Probe and PrometheusRule carries; default `{release: kube-prometheus-stack}`. */
  readonly labels: Readonly<Record<string, string>>;
  /** Namespace Prometheus runs in (allowed to scrape the prober); default `monitoring`. */
  readonly prometheusNamespace: string;
  /** Scrape/probe interval; default 30 s. */
  readonly intervalSeconds: number;
  /** Probe scrape timeout; default 10 s (must be <= interval). */
  readonly scrapeTimeoutSeconds: number;
  readonly serviceMonitor: boolean;
  readonly probe: boolean;
  readonly rules: boolean;
  readonly prober: {
    /** `local` (default): the fleet's own prober; `shared`: an existing exporter at `url`. */
    readonly mode: 'local' | 'shared';
    /** `host:port` of the shared exporter (mode `shared`). */
    readonly url: string;
    /** Namespace of the local prober; default `hello-edge-system`. */
    readonly namespace: string;
    readonly image: ImageRef;
    /** Default 2. */
    readonly replicas: number;
    /** `ingress` (default): probe the public URL, as a user would; `service`: the in-cluster Service. */
    readonly probeVia: 'ingress' | 'service';
    /**
     * Extra CIDRs the prober may reach on 80/443 (probeVia `ingress`): the load balancer's
     * addresses where in-cluster traffic to them leaves the cluster instead of being routed to the
     * ingress controller pods. Default none.
     */
    readonly egressCidrs: readonly string[];
    readonly resources: ResourcesConfig;
  };
  readonly alerts: {
    /** `for` of the target-down alert; default 5 minutes. */
    readonly targetDownForSeconds: number;
    /** `for` of the probe-missing alert (no probe_success series for an app); default 10 minutes. */
    readonly probeMissingForSeconds: number;
    /** `for` of the prober-down alert (no local prober instance up); default 5 minutes. */
    readonly proberDownForSeconds: number;
    /** Default 14 days. */
    readonly certExpiryDays: number;
    /** `for` of the certificate-expiry alert; default 10 minutes. */
    readonly certExpiryForSeconds: number;
    /**
     * The SLO period the latency burn-rate alerts protect; default 30 days (2592000). Their windows
     * and `for` durations (SRE workbook: 1h/5m, 6h/30m, 1d/2h, 3d/6h for 30 days) scale with it, so a
     * test can run them in minutes with the same burn factors.
     */
    readonly sloPeriodSeconds: number;
  };
}

/** The whole fleet, validated and frozen. */
export interface FleetConfig {
  /** Fleet name: the value of the `hello-edge.dev/fleet` label on every object (for pruning). */
  readonly fleet: string;
  readonly namespaces: NamespacesConfig;
  readonly routing: RoutingConfig;
  readonly monitoring: MonitoringConfig;
  /** `priorityClassName` of every pod; default none. */
  readonly priorityClassName?: string;
  readonly apps: readonly AppConfig[];
}

/** The bench recommendation infra needs from a bench results file. */
export interface BenchRecommendation {
  readonly requests: { readonly cpu: string; readonly memory: string; readonly ephemeralStorage?: string };
  /** `cpu: null`: no CPU limit. */
  readonly limits: { readonly cpu: string | null; readonly memory: string; readonly ephemeralStorage?: string };
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
  readonly targetCpuUtilization?: number;
  readonly behavior?: ScalingConfig['behavior'];
}

/** Options of {@link parseFleetConfig}. */
export interface ParseOptions {
  /** Directory that relative `fromBench` paths are resolved against; default the working directory. */
  readonly baseDir?: string;
  /** Reads a bench results file for `resources: {fromBench: FILE}`; default {@link readBenchRecommendation}. */
  readonly readBench?: (file: string) => BenchRecommendation;
}

/** Built-in resources when neither the config nor a bench file gives any. */
export const DEFAULT_RESOURCES: ResourcesConfig = Object.freeze({
  requests: Object.freeze({ cpuMillis: 100, memoryBytes: 96 * 2 ** 20, ephemeralStorageBytes: 32 * 2 ** 20 }),
  limits: Object.freeze({ cpuMillis: 500, memoryBytes: 192 * 2 ** 20, ephemeralStorageBytes: 64 * 2 ** 20 }),
  source: 'default',
});

// A limit written in the config always exists; only a bench recommendation may say "no CPU limit".
const DEFAULT_LIMIT_CPU_MILLIS = 500;

/** Built-in prober resources. */
export const DEFAULT_PROBER_RESOURCES: ResourcesConfig = Object.freeze({
  requests: Object.freeze({ cpuMillis: 50, memoryBytes: 64 * 2 ** 20, ephemeralStorageBytes: 16 * 2 ** 20 }),
  limits: Object.freeze({ cpuMillis: 500, memoryBytes: 128 * 2 ** 20, ephemeralStorageBytes: 32 * 2 ** 20 }),
  source: 'default',
});

/** Default HPA behaviour: fast up, slow and gentle down. */
export const DEFAULT_BEHAVIOR: ScalingConfig['behavior'] = Object.freeze({
  scaleUp: Object.freeze({
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max' as const,
    policies: Object.freeze([
      Object.freeze({ type: 'Percent' as const, value: 100, periodSeconds: 15 }),
      Object.freeze({ type: 'Pods' as const, value: 4, periodSeconds: 15 }),
    ]),
  }),
  scaleDown: Object.freeze({
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max' as const,
    policies: Object.freeze([Object.freeze({ type: 'Percent' as const, value: 50, periodSeconds: 60 })]),
  }),
});

/** Default image of the hello app when the config names none. */
export const DEFAULT_HELLO_IMAGE: ImageRef = Object.freeze({ repository: 'ghcr.io/hello-edge/hello', tag: '0.1.0' });
/** Default image of the prober. */
export const DEFAULT_PROBER_IMAGE: ImageRef = Object.freeze({ repository: 'ghcr.io/hello-edge/prober', tag: '0.1.0' });

const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;
const PROBER_URL = /^[A-Za-z0-9.-]+:\d{1,5}$/;
const CIDR = /^((\d{1,3}\.){3}\d{1,3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;

const TOP_KEYS = ['fleet', 'namespaces', 'routing', 'monitoring', 'priorityClassName', 'defaults', 'apps'] as const;
const APP_KEYS = ['name', 'image', 'host', 'path', 'hosts', 'slo', 'scaling', 'resources', 'drainDelay', 'shutdownTimeout', 'preStop'] as const;

/**
 * Parses and validates a fleet config (already parsed from YAML, or written in TypeScript),
 * applies defaults and returns a deeply frozen {@link FleetConfig}.
 * @throws ConfigError naming the field, the value and what is allowed.
 */
export function parseFleetConfig(input: unknown, options: ParseOptions = {}): FleetConfig {
  const top = expectObject(input, '', TOP_KEYS);
  const fleet = expectString(top.fleet ?? 'hello', 'fleet', DNS_LABEL, 'a DNS label (lowercase letters, digits, "-", at most 63)');
  const namespaces = parseNamespaces(top.namespaces ?? {});
  const routing = parseRouting(top.routing ?? {});
  const monitoring = parseMonitoring(top.monitoring ?? {});
  const priorityClassName = top.priorityClassName === undefined
    ? undefined
    : expectString(top.priorityClassName, 'priorityClassName', DNS_LABEL, 'a DNS label');
  const defaults = top.defaults === undefined ? {} : expectObject(top.defaults, 'defaults', APP_KEYS.filter((k) => k !== 'name' && k !== 'host' && k !== 'hosts'));
  if (!Array.isArray(top.apps) || top.apps.length === 0) {
    throw new ConfigError('apps', `${quoteValue(top.apps)} is not allowed; expected a list of at least one app`);
  }
  const seen = new Set<string>();
  const hosts = new Map<string, string>();
  const apps = top.apps.map((raw, i) => {
    const field = join('apps', i);
    const app = parseApp(mergeDefaults(defaults, expectObject(raw, field, APP_KEYS)), field, namespaces, options);
    if (seen.has(app.name)) throw new ConfigError(join(field, 'name'), `${quoteValue(app.name)} is not allowed; app names must be unique`);
    seen.add(app.name);
    for (const h of app.hosts) {
      const key = `${h.host}${h.path}`;
      const other = hosts.get(key);
      if (other !== undefined) throw new ConfigError(join(field, 'hosts'), `${quoteValue(key)} is not allowed; app ${quoteValue(other)} already serves it`);
      hosts.set(key, app.name);
    }
    return app;
  });
  if (monitoring.prober.mode === 'local' && apps.some((a) => a.namespace === monitoring.prober.namespace)) {
    throw new ConfigError('monitoring.prober.namespace', `${quoteValue(monitoring.prober.namespace)} is not allowed; it is an app namespace, the prober needs its own`);
  }
  return deepFreeze({ fleet, namespaces, routing, monitoring, ...(priorityClassName ? { priorityClassName } : {}), apps });
}

/** Alias of {@link parseFleetConfig} for configs written in TypeScript. */
export const defineFleet = parseFleetConfig;

/**
 * Reads a fleet config file (YAML or JSON) and parses it; relative `fromBench` paths are
 * resolved against the file's directory.
 */
export function loadFleetConfig(file: string, options: Omit<ParseOptions, 'baseDir'> = {}): FleetConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('--config', `${quoteValue(file)} cannot be read: ${describeError(error)}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true, prettyErrors: true });
  } catch (error) {
    throw new ConfigError('--config', `${quoteValue(file)} is not valid YAML: ${describeError(error)}`);
  }
  return parseFleetConfig(doc, { ...options, baseDir: dirname(resolve(file)) });
}

function mergeDefaults(defaults: Plain, app: Plain): Plain {
  const out: Plain = { ...defaults };
  for (const [key, value] of Object.entries(app)) {
    const base = out[key];
    out[key] = isPlain(base) && isPlain(value) && key !== 'image' && key !== 'resources' ? { ...base, ...value } : value;
  }
  return out;
}

function parseNamespaces(raw: unknown): NamespacesConfig {
  const o = expectObject(raw, 'namespaces', ['layout', 'prefix', 'shared']);
  return {
    layout: expectEnum(o.layout ?? 'per-app', 'namespaces.layout', ['per-app', 'shared'] as const),
    prefix: expectString(o.prefix ?? 'hello-', 'namespaces.prefix', /^([a-z0-9][-a-z0-9]{0,30})?$/, 'lowercase letters, digits and "-", at most 31, or ""'),
    shared: expectString(o.shared ?? 'hello-apps', 'namespaces.shared', DNS_LABEL, 'a DNS label'),
  };
}

function parseRouting(raw: unknown): RoutingConfig {
  const o = expectObject(raw, 'routing', ['kind', 'ingress', 'gateway', 'tls', 'hstsMaxAge']);
  const kind = expectEnum(o.kind ?? 'ingress', 'routing.kind', ['ingress', 'gateway'] as const);
  const ing = expectObject(o.ingress ?? {}, 'routing.ingress', ['className', 'controllerNamespace', 'annotations']);
  const gw = expectObject(o.gateway ?? {}, 'routing.gateway', ['parentRef', 'create', 'className', 'dataplaneNamespace']);
  const ref = expectObject(gw.parentRef ?? {}, 'routing.gateway.parentRef', ['name', 'namespace', 'sectionName']);
  const tls = expectObject(o.tls ?? {}, 'routing.tls', ['issuer', 'issuerKind']);
  const refNamespace = expectString(ref.namespace ?? 'gateway-system', 'routing.gateway.parentRef.namespace', DNS_LABEL, 'a DNS label');
  const hsts = o.hstsMaxAge === undefined ? 31_536_000 : seconds(o.hstsMaxAge, 'routing.hstsMaxAge', 0);
  return {
    kind,
    ingress: {
      className: expectString(ing.className ?? 'nginx', 'routing.ingress.className', DNS_LABEL, 'a DNS label'),
      controllerNamespace: expectString(ing.controllerNamespace ?? 'ingress-nginx', 'routing.ingress.controllerNamespace', DNS_LABEL, 'a DNS label'),
      annotations: expectStringMap(ing.annotations ?? {}, 'routing.ingress.annotations'),
    },
    gateway: {
      parentRef: {
        name: expectString(ref.name ?? 'hello-gateway', 'routing.gateway.parentRef.name', DNS_LABEL, 'a DNS label'),
        namespace: refNamespace,
        ...(ref.sectionName === undefined ? {} : { sectionName: expectString(ref.sectionName, 'routing.gateway.parentRef.sectionName', DNS_LABEL, 'a DNS label') }),
      },
      create: expectBoolean(gw.create ?? false, 'routing.gateway.create'),
      className: expectString(gw.className ?? 'nginx', 'routing.gateway.className', DNS_LABEL, 'a DNS label'),
      dataplaneNamespace: expectString(gw.dataplaneNamespace ?? refNamespace, 'routing.gateway.dataplaneNamespace', DNS_LABEL, 'a DNS label'),
    },
    tls: {
      issuer: expectString(tls.issuer ?? 'letsencrypt', 'routing.tls.issuer', DNS_LABEL, 'a DNS label'),
      issuerKind: expectEnum(tls.issuerKind ?? 'ClusterIssuer', 'routing.tls.issuerKind', ['ClusterIssuer', 'Issuer'] as const),
    },
    hstsMaxAgeSeconds: hsts,
  };
}

function parseMonitoring(raw: unknown): MonitoringConfig {
  const o = expectObject(raw, 'monitoring', ['enabled', 'labels', 'prometheusNamespace', 'interval', 'scrapeTimeout', 'serviceMonitor', 'probe', 'rules', 'prober', 'alerts']);
  const p = expectObject(o.prober ?? {}, 'monitoring.prober', ['mode', 'url', 'namespace', 'image', 'replicas', 'probeVia', 'egressCidrs', 'resources']);
  const a = expectObject(o.alerts ?? {}, 'monitoring.alerts', ['targetDownFor', 'probeMissingFor', 'proberDownFor', 'certExpiryDays', 'certExpiryFor', 'sloPeriod']);
  const mode = expectEnum(p.mode ?? 'local', 'monitoring.prober.mode', ['local', 'shared'] as const);
  if (mode === 'shared' && p.url === undefined) {
    throw new ConfigError('monitoring.prober.url', 'is required when monitoring.prober.mode is "shared"; expected "host:port" of the shared exporter');
  }
  const intervalSeconds = seconds(o.interval ?? '30s', 'monitoring.interval', 1);
  const scrapeTimeoutSeconds = seconds(o.scrapeTimeout ?? '10s', 'monitoring.scrapeTimeout', 1);
  if (scrapeTimeoutSeconds > intervalSeconds) {
    throw new ConfigError('monitoring.scrapeTimeout', `${quoteValue(o.scrapeTimeout ?? '10s')} is not allowed; it must not exceed monitoring.interval (${intervalSeconds}s)`);
  }
  return {
    enabled: expectBoolean(o.enabled ?? true, 'monitoring.enabled'),
    labels: expectStringMap(o.labels ?? { release: 'kube-prometheus-stack' }, 'monitoring.labels'),
    prometheusNamespace: expectString(o.prometheusNamespace ?? 'monitoring', 'monitoring.prometheusNamespace', DNS_LABEL, 'a DNS label'),
    intervalSeconds,
    scrapeTimeoutSeconds,
    serviceMonitor: expectBoolean(o.serviceMonitor ?? true, 'monitoring.serviceMonitor'),
    probe: expectBoolean(o.probe ?? true, 'monitoring.probe'),
    rules: expectBoolean(o.rules ?? true, 'monitoring.rules'),
    prober: {
      mode,
      url: p.url === undefined ? '' : expectString(p.url, 'monitoring.prober.url', PROBER_URL, '"host:port" without a scheme, e.g. "blackbox-exporter.monitoring.svc:9115"'),
      namespace: expectString(p.namespace ?? 'hello-edge-system', 'monitoring.prober.namespace', DNS_LABEL, 'a DNS label'),
      image: parseImage(p.image ?? DEFAULT_PROBER_IMAGE, 'monitoring.prober.image'),
      replicas: expectInteger(p.replicas ?? 2, 'monitoring.prober.replicas', 2, 10),
      probeVia: expectEnum(p.probeVia ?? 'ingress', 'monitoring.prober.probeVia', ['ingress', 'service'] as const),
      egressCidrs: expectList(p.egressCidrs ?? [], 'monitoring.prober.egressCidrs').map((c, i) => expectString(c, join('monitoring.prober.egressCidrs', i), CIDR, 'an IPv4 or IPv6 CIDR such as "203.0.113.0/24"')),
      resources: p.resources === undefined ? DEFAULT_PROBER_RESOURCES : parseResources(p.resources, 'monitoring.prober.resources', DEFAULT_PROBER_RESOURCES),
    },
    alerts: {
      targetDownForSeconds: seconds(a.targetDownFor ?? '5m', 'monitoring.alerts.targetDownFor', 1),
      probeMissingForSeconds: seconds(a.probeMissingFor ?? '10m', 'monitoring.alerts.probeMissingFor', 1),
      proberDownForSeconds: seconds(a.proberDownFor ?? '5m', 'monitoring.alerts.proberDownFor', 1),
      certExpiryDays: expectInteger(a.certExpiryDays ?? 14, 'monitoring.alerts.certExpiryDays', 1, 365),
      certExpiryForSeconds: seconds(a.certExpiryFor ?? '10m', 'monitoring.alerts.certExpiryFor', 1),
      sloPeriodSeconds: sloPeriod(a.sloPeriod, intervalSeconds),
    },
  };
}

// The shortest burn-rate window is 5 minutes of a 30-day period; rate() over it needs two scrapes.
const SHORTEST_BURN_WINDOW_FRACTION = 300 / 2_592_000;

function sloPeriod(raw: unknown, intervalSeconds: number): number {
  const field = 'monitoring.alerts.sloPeriod';
  const periodSeconds = seconds(raw ?? '720h', field, 1);
  const shortest = periodSeconds * SHORTEST_BURN_WINDOW_FRACTION;
  if (shortest < 2 * intervalSeconds) {
    throw new ConfigError(field, `${quoteValue(raw ?? '720h')} is not allowed; its shortest burn-rate window (period / 8640 = ${shortest}s) must span at least two scrapes (2 x monitoring.interval = ${2 * intervalSeconds}s)`);
  }
  return periodSeconds;
}

function parseApp(o: Plain, field: string, ns: NamespacesConfig, options: ParseOptions): AppConfig {
  const name = expectString(o.name, join(field, 'name'), /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, 'a DNS label starting with a letter, at most 40 characters (room for suffixes)');
  const namespace = ns.layout === 'shared' ? ns.shared : `${ns.prefix}${name}`;
  if (!DNS_LABEL.test(namespace)) throw new ConfigError(join(field, 'name'), `${quoteValue(name)} gives namespace ${quoteValue(namespace)}, which is not a DNS label`);
  const image = parseImage(o.image ?? DEFAULT_HELLO_IMAGE, join(field, 'image'));
  const hosts = parseHosts(o, field);
  const sloRaw = expectObject(o.slo ?? {}, join(field, 'slo'), ['latency']);
  const lat = expectObject(sloRaw.latency ?? {}, join(field, 'slo.latency'), ['threshold', 'objective']);
  const thresholdSeconds = parseDuration(String(lat.threshold ?? '300ms'), join(field, 'slo.latency.threshold')) / 1000;
  if (!PROBER_DURATION_BUCKETS.includes(thresholdSeconds)) {
    throw new ConfigError(join(field, 'slo.latency.threshold'), `${quoteValue(lat.threshold)} is not allowed; expected one of the prober's histogram buckets: ${PROBER_DURATION_BUCKETS.map((b) => `${b * 1000}ms`).join(', ')}`);
  }
  const objectivePercent = expectNumber(lat.objective ?? 99, join(field, 'slo.latency.objective'), 50, 99.999, 'a percentage above 50 and at most 99.999, e.g. 99 or 99.9');
  const drainDelayMs = o.drainDelay === undefined ? HELLO_DEFAULT_DRAIN_DELAY_MS : parseDuration(String(o.drainDelay), join(field, 'drainDelay'));
  const shutdownTimeoutMs = o.shutdownTimeout === undefined ? HELLO_DEFAULT_SHUTDOWN_TIMEOUT_MS : parseDuration(String(o.shutdownTimeout), join(field, 'shutdownTimeout'));
  if (shutdownTimeoutMs <= drainDelayMs) {
    throw new ConfigError(join(field, 'shutdownTimeout'), `${quoteValue(o.shutdownTimeout ?? `${shutdownTimeoutMs}ms`)} is not allowed; it must be longer than drainDelay (${drainDelayMs}ms)`);
  }
  const preStopSeconds = o.preStop === undefined ? 5 : seconds(o.preStop, join(field, 'preStop'), 0);
  let bench: BenchRecommendation | undefined;
  let resources: ResourcesConfig;
  const resRaw = o.resources;
  if (isPlain(resRaw) && 'fromBench' in resRaw) {
    expectObject(resRaw, join(field, 'resources'), ['fromBench']);
    const file = resolve(options.baseDir ?? process.cwd(), expectString(resRaw.fromBench, join(field, 'resources.fromBench'), /./, 'a file path'));
    try {
      bench = (options.readBench ?? readBenchRecommendation)(file);
    } catch (error) {
      throw new ConfigError(join(field, 'resources.fromBench'), `${quoteValue(resRaw.fromBench)} is not a usable bench results file: ${describeError(error)}`, { cause: error });
    }
    const parsed = parseResources({ requests: bench.requests, limits: { ...bench.limits, cpu: bench.limits.cpu ?? bench.requests.cpu } }, `${join(field, 'resources.fromBench')}(${file})`, DEFAULT_RESOURCES);
    resources = { ...parsed, limits: { ...parsed.limits, cpuMillis: bench.limits.cpu === null ? null : parsed.limits.cpuMillis }, source: 'bench', benchFile: file };
  } else {
    resources = resRaw === undefined ? DEFAULT_RESOURCES : parseResources(resRaw, join(field, 'resources'), DEFAULT_RESOURCES);
  }
  const scaling = parseScaling(o.scaling ?? {}, join(field, 'scaling'), bench);
  return {
    name, namespace, image, hosts,
    slo: { latencyThresholdSeconds: thresholdSeconds, latencyObjective: objectivePercent / 100 },
    scaling, resources, drainDelayMs, shutdownTimeoutMs, preStopSeconds,
  };
}

function parseHosts(o: Plain, field: string): HostConfig[] {
  if (o.hosts !== undefined && (o.host !== undefined || o.path !== undefined)) {
    throw new ConfigError(join(field, 'hosts'), 'is not allowed together with host/path; use either hosts: [{host, path}] or host (+ path)');
  }
  const list = o.hosts !== undefined ? o.hosts : o.host !== undefined ? [{ host: o.host, ...(o.path === undefined ? {} : { path: o.path }) }] : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(join(field, 'host'), `${quoteValue(o.host ?? o.hosts)} is not allowed; every app needs a host (or hosts: [{host, path}])`);
  }
  return list.map((h, i) => {
    const f = o.hosts !== undefined ? join(join(field, 'hosts'), i) : field;
    const hv = expectObject(h, f, ['host', 'path']);
    return {
      host: expectString(hv.host, join(f, 'host'), HOST_NAME, 'a lowercase DNS name such as "hello.example.com" (no wildcard, no scheme)'),
      path: expectString(hv.path ?? '/', join(f, 'path'), PATH, 'an absolute URL path such as "/" or "/api"'),
    };
  });
}

/** Parses an image given as a string (`repo:tag`, `repo@sha256:...`, `repo:tag@sha256:...`) or a mapping. */
export function parseImage(raw: unknown, field: string): ImageRef {
  let repository: unknown, tag: unknown, digest: unknown;
  if (typeof raw === 'string') {
    const at = raw.indexOf('@');
    const rest = at >= 0 ? raw.slice(0, at) : raw;
    digest = at >= 0 ? raw.slice(at + 1) : undefined;
    const colon = rest.lastIndexOf(':');
    const slash = rest.lastIndexOf('/');
    if (colon > slash) {
      repository = rest.slice(0, colon);
      tag = rest.slice(colon + 1);
    } else {
      repository = rest;
    }
  } else {
    const o = expectObject(raw, field, ['repository', 'tag', 'digest']);
    ({ repository, tag, digest } = o);
  }
  const repo = expectString(repository, join(field, 'repository'), REPOSITORY, 'an image repository such as "ghcr.io/acme/hello" (lowercase)');
  const t = tag === undefined || tag === '' ? undefined : expectString(tag, join(field, 'tag'), TAG, 'an image tag ([A-Za-z0-9_.-], at most 128)');
  const d = digest === undefined || digest === '' ? undefined : expectString(digest, join(field, 'digest'), DIGEST, 'a digest "sha256:" + 64 lowercase hex digits');
  if (d === undefined && (t === undefined || t === 'latest')) {
    throw new ConfigError(join(field, 'tag'), `${quoteValue(t ?? '')} is not allowed; pin the image with a tag other than "latest" or a digest`);
  }
  return { repository: repo, ...(t === undefined ? {} : { tag: t }), ...(d === undefined ? {} : { digest: d }) };
}

/** The image string a container uses: the digest wins over the tag. */
export function imageString(image: ImageRef): string {
  return image.digest !== undefined ? `${image.repository}@${image.digest}` : `${image.repository}:${image.tag ?? ''}`;
}

/** Requests and limits; each amount not given takes its value from `base`. */
function parseResources(raw: unknown, field: string, base: ResourcesConfig): ResourcesConfig {
  const o = expectObject(raw, field, ['requests', 'limits']);
  const amounts = (v: unknown, f: string, base: ResourceAmounts): ResourceAmounts => {
    const a = expectObject(v ?? {}, f, ['cpu', 'memory', 'ephemeralStorage']);
    return {
      cpuMillis: a.cpu === undefined ? base.cpuMillis : parseCpu(a.cpu, join(f, 'cpu')),
      memoryBytes: a.memory === undefined ? base.memoryBytes : parseBytes(a.memory, join(f, 'memory')),
      ephemeralStorageBytes: a.ephemeralStorage === undefined ? base.ephemeralStorageBytes : parseBytes(a.ephemeralStorage, join(f, 'ephemeralStorage')),
    };
  };
  const requests = amounts(o.requests, join(field, 'requests'), base.requests);
  const limits = amounts(o.limits, join(field, 'limits'), { ...base.limits, cpuMillis: base.limits.cpuMillis ?? DEFAULT_LIMIT_CPU_MILLIS });
  for (const key of ['cpuMillis', 'memoryBytes', 'ephemeralStorageBytes'] as const) {
    if (requests[key] > limits[key]) {
      const name = { cpuMillis: 'cpu', memoryBytes: 'memory', ephemeralStorageBytes: 'ephemeralStorage' }[key];
      const show = (amount: number): string => (key === 'cpuMillis' ? `${amount}m` : `${amount} bytes`);
      throw new ConfigError(join(field, `requests.${name}`), `${show(requests[key])} is larger than limits.${name} (${show(limits[key])}); a request must not exceed its limit`);
    }
  }
  return { requests, limits, source: 'config' };
}

function parseScaling(raw: unknown, field: string, bench: BenchRecommendation | undefined): ScalingConfig {
  const o = expectObject(raw, field, ['minReplicas', 'maxReplicas', 'targetCPUUtilization']);
  const minReplicas = expectInteger(o.minReplicas ?? bench?.minReplicas ?? 2, join(field, 'minReplicas'), 2, 1000);
  const maxReplicas = expectInteger(o.maxReplicas ?? bench?.maxReplicas ?? Math.max(6, minReplicas + 1), join(field, 'maxReplicas'), 3, 1000);
  if (maxReplicas <= minReplicas) {
    throw new ConfigError(join(field, 'maxReplicas'), `${maxReplicas} is not allowed; it must be larger than minReplicas (${minReplicas}) so the HPA can scale`);
  }
  return {
    minReplicas,
    maxReplicas,
    targetCpuUtilization: expectInteger(o.targetCPUUtilization ?? bench?.targetCpuUtilization ?? 70, join(field, 'targetCPUUtilization'), 10, 100),
    behavior: bench?.behavior ?? DEFAULT_BEHAVIOR,
  };
}

function seconds(value: unknown, field: string, min: number): number {
  const ms = parseDuration(String(value), field);
  if (ms % 1000 !== 0 || ms / 1000 < min) {
    throw new ConfigError(field, `${quoteValue(value)} is not allowed; expected whole seconds of at least ${min}s, e.g. "30s" or "5m"`);
  }
  return ms / 1000;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Reads a bench results file (bench/'s versioned format, validated by bench/) and returns the
 * resources and HPA settings it recommends. Ephemeral storage is not measured by the bench, so
 * the built-in values are used for it.
 */
export function readBenchRecommendation(file: string): BenchRecommendation {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(file, `cannot be read as JSON: ${describeError(error)}`);
  }
  const rec = validateBenchResults(doc).recommendation;
  return {
    requests: { cpu: `${rec.resources.cpuRequestMillicores}m`, memory: `${rec.resources.memoryRequestMiB}Mi` },
    limits: { cpu: rec.resources.cpuLimitMillicores === null ? null : `${rec.resources.cpuLimitMillicores}m`, memory: `${rec.resources.memoryLimitMiB}Mi` },
    minReplicas: Math.max(2, rec.hpa.minReplicas),
    maxReplicas: Math.max(rec.hpa.maxReplicas, Math.max(2, rec.hpa.minReplicas) + 1),
    targetCpuUtilization: rec.hpa.targetCPUUtilizationPercentage,
    behavior: {
      scaleUp: { ...rec.hpa.behavior.scaleUp, policies: rec.hpa.behavior.scaleUp.policies.map((p) => ({ ...p })) },
      scaleDown: { ...rec.hpa.behavior.scaleDown, policies: rec.hpa.behavior.scaleDown.policies.map((p) => ({ ...p })) },
    },
  };
}
