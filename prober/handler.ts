import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import { MAX_TIMER_MS, type LogFields, type Logger, ProbeRequestError, UnknownModuleError } from '../common/index.js';
import type { Module, ProberConfig, ProberName } from './config/types.js';
import { PROBER_DEFAULT_MODULE, PROBER_DEFAULT_SCRAPE_TIMEOUT_SECONDS, PROBER_DEFAULT_TIMEOUT_OFFSET_SECONDS } from './contract.js';
import { renderSorted, roundSeconds, setProbeGauge } from './metrics.js';
import { PROBERS } from './probers/index.js';
import { redactLogFields, redactUrlCredentials } from './redact.js';

/** Longest target accepted, in characters; longer ones are refused with 400. */
export const MAX_TARGET_LENGTH = 2048;

/** Parameters of one probe, as `/probe` receives them. */
export interface ProbeParams {
  /** `target=`; required. */
  readonly target?: string | undefined;
  /** `module=`; default `http_2xx`. */
  readonly module?: string | undefined;
  /** Value of `X-Prometheus-Scrape-Timeout-Seconds`, if sent. */
  readonly scrapeTimeoutHeader?: string | undefined;
  /** Seconds subtracted from the scrape timeout. Default 0.5. */
  readonly timeoutOffsetSeconds?: number;
}

/** What one probe produced. */
export interface ProbeOutcome {
  readonly target: string;
  readonly module: Module;
  readonly success: boolean;
  readonly durationSeconds: number;
  /** The deadline the probe ran under. */
  readonly timeoutSeconds: number;
  /** The fresh registry holding this probe's metrics. */
  readonly registry: Registry;
  /** The probe's log, one line per entry (for `?debug=true` and the CLI). */
  readonly logs: readonly string[];
}

/**
 * The deadline rule, written once for `/probe`, `hello-cli probe` and the scheduler (the
 * exporter's): the scraper's budget, capped by the module's timeout when that is set and smaller.
 * A module without a timeout is capped by `unsetModuleSeconds` instead (the scheduler's 120 s).
 * Never longer than a timer holds: a longer one would fire at once and abort the probe.
 */
export function probeDeadlineSeconds(module: Module, budgetSeconds: number, unsetModuleSeconds = Infinity): number {
  const moduleSeconds = module.timeoutMs > 0 ? module.timeoutMs / 1000 : unsetModuleSeconds;
  return Math.min(Math.max(0, budgetSeconds), moduleSeconds, MAX_TIMER_MS / 1000);
}

/**
 * The deadline of a `/probe` request: the scrape timeout (header, default 120 s) minus the
 * offset, under {@link probeDeadlineSeconds}.
 * @throws ProbeRequestError (500) when the header is not a number, as the exporter answers.
 */
export function probeTimeoutSeconds(module: Module, header: string | undefined, offsetSeconds = PROBER_DEFAULT_TIMEOUT_OFFSET_SECONDS): number {
  let scrape = PROBER_DEFAULT_SCRAPE_TIMEOUT_SECONDS;
  if (header !== undefined && header !== '') {
    scrape = Number(header);
    if (!Number.isFinite(scrape) || header.trim() === '') {
      throw new ProbeRequestError(500, `Failed to parse timeout from Prometheus header: ${JSON.stringify(header)} is not a number`);
    }
  }
  return probeDeadlineSeconds(module, scrape - offsetSeconds);
}

/**
 * Checks the request against the config and returns the module and target to probe.
 * @throws ProbeRequestError (400) with the exporter's messages.
 */
