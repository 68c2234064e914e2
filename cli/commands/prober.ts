import { Option, type Command } from 'commander';
import { checkProberConfig, PROBER_DEFAULT_CONFIG_FILE, PROBER_ENV, PROBER_FLAG_TABLE, readFlagValues, runProberProcess, type ProberFlag } from '../../prober/index.js';
import { printJson, printText } from '../output.js';

/**
 * `hello-cli prober`: runs the blackbox-exporter-compatible prober in the foreground. Its flags
 * are the image entry point's (prober/flags.ts), with the exporter's names and shorter aliases.
 */
export function registerProber(program: Command): void {
  const command = program.command('prober').description('run the blackbox-exporter-compatible prober (/probe, /metrics, scheduled targets)');
  // commander keys a value by its own camel-casing of the flag (`--web.listen-address` becomes
  // `web.listenAddress`), so each spelling's key is asked of its Option, never guessed.
  const spellings = new Map<ProberFlag, Option[]>();
  for (const flag of PROBER_FLAG_TABLE) {
    const value = flag.value === undefined ? '' : ` ${flag.value}`;
    const short = flag.aliases.find((a) => /^-[^-]$/.test(a));
    const options = [new Option(`${short ? `${short}, ` : ''}${flag.flag}${value}`, flag.description)];
    for (const alias of flag.aliases.filter((a) => a.startsWith('--'))) options.push(new Option(`${alias}${value}`, `alias of ${flag.flag}`));
    for (const option of options) command.addOption(option);
    spellings.set(flag, options);
  }
  command.option('--json', 'print the check result, or the listening URL, as JSON on stdout').action(async (opts: Record<string, string | boolean | undefined>) => {
    const values = readFlagValues((flag) => spellings.get(flag)?.map((o) => opts[o.attributeName()]).find((v) => v !== undefined));
    if (values.check) {
      const result = checkProberConfig(values.configFile ?? process.env[PROBER_ENV.configFile] ?? PROBER_DEFAULT_CONFIG_FILE);
      const data = { file: result.file, ok: true, modules: Object.keys(result.config.modules), targets: result.targets };
      if (opts.json) printJson(data);
      else printText(`${result.file}: ok (${result.modules} modules, ${result.targets} scheduled targets)`);
      return;
    }
    const server = await runProberProcess(values);
    if (server && opts.json) printJson({ url: server.url });
  });
}
