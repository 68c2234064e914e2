import { createLogger, describeError, type Logger } from '../common/index.js';
import { loadHelloConfig } from './config.js';
import { startHelloService, type HelloService } from './server.js';

/** Options of {@link runHelloProcess}. */
export interface RunHelloOptions {
  /** Environment to read; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Called with the exit code when the process should end; default `process.exit`. */
  readonly exit?: (code: number) => void;
}

/**
 * Runs hello as a process: reads the environment, starts the service, and wires SIGTERM and
 * SIGINT to a graceful drain (a second signal exits at once). Bad configuration ends the process
 * with exit code 2 and one log line naming the variable.
 * Resolves with the running service, or undefined when the configuration was refused.
 */
export async function runHelloProcess(options: RunHelloOptions = {}): Promise<HelloService | undefined> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let logger: Logger = createLogger({ base: { service: 'hello' } });
  let config;
  try {
    config = loadHelloConfig(options.env ?? process.env);
  } catch (error) {
    logger.error('invalid configuration', { error: describeError(error) });
    exit(2);
    return undefined;
  }
  logger = createLogger({ level: config.logLevel, base: { service: 'hello' } });

  let service: HelloService;
  try {
    service = await startHelloService(config, logger);
  } catch (error) {
    logger.error('cannot listen', { error: describeError(error), host: config.host, port: config.port });
    exit(1);
    return undefined;
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      logger.warn('second signal, exiting at once', { signal });
      exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    void service.shutdown(signal).then((result) => exit(result.clean ? 0 : 1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Logged only once the signal handlers are in place: whoever waits for this line may signal.
  logger.info('listening', {
    url: service.url,
    ready_ms: Math.round(performance.now()),
    node: process.version,
    config: { ...config },
  });
  return service;
}