export function selectModule(config: ProberConfig, params: ProbeParams): { module: Module; target: string } {
  const name = params.module === undefined || params.module === '' ? PROBER_DEFAULT_MODULE : params.module;
  const module = Object.hasOwn(config.modules, name) ? config.modules[name] : undefined;
  if (!module) throw new UnknownModuleError(name, Object.keys(config.modules));
  if (!Object.hasOwn(PROBERS, module.prober)) {
    throw new ProbeRequestError(400, `Module ${JSON.stringify(name)} uses the ${module.prober} prober, which this prober does not implement (http and tcp only)`);
  }
  const target = params.target ?? '';
  if (target === '') throw new ProbeRequestError(400, 'Target parameter is missing');
  if (target.length > MAX_TARGET_LENGTH) throw new ProbeRequestError(400, `Target parameter is longer than ${MAX_TARGET_LENGTH} characters`);
  if ([...target].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new ProbeRequestError(400, 'Target parameter contains control characters');
  return { module, target };
}

/**
 * Runs one probe under a deadline on a fresh registry, then sets `probe_success` and
 * `probe_duration_seconds`. Never throws for a failing target; the outcome says so.
 * The probe is abandoned (and its sockets closed) at the deadline: it never outlives it.
 */
export async function runModuleProbe(
  module: Module,
  target: string,
  timeoutSeconds: number,
  logger: Logger,
  parent?: AbortSignal,
): Promise<ProbeOutcome> {
  const registry = new Registry();
  const entries: LogEntry[] = [];
  const probeLogger = captureLogger(logger.child({ module: module.name, target: redactUrlCredentials(target) }), entries);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`probe deadline of ${timeoutSeconds}s reached`)), Math.max(0, timeoutSeconds * 1000));
  const onParentAbort = (): void => deadline.abort(parent?.reason);
  parent?.addEventListener('abort', onParentAbort, { once: true });
  if (timeoutSeconds <= 0) deadline.abort(new Error('probe deadline is 0s (scrape timeout not above the offset)'));
  probeLogger.info('Beginning probe', { probe: module.prober, timeout_seconds: timeoutSeconds });
  const started = performance.now();
  let success: boolean;
  try {
    const aborted = new Promise<boolean>((resolve) => {
      if (deadline.signal.aborted) resolve(false);
      deadline.signal.addEventListener('abort', () => resolve(false), { once: true });
    });
    success = await Promise.race([PROBERS[module.prober as ProberName](target, module, registry, deadline.signal, probeLogger), aborted]);
    if (deadline.signal.aborted) {
      success = false;
      probeLogger.error('Probe aborted', { reason: String((deadline.signal.reason as Error | undefined)?.message ?? deadline.signal.reason) });
    }
  } catch (error) {
    // A prober bug must not take the server down: count it as a failed probe and say why.
    probeLogger.error('Probe crashed', { err: error instanceof Error ? error.message : String(error) });
    success = false;
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
    if (!deadline.signal.aborted) deadline.abort(new Error('probe finished'));
  }
  const durationSeconds = roundSeconds((performance.now() - started) / 1000);
  setProbeGauge(registry, 'probe_success', success ? 1 : 0);
  setProbeGauge(registry, 'probe_duration_seconds', durationSeconds);
  probeLogger.info(success ? 'Probe succeeded' : 'Probe failed', { duration_seconds: durationSeconds });
  let lines: string[] | undefined;
  return {
    target,
    module,
    success,
    durationSeconds,
    timeoutSeconds,
    registry,
    get logs() {
      return (lines ??= entries.map(formatEntry));
    },
  };
}

/**
 * The `/probe` flow without HTTP: pick the module, derive the deadline, probe.
 * @throws ProbeRequestError for requests the exporter refuses (400/500).
 */
export async function runProbe(config: ProberConfig, params: ProbeParams, logger: Logger, parent?: AbortSignal): Promise<ProbeOutcome> {
  const { module, target } = selectModule(config, params);
  const timeout = probeTimeoutSeconds(module, params.scrapeTimeoutHeader, params.timeoutOffsetSeconds);
  return runModuleProbe(module, target, timeout, logger, parent);
}

/** The probe's metrics as exposition text, families sorted by name (as the exporter). */
export function renderProbeMetrics(outcome: ProbeOutcome): Promise<string> {
  return renderSorted(outcome.registry);
}

/** The `?debug=true` page: the probe's log, the metrics and the module, as the exporter lays it out. */
export async function renderProbeDebug(outcome: ProbeOutcome): Promise<string> {
  const metrics = await renderProbeMetrics(outcome);
  return [
    'Logs for the probe:',
    ...outcome.logs,
    '\n\n',
    'Metrics that would have been returned:',
    metrics,
    '\n',
    'Module configuration:',
    stringify({ prober: outcome.module.prober, ...(outcome.module.source as object) }),
  ].join('\n');
}

// Probe logs go to the debug page and the CLI as logfmt-like lines, and to the process log at
// debug level. Lines are formatted only when read: most probes are never looked at.
function captureLogger(base: Logger, entries: LogEntry[]): Logger {
  const make = (bound: LogFields): Logger => {
    const emit = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: LogFields): void => {
      // Targets and redirect locations come from outside the config: no URL credentials in logs.
      const all = fields ? { ...bound, ...redactLogFields(fields) } : bound;
      entries.push({ time: Date.now(), level, msg, fields: all });
      base.debug(msg, all);
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (f) => make({ ...bound, ...redactLogFields(f) }),
    };
  };
  return make({});
}

interface LogEntry {
  readonly time: number;
  readonly level: string;
  readonly msg: string;
  readonly fields: LogFields;
}

function formatEntry(e: LogEntry): string {
  const kv = Object.entries(e.fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' && v !== '' && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  return `ts=${new Date(e.time).toISOString()} level=${e.level} msg=${JSON.stringify(e.msg)}${kv ? ` ${kv}` : ''}`;
}
