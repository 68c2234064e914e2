import type { Command } from 'commander';
import { type CostLine, type Envelope, computeCost, formatBytes, formatCpu } from '../../infra/index.js';
import { formatTable, printJson, printText } from '../output.js';
import { DEFAULT_FLEET_CONFIG, loadFleet } from './cluster-options.js';

/** `hello-cli cost`: the fleet's resource envelope beside the original setup's. */
export function registerCost(program: Command): void {
  program
    .command('cost')
    .description("the fleet's CPU/memory requests and limits at min and max replicas, beside the original setup's")
    .option('-c, --config <file>', 'fleet config (YAML)', DEFAULT_FLEET_CONFIG)
    .option('--json', 'print the result as JSON')
    .action((opts: { config: string; json?: boolean }) => {
      const report = computeCost(loadFleet(opts.config));
      if (opts.json) {
        printJson(report);
        return;
      }
      const lines: CostLine[] = [...report.apps, ...(report.prober ? [report.prober] : []), report.total, report.original.apps, report.original.exporters, report.original.total];
      printText(formatTable(
        ['', 'replicas', 'requests at min', 'limits at min', 'requests at max', 'limits at max'],
        lines.map((l) => [l.name, l.min.replicas === l.max.replicas ? String(l.min.replicas) : `${l.min.replicas}-${l.max.replicas}`, show(l.min.requests), show(l.min.limits), show(l.max.requests), show(l.max.limits)]),
      ));
      printText('CPU cores / memory; "none" = no limit set. The original setup: 3 replicas at 50m/64Mi requests, no limits, one blackbox exporter per namespace (counted at 50m/64Mi).');
    });
}

function show(e: Envelope): string {
  return `${e.cpuMillis === null ? 'none' : formatCpu(e.cpuMillis)} / ${e.memoryBytes === null ? 'none' : formatBytes(e.memoryBytes)}`;
}
