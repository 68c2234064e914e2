/**
 * The error catalogue: every error the toolkit raises on purpose, one class per code, and the
 * exit status each code ends a CLI run with. Callers switch on `code`, never on the message or
 * the class; the CLI's documented exit codes are {@link EXIT_CODES}, rendered from here.
 */

/**
 * Exit statuses of `hello-cli` (and of the hello and prober entry points). The numbers are a
 * public contract: scripts branch on them.
 */
export const EXIT_CODES = {
  /** Done; for `diff`: nothing would change. */
  ok: 0,
  /** The job ran and the answer is "no": a probe failed, `diff` found changes, no recommendation, an external failure. */
  failed: 1,
  /** Bad input: unknown command or option, a bad argument or config value, a missing file. Nothing was done. */
  usage: 2,
  /** A system tool the command needs (kubectl, ...) is not installed. */
  toolMissing: 3,
  /** No cluster reachable, or kubectl has no usable configuration. */
  clusterUnreachable: 4,
  /** The cluster does not know a kind the manifests use (a CRD is missing). */
  kindMissing: 5,
  /** The cluster refused the operation (RBAC). */
  forbidden: 6,
  /** A rollout (or a destroy) did not finish: pods not ready, unschedulable, deadline passed. */
  rolloutFailed: 7,
  /** A bug: an error nobody raised on purpose (EX_SOFTWARE). Please report it. */
  internal: 70,
  /** Stopped by Ctrl-C or SIGINT. */
  interrupted: 130,
} as const;

/** Name of an exit status in {@link EXIT_CODES}. */
export type ExitName = keyof typeof EXIT_CODES;

/** What each exit status tells a script, for `--help` and the README (one line each). */
export const EXIT_MEANINGS: Readonly<Record<ExitName, string>> = {
  ok: 'done; for diff: nothing would change',
  failed: 'the job ran and the answer is no: probe failed, diff has changes, no recommendation, an external failure',
  usage: 'bad input, nothing done: unknown command or option, bad argument or config value, unreadable file',
  toolMissing: 'a system tool the command needs (kubectl) is not installed',
  clusterUnreachable: 'no cluster reachable, or no usable kubeconfig',
  kindMissing: 'the cluster lacks a CRD the manifests use (Prometheus Operator, Gateway API)',
  forbidden: 'the cluster refused the operation (RBAC)',
  rolloutFailed: 'a rollout or destroy did not finish in time',
  internal: 'a bug (please report it)',
  interrupted: 'stopped by Ctrl-C',
};

/** What each code means and how it ends a CLI run. Adding a code is fine; renaming one breaks callers. */
export const ERROR_CATALOGUE = {
  HELLO_ERR_USAGE: { exit: 'usage', meaning: 'the command line is not what the command takes (unknown command or option, missing argument)' },
  HELLO_ERR_CONFIG: { exit: 'usage', meaning: 'a configuration value (file, environment variable, option) is not allowed' },
  HELLO_ERR_INVALID_ARG: { exit: 'usage', meaning: 'a function was called with an argument outside its contract' },
  HELLO_ERR_NOT_FOUND: { exit: 'usage', meaning: 'a file the command needs cannot be read' },
  HELLO_ERR_TOOL_MISSING: { exit: 'toolMissing', meaning: 'a system tool the command needs is not installed' },
  HELLO_ERR_EXTERNAL: { exit: 'failed', meaning: 'an external system (a server, a tool) failed the operation' },
  HELLO_ERR_CLUSTER_UNREACHABLE: { exit: 'clusterUnreachable', meaning: 'no cluster is reachable, or kubectl has no usable configuration' },
  HELLO_ERR_KIND_MISSING: { exit: 'kindMissing', meaning: 'the cluster does not know a kind of object the manifests use' },
  HELLO_ERR_FORBIDDEN: { exit: 'forbidden', meaning: 'the cluster refused the operation' },
  HELLO_ERR_ROLLOUT_FAILED: { exit: 'rolloutFailed', meaning: 'a rollout or a removal did not finish in time' },
  HELLO_ERR_TIMEOUT: { exit: 'failed', meaning: 'an operation ran out of its time' },
  HELLO_ERR_ABORTED: { exit: 'interrupted', meaning: 'the user stopped the operation' },
  HELLO_ERR_PROBE_FAILED: { exit: 'failed', meaning: 'the probe ran and the target failed it' },
  HELLO_ERR_PROBE_REQUEST: { exit: 'usage', meaning: 'a /probe request cannot run (missing target, bad timeout header)' },
  HELLO_ERR_UNKNOWN_MODULE: { exit: 'usage', meaning: 'a probe names a module the config does not have' },
  HELLO_ERR_NO_RECOMMENDATION: { exit: 'failed', meaning: 'the bench measured, but nothing can be recommended from the measurements' },
  HELLO_ERR_ADDRESS_IN_USE: { exit: 'failed', meaning: 'the address to listen on is taken by another process' },
} as const satisfies Record<string, { exit: ExitName; meaning: string }>;

/** Stable error codes. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Base class of every error the toolkit raises on purpose. */
export class HelloEdgeError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }

  /** Exit status a CLI uses when this error ends the process (from {@link ERROR_CATALOGUE}). */
  get exitCode(): number {
    return EXIT_CODES[ERROR_CATALOGUE[this.code].exit];
  }
}

/**
 * A configuration value is wrong. The message always names the field (or variable), the value
 * that was given and what is allowed, so a user can fix it without reading the source.
 */
