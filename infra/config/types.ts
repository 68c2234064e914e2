/**
 * The shapes of a parsed fleet config: what `parseFleetConfig` returns, every default applied,
 * deeply frozen. Defaults are documented (and defined) in defaults.ts; the rules in schema.ts.
 */

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
  /**
   * Namespaces that exist already, are not this fleet's, and that the fleet may deploy into
   * without owning them: no Namespace object, no Pod Security labels, LimitRange or quota, and
   * destroy/prune never delete them. Default none. Deploy refuses any other existing namespace
   * that lacks this fleet's label.
   */
  readonly adopt: readonly string[];
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
    /** The SLO period the burn-rate alerts protect (their windows scale with it); default 30 days. */
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
  /**
   * What the loader changed on the user's behalf (a bench recommendation raised to the HPA's
   * floor, a failed bench run used on request), one line each naming the field. The CLI prints
   * them as warnings; empty when nothing was adjusted.
   */
  readonly warnings: readonly string[];
}

/** The bench recommendation infra needs from a bench results file, as the file says it (unadjusted). */
export interface BenchRecommendation {
  /** False when the bench run failed its own checks (`validity.valid`); `problems` says why. */
  readonly valid: boolean;
  readonly problems: readonly string[];
  readonly requests: { readonly cpu: string; readonly memory: string; readonly ephemeralStorage?: string };
  /** `cpu: null`: no CPU limit. */
  readonly limits: { readonly cpu: string | null; readonly memory: string; readonly ephemeralStorage?: string };
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
  readonly targetCpuUtilization?: number;
  readonly behavior?: ScalingConfig['behavior'];
}

