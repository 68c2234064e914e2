import type { Command } from 'commander';
import { DEPLOY_DEFAULTS, destroyFleet, formatRef, synthesizeFleet } from '../../infra/index.js';
import { createProgress, printJson, printText } from '../output.js';
import { durationOption } from '../options.js';
import { loadFleet, withClusterOptions, type ClusterCommandOptions } from './cluster-options.js';

/** `hello-cli destroy`: remove every object of the fleet (selected by its fleet label). */
export function registerDestroy(program: Command): void {
  withClusterOptions(program.command('destroy').description("delete every object of the fleet from the cluster (by the fleet label), namespaces it created last"))
    .addOption(durationOption('--timeout <duration>', 'how long to wait for everything to be gone', DEPLOY_DEFAULTS.destroyTimeoutMs))
    .option('--no-wait', 'do not wait until the objects are gone')
    .action(async (opts: ClusterCommandOptions & { timeout: number; wait: boolean }) => {
      const manifests = synthesizeFleet(loadFleet(opts.config));
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
