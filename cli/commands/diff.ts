import type { Command } from 'commander';
import { diffFleet, formatRef, synthesizeFleet } from '../../infra/index.js';
import { formatTable, printJson, printText } from '../output.js';
import { loadFleet, withClusterOptions, type ClusterCommandOptions } from './cluster-options.js';

/** `hello-cli diff`: what a deploy would change. Exits 1 when there is a difference, like `kubectl diff`. */
export function registerDiff(program: Command): void {
  withClusterOptions(program.command('diff').description('show what a deploy would change (server-side dry run); exit 1 when something would change')).action(
    async (opts: ClusterCommandOptions) => {
      const manifests = synthesizeFleet(loadFleet(opts.config));
      const result = await diffFleet(manifests, {
        ...(opts.context ? { context: opts.context } : {}),
        ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
      });
      if (opts.json) printJson(result);
      else if (result.entries.length === 0) printText(`fleet ${manifests.fleet}: no changes`);
      else {
        printText(formatTable(['change', 'object'], result.entries.map((e) => [e.action, formatRef(e.ref)])));
        if (result.diff) printText(result.diff);
      }
      if (result.entries.length > 0) process.exitCode = 1;
    },
  );
}
