import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { configSelectionWarnings, synthesizeFleet, writeHelmChart, writeManifests } from '../../infra/index.js';
import { formatTable, printJson, printText, printWarning } from '../output.js';
import { DEFAULT_FLEET_CONFIG, loadFleet } from './cluster-options.js';

/** `hello-cli synth`: fleet config -> one YAML file per app plus a shared one, or a Helm chart. */
export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description('synthesize Kubernetes manifests for a fleet: YAML (one file per app + shared.yaml) or a Helm chart')
    .option('-c, --config <file>', 'fleet config (YAML)', DEFAULT_FLEET_CONFIG)
    .option('-o, --out <dir>', 'output directory', 'out/manifests')
    .option('-f, --format <format>', 'yaml | helm', parseFormat, 'yaml')
    .option('--chart-version <semver>', 'version of the Helm chart (format helm)', parseSemver, '0.1.0')
    .option('--json', 'print the result as JSON')
    .action((opts: { config: string; out: string; format: 'yaml' | 'helm'; chartVersion: string; json?: boolean }) => {
      const started = performance.now();
      const config = loadFleet(opts.config);
      const out = resolve(opts.out);
      const files = opts.format === 'yaml'
        ? writeManifests(synthesizeFleet(config), out)
        : writeHelmChart(config, out, { chartVersion: opts.chartVersion });
      const elapsedMs = Math.round(performance.now() - started);
      // The loader's adjustments were printed by loadFleet; --json carries them too.
      const selection = configSelectionWarnings(config);
      if (opts.json) {
        printJson({ fleet: config.fleet, apps: config.apps.length, format: opts.format, out, elapsedMs, files, warnings: [...config.warnings, ...selection] });
        return;
      }
      for (const warning of selection) printWarning(warning);
      printText(formatTable(['file', 'objects', 'bytes'], files.map((f) => [f.path, String(f.objects), String(f.bytes)])));
      printText(`${config.apps.length} app(s) of fleet ${config.fleet}: ${files.length} file(s) in ${out} (${opts.format}, ${elapsedMs} ms)`);
    });
}

function parseSemver(value: string): string {
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(value)) {
    throw new InvalidArgumentError(`--chart-version ${JSON.stringify(value)} is not allowed; use a semantic version such as 0.1.0.`);
  }
  return value;
}

function parseFormat(value: string): 'yaml' | 'helm' {
  if (value !== 'yaml' && value !== 'helm') throw new InvalidArgumentError(`--format ${JSON.stringify(value)} is not allowed; use yaml or helm.`);
  return value;
}
