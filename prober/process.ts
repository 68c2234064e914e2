import { createLogger, isHelloEdgeError, describeError, LOG_LEVELS, oneOf, type Logger, type LogLevel } from '../common/index.js';
import { loadProberConfig } from './config/load.js';
import type { ProberConfig } from './config/types.js';
import { loadSafeConfig, type SafeConfig } from './safe-config.js';
import {
  PROBER_DEFAULT_AUTO_RELOAD_INTERVAL_MS,
  PROBER_DEFAULT_CONFIG_FILE,
  PROBER_DEFAULT_LISTEN_ADDRESS,
  PROBER_DEFAULT_TIMEOUT_OFFSET_SECONDS,
  PROBER_ENV,
  PROBER_FLAGS,
} from './contract.js';
import type { ProberFlagValues } from './flags.js';
import { startProberServer, type ProberServer } from './server.js';

/** Settings of the prober process (flags, then environment, then defaults). */
export interface ProberProcessOptions extends ProberFlagValues {
  /** Environment to read. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Called with the exit code when the process should end. Default `process.exit`. */
  readonly exit?: (code: number) => void;
}

function resolveLogLevel(text: string | undefined): LogLevel {
  return text === undefined || text === '' ? 'info' : oneOf(LOG_LEVELS).parse(text, PROBER_FLAGS.logLevel);
}

/** Loads and validates a config file without starting anything (`--config.check`). */
export function checkProberConfig(file: string): { file: string; modules: number; targets: number; config: ProberConfig } {
  const config = loadProberConfig(file);
  return { file, modules: Object.keys(config.modules).length, targets: config.targets.length, config };
}

/**
 * Runs the prober as a process: load the config, listen, log `listening` with the URL, reload
 * on SIGHUP, stop on SIGTERM/SIGINT. A bad config or flag exits with status 2 and one log line
 * naming the key. Resolves with the server (undefined when it did not start or only checked).
 */
export async function runProberProcess(options: ProberProcessOptions = {}): Promise<ProberServer | undefined> {
  const env = options.env ?? process.env;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let logger: Logger = createLogger({ base: { service: 'prober' } });
  const configFile = options.configFile ?? env[PROBER_ENV.configFile] ?? PROBER_DEFAULT_CONFIG_FILE;
  const listenAddress = options.listenAddress ?? env[PROBER_ENV.listenAddress] ?? PROBER_DEFAULT_LISTEN_ADDRESS;
  let safe: SafeConfig;
  try {
    logger = createLogger({ level: resolveLogLevel(options.logLevel ?? env[PROBER_ENV.logLevel]), base: { service: 'prober' } });
    if (options.check) {
      const { modules, targets } = checkProberConfig(configFile);
      logger.info('Config file is ok', { file: configFile, modules, targets });
      exit(0);
      return undefined;
    }
    safe = loadSafeConfig(configFile, logger);
  } catch (error) {
    logger.error('Error loading config', { file: configFile, err: describeError(error) });
    exit(2);
    return undefined;
  }
  const config = safe.current();
  let server: ProberServer;
  try {
    server = await startProberServer({
      config: safe,
      listenAddress,
      timeoutOffsetSeconds: options.timeoutOffsetSeconds ?? PROBER_DEFAULT_TIMEOUT_OFFSET_SECONDS,
      logger,
    });
  } catch (error) {
    safe.stop();
    logger.error('cannot listen', { address: listenAddress, err: describeError(error) });
    exit(isHelloEdgeError(error) ? error.exitCode : 1);
    return undefined;
  }
  if (options.autoReload) safe.watch(options.autoReloadIntervalMs ?? PROBER_DEFAULT_AUTO_RELOAD_INTERVAL_MS);
  logger.info('listening', {
    url: server.url,
    config_file: configFile,
    modules: Object.keys(config.modules),
    targets: config.targets.length,
    ready_ms: Math.round(performance.now()),
    node: process.version,
  });
  process.on('SIGHUP', () => {
    void server.reload();
  });
  let stopping = false;
  const onStop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    stopping = true;
    logger.info('stopping', { signal });
    void server.close().then(() => exit(0));
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  return server;
}
