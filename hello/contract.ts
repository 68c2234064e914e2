/**
 * Facts about the hello service that other parts (infra/, bench/, Dockerfile.hello) rely on.
 * This file holds constants only, so `infra/` can import it without pulling in runtime code.
 */

/** Port the service listens on when `PORT` is not set. */
export const HELLO_DEFAULT_PORT = 8080;

/** Name of the container port, referenced by probes and the Service (IANA_SVC_NAME rules). */
export const HELLO_PORT_NAME = 'http';

/** The routes the service answers. */
export const HELLO_PATHS = {
  root: '/',
  liveness: '/healthz',
  readiness: '/readyz',
} as const;

/** Exact body of `GET /`, as the original Flask app sent it. */
export const HELLO_BODY = 'Hello World!';

/** Numeric user and group the image runs as (>= 10000, as kube-score asks). */
export const HELLO_RUN_AS_UID = 10001;
export const HELLO_RUN_AS_GID = 10001;

/**
 * Node flags the image starts the service with (Dockerfile.hello's ENTRYPOINT); the bench starts
 * hello with the same (test/bench/target.test.ts holds the two together), though outside a pod's
 * memory limit unless told (`--memory-limit`), so V8 sizes its heap from the machine's memory.
 * - `--max-old-space-size-percentage=50`: V8's old space capped at half the container's memory
 *   limit; without it V8 sizes its heap for at least 256 MB whatever a 128-192Mi pod has
 *   (docs/COST.md, node flags).
 * - `--no-parallel-scavenge`: a pod of a fraction of a core gets that fraction, and V8's parallel
 *   scavenge then waits for helper threads that share it. Under the bench's 250m share, the
 *   server's scavenges took 9.7-18.9 ms at the 90th percentile with helpers, and 0.4-1.6 ms in
 *   most processes with one thread. Not `--single-threaded-gc`: its scavenges were as short, but
 *   without concurrent marking hello under a 1,000-connection flood peaked at 108-118 MiB of its
 *   192 MiB limit (57-74 MiB with this flag) and its mark-compacts took up to 61-78 ms
 *   (docs/BENCHMARKS.md, set 12).
 */
export const HELLO_NODE_FLAGS: readonly string[] = ['--max-old-space-size-percentage=50', '--no-parallel-scavenge'];

/** Environment variables the service reads; nothing else configures it. */
export const HELLO_ENV = {
  port: 'PORT',
  host: 'HOST',
  drainDelay: 'HELLO_DRAIN_DELAY',
  shutdownTimeout: 'HELLO_SHUTDOWN_TIMEOUT',
  keepAliveTimeout: 'HELLO_KEEP_ALIVE_TIMEOUT',
  headersTimeout: 'HELLO_HEADERS_TIMEOUT',
  requestTimeout: 'HELLO_REQUEST_TIMEOUT',
  maxHeaderSize: 'HELLO_MAX_HEADER_SIZE',
  maxConnections: 'HELLO_MAX_CONNECTIONS',
  maxQueuedResponses: 'HELLO_MAX_QUEUED_RESPONSES',
  logLevel: 'HELLO_LOG_LEVEL',
  accessLog: 'HELLO_ACCESS_LOG',
} as const;

/**
 * Shutdown timings in milliseconds. Kubernetes needs
 * `terminationGracePeriodSeconds > preStop + drainDelay + (time to finish in-flight requests)`;
 * `infra/` derives the grace period from these.
 */
export const HELLO_DEFAULT_DRAIN_DELAY_MS = 5_000;
export const HELLO_DEFAULT_SHUTDOWN_TIMEOUT_MS = 20_000;

/** Defaults of the environment variables, in one place (durations in milliseconds). */
export const HELLO_DEFAULTS = {
  port: HELLO_DEFAULT_PORT,
  host: '0.0.0.0',
  drainDelayMs: HELLO_DEFAULT_DRAIN_DELAY_MS,
  shutdownTimeoutMs: HELLO_DEFAULT_SHUTDOWN_TIMEOUT_MS,
  /** Longer than a typical load balancer's 60 s idle timeout, so the balancer closes first. */
  keepAliveTimeoutMs: 65_000,
  /** Cuts slowloris clients; a real client sends its headers in milliseconds. */
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  /** Bytes of request headers; more gets 431. */
  maxHeaderSize: 16_384,
} as const;
