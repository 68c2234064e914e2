import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { describeExpectation, monitoringChecks, runMonitoringChecks } from '../../infra/index.js';
import { formatTable, printError, printJson, printText } from '../output.js';
import { DEFAULT_FLEET_CONFIG, loadFleet } from './cluster-options.js';

/**
 * `hello-cli check-monitoring`: the PromQL that shows the fleet is monitored (prober up, every app
 * probed, rules loaded, nothing firing); with `--prometheus URL` it runs them there and exits 1
 * when one fails.
 */
export function registerCheckMonitoring(program: Command): void {
  program
    .command('check-monitoring')
    .description("print the PromQL that checks the fleet's monitoring, or run it against a Prometheus (--prometheus URL)")
    .option('-c, --config <file>', 'fleet config (YAML)', DEFAULT_FLEET_CONFIG)
    .option('--prometheus <url>', 'Prometheus base URL, e.g. http://localhost:9090 (after kubectl port-forward)', parseUrl)
    .option('--json', 'print the result as JSON')
    .action(async (opts: { config: string; prometheus?: string; json?: boolean }) => {
      const config = loadFleet(opts.config);
      if (!opts.prometheus) {
        const checks = monitoringChecks(config);
        if (opts.json) return printJson(checks.map((c) => ({ ...c, expectation: describeExpectation(c) })));
        return printText(checks.map((c) => `# ${c.name}: ${describeExpectation(c)}${c.promql ? `\n${c.promql}` : ''}`).join('\n\n'));
      }
      const results = await runMonitoringChecks(config, opts.prometheus);
      if (opts.json) printJson(results);
      else printText(formatTable(['result', 'check', 'found'], results.map((r) => [r.ok ? 'ok' : 'FAIL', r.check.name, r.found])));
      // A failed check is a "no" (exit 1) after its result was printed, as a failed probe is.
      const failed = results.filter((r) => !r.ok).length;
      if (failed > 0 && !opts.json) printError(`${failed} of ${results.length} monitoring check(s) failed at ${opts.prometheus}`);
      if (failed > 0) process.exitCode = 1;
    });
}

function parseUrl(value: string): string {
  if (!/^https?:\/\/[^\s/]+/.test(value)) {
    throw new InvalidArgumentError(`--prometheus ${JSON.stringify(value)} is not allowed; use an http(s) URL such as http://localhost:9090.`);
  }
  return value;
}
