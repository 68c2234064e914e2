/**
 * Typed errors shared by every part. Callers match on `code`, never on the message text;
 * the CLI maps `exitCode` to the process exit status.
 */

/** Stable error codes. Adding one is fine; renaming one is a breaking change. */
export type ErrorCode =
  | 'HELLO_ERR_CONFIG'
  | 'HELLO_ERR_INVALID_ARG'
  | 'HELLO_ERR_NOT_FOUND'
  | 'HELLO_ERR_TOOL_MISSING'
  | 'HELLO_ERR_EXTERNAL'
  | 'HELLO_ERR_TIMEOUT'
  | 'HELLO_ERR_PROBE_FAILED';

/** Base class of every error the toolkit raises on purpose. */
export class HelloEdgeError extends Error {
  readonly code: ErrorCode;
  /** Exit status a CLI should use when this error ends the process. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
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
    super('HELLO_ERR_CONFIG', `${field}: ${message}`, { exitCode: 2, ...options });
    this.field = field;
  }
}

/** A function was called with an argument outside its contract. */
export class InvalidArgumentError extends HelloEdgeError {
  constructor(message: string) {
    super('HELLO_ERR_INVALID_ARG', message, { exitCode: 2 });
  }
}

/** A system tool the operation needs (kubectl, helm, ...) is not installed. */
export class ToolMissingError extends HelloEdgeError {
  constructor(tool: string, hint: string) {
    super('HELLO_ERR_TOOL_MISSING', `${tool} was not found on PATH: ${hint}`, { exitCode: 3 });
  }
}

/** An external system (a cluster, a remote server) refused or failed the operation. */
export class ExternalError extends HelloEdgeError {
  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super('HELLO_ERR_EXTERNAL', message, { exitCode: options.exitCode ?? 1, cause: options.cause });
  }
}

/** Renders any thrown value as a single line, for logs and CLI output. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}

/** Formats a value for an error message: strings are quoted, long values are cut. */
export function quoteValue(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
