/**
 * The config in force and everything that changes with it, in one holder (as the exporter's
 * `SafeConfig`): the reload gauges, the scheduler (restarted with each new config) and the
 * auto-reload watch. A reload that fails keeps the config in force. The server only routes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Gauge, Registry } from 'prom-client';
import { describeError, type Logger } from '../common/index.js';
import { loadProberConfig } from './config/load.js';
import type { ProberConfig } from './config/types.js';
import { selfMetric } from './metrics.js';
import { startScheduler, type Scheduler } from './scheduler.js';

/** What a reload ended with. */
export interface ReloadResult {
  readonly ok: boolean;
  /** Why the new config was refused (the old one stays in force). */
  readonly error?: string;
}

/** The config in force, its reloads and its scheduler. */
export interface SafeConfig {
  /** The config in force. */
  current(): ProberConfig;
  /** Re-reads the config file; a bad file is refused and the old config stays. */
  reload(): Promise<ReloadResult>;
  /**
   * Auto-reload: looks at the file's content every `intervalMs` and reloads when it changed.
   * Content, not mtime, because a ConfigMap volume swaps a symlink and keeps old timestamps. A
   * bad new config is logged once (the reload keeps the old one) and retried only when the file
   * changes again.
   */
  watch(intervalMs: number): void;
  /** The reload gauges and scheduled mode's per-target series, as exposition text. */
  metrics(): Promise<string>;
  /** Resolves once every scheduled target of the config in force has been probed once. */
  firstRound(): Promise<void>;
  /** Stops the scheduler and the watch. */
  stop(): void;
}

/**
 * Loads `file` and holds it.
 * @throws ConfigError naming the key; NotFoundError when the file cannot be read.
 */
export function loadSafeConfig(file: string, logger: Logger): SafeConfig {
  // Fingerprint the bytes before loading them, so a change made while we start is not missed.
  const digest = fileDigest(file);
  return holdConfig(loadProberConfig(file), { file, digest, logger });
}

/** Holds a config already loaded; `file`, when given, is what a reload re-reads. */
export function holdConfig(config: ProberConfig, options: { file?: string | undefined; digest?: string | undefined; logger: Logger }): SafeConfig {
  const { file, logger } = options;
  const registry = new Registry();
  const reloadOk = new Gauge({ ...selfMetric('blackbox_exporter_config_last_reload_successful'), registers: [registry] });
  const reloadTime = new Gauge({ ...selfMetric('blackbox_exporter_config_last_reload_success_timestamp_seconds'), registers: [registry] });
  const schedulerLogger = logger.child({ component: 'scheduler' });
  let current = config;
  let scheduler: Scheduler = startScheduler(current, schedulerLogger);
  let watchTimer: NodeJS.Timeout | undefined;
  reloadOk.set(1);
  reloadTime.set(Date.now() / 1000);

  const reload = async (): Promise<ReloadResult> => {
    if (file === undefined) {
      const error = 'no config file to reload from (the config was given in memory)';
      logger.error('Error reloading config', { err: error });
      return { ok: false, error };
    }
    try {
      current = loadProberConfig(file);
    } catch (error) {
      reloadOk.set(0);
      logger.error('Error reloading config', { file, err: describeError(error) });
      return { ok: false, error: describeError(error) };
    }
    scheduler.stop();
    scheduler = startScheduler(current, schedulerLogger);
    reloadOk.set(1);
    reloadTime.set(Date.now() / 1000);
    logger.info('Loaded config file', { file, modules: Object.keys(current.modules).length, targets: current.targets.length });
    return { ok: true };
  };

  const watch = (intervalMs: number): void => {
    if (file === undefined || watchTimer !== undefined) return;
    let seen: Promise<string | undefined> = Promise.resolve(options.digest);
    watchTimer = setInterval(() => {
      seen = seen.then(async (previous) => {
        const now = await fileDigestAsync(file);
        if (now === undefined || now === previous) return previous;
        logger.info('config file changed, reloading', { file });
        await reload();
        return now;
      });
    }, intervalMs);
    watchTimer.unref();
  };

  return {
    current: () => current,
    reload,
    watch,
    metrics: async () => (await registry.metrics()) + (await scheduler.registry.metrics()),
    firstRound: () => scheduler.firstRound(),
    stop() {
      clearInterval(watchTimer);
      scheduler.stop();
    },
  };
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function fileDigest(file: string): string | undefined {
  try {
    return sha256(readFileSync(file));
  } catch {
    return undefined; // the load that follows says why
  }
}

async function fileDigestAsync(file: string): Promise<string | undefined> {
  try {
    return sha256(await readFile(file));
  } catch {
    return undefined; // mid-swap or gone: look again next time
  }
}
