import type { Command } from 'commander';
import { AddressInUseError, createLogger } from '../../common/index.js';
import { HELLO_BODY, HELLO_ENV, HELLO_PATHS, loadHelloConfig, startHelloService } from '../../hello/index.js';
import { buildConfig, PROBER_DEFAULT_PORT, PROBER_PATHS, startProberServer } from '../../prober/index.js';
import { parseIntegerOption } from '../options.js';
import { printJson, printText } from '../output.js';

interface DevOptions {
  port: number;
  proberPort: number;
  host: string;
  interval: string;
  json?: boolean;
}

/**
 * `hello-cli dev` (what `npm start` runs): the hello service and, beside it, the prober in
 * scheduled mode probing hello's `/`, `/healthz` and `/readyz`. Ctrl-C or SIGTERM stops both.
 */
export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('run hello and the prober (scheduled mode, probing hello) side by side on this machine')
    .option('-p, --port <port>', 'hello port', parseIntegerOption('--port', 0, 65535), 8080)
    .option('--prober-port <port>', 'prober port', parseIntegerOption('--prober-port', 0, 65535), PROBER_DEFAULT_PORT)
    .option('-H, --host <host>', 'address both bind to', '127.0.0.1')
    .option('--interval <duration>', 'how often the prober probes hello', '5s')
    .option('--json', 'print the URLs as JSON')
    .action(async (opts: DevOptions) => {
      const logger = createLogger();
      const helloConfig = loadHelloConfig({
        [HELLO_ENV.port]: String(opts.port),
        [HELLO_ENV.host]: opts.host,
        // Nothing routes traffic here, so there is nothing to drain.
        [HELLO_ENV.drainDelay]: '0s',
        [HELLO_ENV.shutdownTimeout]: '5s',
      });
      const hello = await startHelloService(helloConfig, logger.child({ service: 'hello' })).catch((error: unknown) => {
        throw busyPortHint(error, '--port', opts);
      });
      const targets = Object.values(HELLO_PATHS).map((path) => ({
        target: `${hello.url}${path}`,
        module: path === HELLO_PATHS.root ? 'http_hello' : 'http_2xx',
        interval: opts.interval,
        labels: { app: 'hello', path },
      }));
      const config = buildConfig({
        modules: {
          http_2xx: { prober: 'http', timeout: '5s' },
          http_hello: { prober: 'http', timeout: '5s', http: { fail_if_body_not_matches_regexp: [escapeRegExp(HELLO_BODY)] } },
          tcp_connect: { prober: 'tcp', timeout: '5s' },
        },
        targets,
      });
      const listen = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.proberPort}`;
      let prober;
      try {
        prober = await startProberServer({ config, listenAddress: listen, logger: logger.child({ service: 'prober' }) });
      } catch (error) {
        await hello.shutdown('prober failed to start');
        throw busyPortHint(error, '--prober-port', opts);
      }
      if (opts.json) {
        printJson({ hello: `${hello.url}/`, prober: prober.url, metrics: `${prober.url}${PROBER_PATHS.metrics}`, targets: targets.map((t) => t.target), interval: opts.interval });
      } else {
        printText(
          [
            `hello   ${hello.url}/`,
            `prober  ${prober.url}${PROBER_PATHS.metrics}  (scheduled mode: ${targets.length} hello targets every ${opts.interval})`,
            '',
            'try:',
            `  curl ${hello.url}/`,
            `  curl '${prober.url}${PROBER_PATHS.probe}?module=http_2xx&target=${hello.url}/'`,
            `  curl -s ${prober.url}${PROBER_PATHS.metrics} | grep -E '^probe_(success|runs_total|failures_total)'`,
            '',
            'Ctrl-C stops both.',
          ].join('\n'),
        );
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          logger.info('stopping', { signal });
          void Promise.all([prober.close(), hello.shutdown(signal)]).then(() => resolve());
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}

// `npm start` on a machine where 8080 or 9115 is taken: one line that says which, and how to move.
function busyPortHint(error: unknown, flag: '--port' | '--prober-port', opts: DevOptions): unknown {
  const code = (error as { code?: unknown }).code;
  if (code !== 'HELLO_ERR_ADDRESS_IN_USE' && code !== 'EADDRINUSE') return error;
  const port = flag === '--port' ? opts.port : opts.proberPort;
  return new AddressInUseError(
    `${opts.host}:${port} is in use by another process (EADDRINUSE); pick other ports: npm start -- --port ${opts.port + 1} --prober-port ${opts.proberPort + 1} (or hello-cli dev ${flag} N)`,
    { cause: error },
  );
}

// The body check must match the body literally, whatever characters it holds.
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
