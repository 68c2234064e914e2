/**
 * Facts about the prober that other parts (infra/, Dockerfile.prober, the CLI) rely on.
 * Constants only, so `infra/` can import this file without pulling in runtime code.
 * Where the blackbox exporter has an equivalent, the value is the exporter's, so a Probe or
 * ServiceMonitor written for the exporter works unchanged.
 */

/** Port the prober listens on by default (the blackbox exporter's). */
export const PROBER_DEFAULT_PORT = 9115;

/** Default `--web.listen-address`. */
export const PROBER_DEFAULT_LISTEN_ADDRESS = `:${PROBER_DEFAULT_PORT}`;

/** Name of the container port, referenced by the Service, Probe and ServiceMonitor. */
export const PROBER_PORT_NAME = 'http';

/** The routes the prober answers. */
export const PROBER_PATHS = {
  /** `GET /probe?target=...&module=...[&debug=true]`: one probe, a fresh registry. */
  probe: '/probe',
  /** `GET /metrics`: the prober's own metrics and, in scheduled mode, per-target series. */
  metrics: '/metrics',
  /** `GET /-/healthy`: liveness (200 while the process serves). */
  healthy: '/-/healthy',
  /** `GET /-/ready`: readiness (200 once a config is loaded). */
  ready: '/-/ready',
  /** `POST /-/reload`: reload the config file (same as SIGHUP). */
  reload: '/-/reload',
} as const;

/** Numeric user and group the image runs as (>= 10000, as kube-score asks). */
export const PROBER_RUN_AS_UID = 10001;
export const PROBER_RUN_AS_GID = 10001;

/**
 * Where the image expects its config. Mount the *directory* (a ConfigMap volume), never a
 * subPath: subPath mounts are not updated when the ConfigMap changes, so a reload would re-read
 * the old file.
 */
export const PROBER_CONFIG_DIR = '/etc/hello-prober';
/** Config file name inside {@link PROBER_CONFIG_DIR} (the ConfigMap key). */
export const PROBER_CONFIG_FILE_NAME = 'prober.yml';
/** Full default config path. */
export const PROBER_DEFAULT_CONFIG_FILE = `${PROBER_CONFIG_DIR}/${PROBER_CONFIG_FILE_NAME}`;

/** Command-line flags of `node dist/prober/main.js` and `hello-cli prober` (the exporter's names). */
export const PROBER_FLAGS = {
  configFile: '--config.file',
  listenAddress: '--web.listen-address',
  configCheck: '--config.check',
  timeoutOffset: '--timeout-offset',
  logLevel: '--log.level',
  /** Re-read the config file when its content changes (the exporter's flag): ConfigMap updates apply by themselves. */
  autoReload: '--config.enable-auto-reload',
  /** How often the auto-reload looks at the file (a duration; default 30s, the exporter's). */
  autoReloadInterval: '--config.auto-reload-interval',
} as const;

/** Default of {@link PROBER_FLAGS.autoReloadInterval}, in milliseconds. */
export const PROBER_DEFAULT_AUTO_RELOAD_INTERVAL_MS = 30_000;

/** Environment variables read when the matching flag is absent. */
export const PROBER_ENV = {
  configFile: 'PROBER_CONFIG_FILE',
  listenAddress: 'PROBER_LISTEN_ADDRESS',
  logLevel: 'PROBER_LOG_LEVEL',
} as const;

/** Seconds subtracted from `X-Prometheus-Scrape-Timeout-Seconds` (the exporter's `--timeout-offset`). */
export const PROBER_DEFAULT_TIMEOUT_OFFSET_SECONDS = 0.5;

/** Scrape timeout assumed when Prometheus sends no `X-Prometheus-Scrape-Timeout-Seconds` (the exporter's). */
export const PROBER_DEFAULT_SCRAPE_TIMEOUT_SECONDS = 120;

/**
 * The metrics of a `/probe` answer: name -> help, the blackbox exporter's (0.23) word for word.
 * Probers register one only when it means something, as the exporter does.
 */