export class ConfigError extends HelloEdgeError {
  /** Dotted path of the offending field, e.g. `modules.http_2xx.http.method` or `PORT`. */
  readonly field: string;

  constructor(field: string, message: string, options: { cause?: unknown } = {}) {
    super('HELLO_ERR_CONFIG', `${field}: ${message}`, options);
    this.field = field;
  }
}

/** The command line is not what the command takes (raised for commander's own errors). */
export class UsageError extends HelloEdgeError {
  constructor(message: string) {
    super('HELLO_ERR_USAGE', message);
  }
}

/** A function was called with an argument outside its contract. */
export class InvalidArgumentError extends HelloEdgeError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('HELLO_ERR_INVALID_ARG', message, options);
  }
}

/** A file the operation needs cannot be read. */
export class NotFoundError extends HelloEdgeError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('HELLO_ERR_NOT_FOUND', message, options);
  }
}

/** A system tool the operation needs (kubectl, helm, ...) is not installed. */
export class ToolMissingError extends HelloEdgeError {
  constructor(tool: string, hint: string) {
    super('HELLO_ERR_TOOL_MISSING', `${tool} was not found on PATH: ${hint}`);
  }
}

/** An external system (a remote server, a tool) refused or failed the operation. */
export class ExternalError extends HelloEdgeError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('HELLO_ERR_EXTERNAL', message, options);
  }
}

/** No cluster answers, or kubectl has no usable configuration to find one. */
export class ClusterUnreachableError extends HelloEdgeError {
  constructor(message: string) {
    super('HELLO_ERR_CLUSTER_UNREACHABLE', message);
  }
}

/** The cluster does not serve a kind the manifests use (a CRD is not installed). */
export class KindMissingError extends HelloEdgeError {
  constructor(message: string) {
    super('HELLO_ERR_KIND_MISSING', message);
  }
}

/** The cluster refused the operation (RBAC). */
export class ForbiddenError extends HelloEdgeError {
  constructor(message: string) {
    super('HELLO_ERR_FORBIDDEN', message);
  }
}

/** A rollout or a removal did not complete (pods not ready, deadline passed). */
export class RolloutFailedError extends HelloEdgeError {
  constructor(message: string) {
    super('HELLO_ERR_ROLLOUT_FAILED', message);
  }
}

/** An operation ran out of its time (a deadline, not a user's abort). */
export class TimeoutError extends HelloEdgeError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('HELLO_ERR_TIMEOUT', message, options);
  }
}

/** The user stopped the operation (Ctrl-C, an AbortSignal the caller fired). */
export class AbortedError extends HelloEdgeError {
  constructor(message: string) {
    super('HELLO_ERR_ABORTED', message);
  }
}

/** A probe ran to the end and the target failed it. */
export class ProbeFailedError extends HelloEdgeError {
  constructor(target: string) {
    super('HELLO_ERR_PROBE_FAILED', `probe of ${target} failed`);
  }
}

/**
 * A `/probe` request that cannot run (missing target, bad timeout header). `status` is the HTTP
 * status the prober answers with; the message is the exporter's text.
 */
export class ProbeRequestError extends HelloEdgeError {
  readonly status: number;
  constructor(status: number, message: string, code: 'HELLO_ERR_PROBE_REQUEST' | 'HELLO_ERR_UNKNOWN_MODULE' = 'HELLO_ERR_PROBE_REQUEST') {
    super(code, message);
    this.status = status;
  }
}

/** A probe names a module the config does not have; answered with 400 as the exporter does. */
export class UnknownModuleError extends ProbeRequestError {
  /** The modules the config has, for the message a user sees. */
  readonly known: readonly string[];
  constructor(name: string, known: readonly string[]) {
    super(400, `Unknown module ${JSON.stringify(name)}`, 'HELLO_ERR_UNKNOWN_MODULE');
    this.known = known;
  }
}

/**
 * The bench measured, but nothing can be recommended from it (every step invalid, or the SLO
 * failing at the lowest rate). `measured` holds what was measured, for the report.
 */
export class NoRecommendationError<Measured = unknown> extends HelloEdgeError {
  readonly measured: Measured | undefined;
  constructor(message: string, measured?: Measured, options: { cause?: unknown } = {}) {
    super('HELLO_ERR_NO_RECOMMENDATION', message, options);
    this.measured = measured;
  }
}

/** The address to listen on is taken (EADDRINUSE). */
export class AddressInUseError extends HelloEdgeError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('HELLO_ERR_ADDRESS_IN_USE', message, options);
  }
}

/** True when `error` is one of the catalogue's errors (by its code, so copies across realms count). */
export function isHelloEdgeError(error: unknown): error is HelloEdgeError {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && Object.hasOwn(ERROR_CATALOGUE, code);
}

/** The JSON form of an error for `--json` output: `{ ok: false, error: { code, message, exitCode, field? } }`. */
export function errorToJson(error: unknown): { ok: false; error: { code: string; message: string; exitCode: number; field?: string } } {
  if (isHelloEdgeError(error)) {
    const field = error instanceof ConfigError ? { field: error.field } : {};
    return { ok: false, error: { code: error.code, message: error.message, exitCode: error.exitCode, ...field } };
  }
  return { ok: false, error: { code: 'HELLO_ERR_INTERNAL', message: describeError(error), exitCode: EXIT_CODES.internal } };
}

/** Renders any thrown value as a single line, for logs and CLI output. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}

/** Formats a value for an error message: strings are quoted, long values are cut. */
export function quoteValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'number' || typeof value === 'bigint' ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value); // a cycle (from YAML anchors) or a BigInt: still one line
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
