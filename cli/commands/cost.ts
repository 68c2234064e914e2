import type { Command } from 'commander';
import { type CostLine, type Envelope, computeCost, formatBytes, formatCpu, readBenchCapacity } from '../../infra/index.js';
import { formatTable, printJson, printText } from '../output.js';
import { DEFAULT_FLEET_CONFIG, loadFleet } from './cluster-options.js';

/** `hello-cli cost`: the fleet's resource envelope beside the original setup's, at equal availability and per unit of work. */
export function registerCost(program: Command): void {
  program
    .command('cost')
    .description("the fleet's CPU/memory requests and limits beside the original setup's: at min and max replicas, at equal availability, and per requested core")
    .option('-c, --config <file>', 'fleet config (YAML)', DEFAULT_FLEET_CONFIG)
    .option('--bench <file>', 'bench results file for our requests/s per requested core (default: the measurement in docs/COST.md)')
    .option('--json', 'print the result as JSON')
    .action((opts: { config: string; bench?: string; json?: boolean }) => {
      const report = computeCost(loadFleet(opts.config), opts.bench ? { capacity: readBenchCapacity(opts.bench) } : {});
      if (opts.json) {
        printJson(report);
        return;
      }
      const lines: CostLine[] = [...report.apps, ...(report.prober ? [report.prober] : []), report.total, report.original.apps, report.original.exporter, report.original.total];
      printText(formatTable(
        ['', 'replicas', 'requests at min', 'limits at min', 'requests at max', 'limits at max'],
        lines.map((l) => [l.name, l.min.replicas === l.max.replicas ? String(l.min.replicas) : `${l.min.replicas}-${l.max.replicas}`, show(l.min.requests), show(l.min.limits), show(l.max.requests), show(l.max.limits)]),
      ));
      printText('CPU cores / memory; "none" = no limit set. The original: an HPA of 3-10 replicas per app at its LimitRange defaults (50m/64Mi requests, 250m/256Mi limits) and one shared blackbox exporter.');
      const eq = report.equalAvailability;
      const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)}Mi`;
      printText([
        '',
        `Idle envelope at equal availability (${eq.replicasPerApp} replicas per app, as the original ran; requests at the minimum):`,
        `  ours:     ${formatCpu(eq.ours.cpuMillis)} CPU / ${mib(eq.ours.memoryBytes)}`,
        `  original: ${formatCpu(eq.originalWritten.cpuMillis)} CPU / ${mib(eq.originalWritten.memoryBytes)} as written; ${mib(eq.originalMeasuredMemoryBytes)} measured (what its pods hold)`,
        `  CPU ${eq.cpuWithinOriginal ? 'within' : 'ABOVE'} the original's as written; memory ${eq.memoryWithinOriginalFootprint ? 'within' : 'ABOVE'} the original's measured footprint`,
        '',
        'Requests/s within the SLO per requested core:',
        `  ours:     ${Math.round(report.perCore.ours.rpsPerRequestedCore)} (${report.perCore.ours.source})`,
        `  original: ${Math.round(report.perCore.original.rpsPerRequestedCore)} (${report.perCore.original.source})`,
        `  ours / original: x${report.perCore.ratio.toFixed(1)}`,
      ].join('\n'));
    });
}

function show(e: Envelope): string {
  return `${e.cpuMillis === null ? 'none' : formatCpu(e.cpuMillis)} / ${e.memoryBytes === null ? 'none' : formatBytes(e.memoryBytes)}`;
}
