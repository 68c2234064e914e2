import type { Command } from 'commander';
import { checkProberConfig, parseAutoReloadInterval, parseTimeoutOffset, PROBER_DEFAULT_CONFIG_FILE, PROBER_ENV, runProberProcess } from '../../prober/index.js';
import { printJson, printText } from '../output.js';
import { parseWith } from '../options.js';

interface ProberOptions {
  'config.file'?: string;
  config?: string;
  'web.listen-address'?: string;
  listen?: string;
  'config.check'?: boolean;
  check?: boolean;
  timeoutOffset?: number;
  'log.level'?: string;
  logLevel?: string;
  'config.enable-auto-reload'?: boolean;
  'config.auto-reload-interval'?: number;
  json?: boolean;
}

/**
 * `hello-cli prober`: runs the blackbox-exporter-compatible prober in the foreground. Takes the
 * exporter's flag names (`--config.file`, `--web.listen-address`, `--config.check`) and
 * shorter aliases.
 */
export function registerProber(program: Command): void {
  program
    .command('prober')
    .description('run the blackbox-exporter-compatible prober (/probe, /metrics, scheduled targets)')
    .option('--config.file <file>', `config file (env ${PROBER_ENV.configFile}, default ${PROBER_DEFAULT_CONFIG_FILE})`)
    .option('-c, --config <file>', 'alias of --config.file')
    .option('--web.listen-address <address>', `host:port to listen on (env ${PROBER_ENV.listenAddress}, default :9115)`)
    .option('-l, --listen <address>', 'alias of --web.listen-address')
    .option('--config.check', 'validate the config file and exit')
    .option('--check', 'alias of --config.check')
    .option('--timeout-offset <seconds>', 'seconds subtracted from the scrape timeout (default 0.5)', parseWith(parseTimeoutOffset))
    .option('--log.level <level>', `debug | info | warn | error (env ${PROBER_ENV.logLevel})`)
    .option('--log-level <level>', 'alias of --log.level')
    .option('--config.enable-auto-reload', 'reload when the config file changes (a ConfigMap update)')
    .option('--config.auto-reload-interval <duration>', 'how often auto-reload looks at the file (at least 1s, default 30s)', parseWith(parseAutoReloadInterval))
    .option('--json', 'print the check result, or the listening URL, as JSON on stdout')
    .action(async (opts: ProberOptions) => {
      const configFile = opts['config.file'] ?? opts.config;
      if (opts['config.check'] || opts.check) {
        const result = checkProberConfig(configFile ?? process.env[PROBER_ENV.configFile] ?? PROBER_DEFAULT_CONFIG_FILE);
        const data = { file: result.file, ok: true, modules: Object.keys(result.config.modules), targets: result.targets };
        if (opts.json) printJson(data);
        else printText(`${result.file}: ok (${result.modules} modules, ${result.targets} scheduled targets)`);
        return;
      }
      const server = await runProberProcess({
        configFile,
        listenAddress: opts['web.listen-address'] ?? opts.listen,
        timeoutOffsetSeconds: opts.timeoutOffset,
        logLevel: opts['log.level'] ?? opts.logLevel,
        autoReload: opts['config.enable-auto-reload'],
        autoReloadIntervalMs: opts['config.auto-reload-interval'],
      });
      if (server && opts.json) printJson({ url: server.url });
    });
}
