import type { Command } from 'commander';
import { HELLO_ENV, runHelloProcess } from '../../hello/index.js';
import { parseIntegerOption } from '../options.js';
import { printJson } from '../output.js';

/** `hello-cli serve`: runs the hello service in the foreground (flags override the environment). */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the hello service (config from the environment; flags override it)')
    .option('-p, --port <port>', `port to listen on (env ${HELLO_ENV.port}, default 8080)`, parseIntegerOption('--port', 0, 65535))
    .option('-H, --host <host>', `address to bind (env ${HELLO_ENV.host}, default 0.0.0.0)`)
    .option('--access-log', `log every request (env ${HELLO_ENV.accessLog})`)
    .option('--log-level <level>', `debug | info | warn | error (env ${HELLO_ENV.logLevel})`)
    .option('--json', 'print the listening URL as JSON on stdout (logs stay on stderr)')
    .action(async (opts: { port?: number; host?: string; accessLog?: boolean; logLevel?: string; json?: boolean }) => {
      const env: Record<string, string | undefined> = { ...process.env };
      if (opts.port !== undefined) env[HELLO_ENV.port] = String(opts.port);
      if (opts.host !== undefined) env[HELLO_ENV.host] = opts.host;
      if (opts.accessLog) env[HELLO_ENV.accessLog] = 'true';
      if (opts.logLevel !== undefined) env[HELLO_ENV.logLevel] = opts.logLevel;
      const service = await runHelloProcess({ env });
      if (service && opts.json) printJson({ url: service.url });
    });
}