export const PROBE_METRICS = {
  probe_success: 'Displays whether or not the probe was a success',
  probe_duration_seconds: 'Returns how long the probe took to complete in seconds',
  probe_dns_lookup_time_seconds: 'Returns the time taken for probe dns lookup in seconds',
  probe_ip_protocol: 'Specifies whether probe ip protocol is IP4 or IP6',
  probe_ip_addr_hash: "Specifies the hash of IP address. It's useful to detect if the IP address changes.",
  probe_failed_due_to_regex: 'Indicates if probe failed due to regex',
  probe_http_duration_seconds: 'Duration of http request by phase, summed over all redirects',
  probe_http_content_length: 'Length of http content response',
  probe_http_uncompressed_body_length: 'Length of uncompressed response body',
  probe_http_redirects: 'The number of redirects',
  probe_http_ssl: 'Indicates if SSL was used for the final redirect',
  probe_http_status_code: 'Response HTTP status code',
  probe_http_version: 'Returns the version of HTTP of the probe response',
  probe_http_last_modified_timestamp_seconds: 'Returns the Last-Modified HTTP response header in unixtime',
  probe_ssl_earliest_cert_expiry: 'Returns last SSL chain expiry in unixtime',
  probe_ssl_last_chain_expiry_timestamp_seconds: 'Returns last SSL chain expiry in timestamp',
  probe_ssl_last_chain_info: 'Contains SSL leaf certificate information',
  probe_tls_version_info: 'Returns the TLS version used or NaN when unknown',
} as const;

/** A metric name from {@link PROBE_METRICS}. */
export type ProbeMetricName = keyof typeof PROBE_METRICS;

/** The prober's own metrics on `/metrics`: name -> help (the exporter's names and texts where it has them). */
export const PROBER_SELF_METRICS = {
  /** Gauge, 1 when the last reload succeeded (the exporter's, so its alerts keep working). */
  blackbox_exporter_config_last_reload_successful: 'Blackbox exporter config loaded successfully.',
  /** Gauge, Unix time of the last successful reload (the exporter's). */
  blackbox_exporter_config_last_reload_success_timestamp_seconds: 'Timestamp of the last successful configuration reload.',
  /** Counter, `/probe` requests naming an unknown module (the exporter's). */
  blackbox_module_unknown_total: 'Count of unknown modules requested by probes',
  /** Counter `{module}`, probes run through `/probe`. */
  prober_probes_total: 'Probes run through /probe, by module',
  /** Counter `{module}`, probes through `/probe` that failed. */
  prober_probe_failures_total: 'Probes through /probe that failed, by module',
  /** Counter, `/probe` requests refused with 503 by the concurrency limit. */
  prober_probes_rejected_total: 'Probe requests refused with 503 by limits.max_concurrent_probes',
  /** Gauge, `/probe` requests in flight. */
  prober_probes_in_flight: 'Probe requests in flight',
} as const;

/** A metric name from {@link PROBER_SELF_METRICS}. */
export type ProberSelfMetricName = keyof typeof PROBER_SELF_METRICS;

/**
 * Scheduled mode's per-target series on `/metrics`, labelled `{target, module, ...target labels}`:
 * name -> help. Counters and a histogram, so availability and latency SLOs need no sampling.
 */
export const SCHEDULED_TARGET_METRICS = {
  /** Gauge, 1 when the last probe succeeded. */
  probe_success: 'Whether the last scheduled probe of the target succeeded',
  /** Histogram of probe durations ({@link PROBER_DURATION_BUCKETS}). */
  probe_duration_seconds: 'Duration of scheduled probes in seconds',
  /** Counter, probes run. */
  probe_runs_total: 'Scheduled probes run',
  /** Counter, probes that failed. */
  probe_failures_total: 'Scheduled probes that failed',
} as const;

/** A metric name from {@link SCHEDULED_TARGET_METRICS}. */
export type ScheduledTargetMetricName = keyof typeof SCHEDULED_TARGET_METRICS;

/**
 * Buckets (seconds) of the scheduled-mode `probe_duration_seconds` histogram: dense between
 * 50 ms and 1 s, where latency SLO thresholds usually sit, so `le="0.3"` or `le="0.5"` can be
 * read exactly.
 */
export const PROBER_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10,
]);

/** Labels every scheduled-mode series carries; user labels from `targets[].labels` are added. */
export const PROBER_SCHEDULED_LABELS = ['target', 'module'] as const;

/** Module used when `/probe` gets no `module` parameter (the exporter's default). */
export const PROBER_DEFAULT_MODULE = 'http_2xx';
