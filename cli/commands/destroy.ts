import type { Command } from 'commander';
import { destroyFleet, formatRef, loadFleetConfig, synthesizeFleet } from '../../infra/index.js';
import { createProgress, printJson, printText } from '../output.js';
import { parseDurationOption } from '../options.js';
import { withClusterOptions, type ClusterCommandOptions } from './cluster-options.js';

/** `hello-cli destroy`: remove every object of the fleet (selected by its fleet label). */
export function registerDestroy(program: Command): void {
  withClusterOptions(program.command('destroy').description("delete every object of the fleet from the cluster (by the fleet label), namespaces last"))
    .option('--timeout <duration>', 'how long to wait for everything to be gone', parseDurationOption('--timeout'), 120_000)
    .option('--no-wait', 'do not wait until the objects are gone')
    .action(async (opts: ClusterCommandOptions & { timeout: number; wait: boolean }) => {
      const manifests = synthesizeFleet(loadFleetConfig(opts.config));
      const progress = createProgress();
      const result = await destroyFleet(manifests, {
        ...(opts.context ? { context: opts.context } : {}),
        ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
        wait: opts.wait,
        timeoutMs: opts.timeout,
        onProgress: (event) => event.type === 'pruned' && progress.update(`deleted ${formatRef(event.ref)}`),
      }).finally(() => progress.done());
      if (opts.json) return printJson(result);
      printText(`fleet ${manifests.fleet}: deleted ${result.deleted.length} object(s)`);
    });
}
