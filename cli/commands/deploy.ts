import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DEPLOY_DEFAULTS, deployFleet, formatRef, synthesizeFleet, type DeployEvent } from '../../infra/index.js';
import { createProgress, formatTable, printJson, printText, printWarning } from '../output.js';
import { durationOption } from '../options.js';
import { loadFleet, withClusterOptions, type ClusterCommandOptions } from './cluster-options.js';

/** `hello-cli deploy`: synthesize the fleet, apply it in order, prune, wait for rollouts. */
export function registerDeploy(program: Command): void {
  withClusterOptions(
    program
      .command('deploy')
      .description('apply the fleet to a cluster (server-side apply, in dependency order), prune what left the config, wait for rollouts'),
  )
    .option('--dry-run <mode>', 'server: let the API server validate and admit everything, persist nothing', parseDryRun)
    .addOption(durationOption('--timeout <duration>', 'rollout deadline, e.g. 90s or 5m', DEPLOY_DEFAULTS.rolloutTimeoutMs))
    .option('--no-wait', 'do not wait for rollouts')
    .option('--no-prune', "keep this fleet's objects that are no longer in the config")
    .action(async (opts: ClusterCommandOptions & { dryRun?: 'server'; timeout: number; wait: boolean; prune: boolean }) => {
      const manifests = synthesizeFleet(loadFleet(opts.config));
      const progress = createProgress();
      const result = await deployFleet(manifests, {
        ...(opts.context ? { context: opts.context } : {}),
        ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
        ...(opts.dryRun ? { dryRun: opts.dryRun } : {}),
        timeoutMs: opts.timeout,
        wait: opts.wait,
        prune: opts.prune,
        onProgress: (event) => progress.update(describeEvent(event)),
      }).finally(() => progress.done());
      if (opts.json) return printJson(result);
      const rows = [
        ...result.applied.filter((a) => a.action !== 'unchanged').map((a) => [a.action, formatRef(a.ref)]),
        ...result.pruned.map((ref) => ['pruned', formatRef(ref)]),
      ];
      if (rows.length) printText(formatTable(['change', 'object'], rows));
      for (const warning of result.warnings) printWarning(warning);
      const unchanged = result.applied.length - result.applied.filter((a) => a.action !== 'unchanged').length;
      const rolled = result.rollouts.length ? `, ${result.rollouts.length} deployment(s) available` : '';
      printText(`${result.dryRun ? '(server dry run) ' : ''}fleet ${result.fleet}: ${result.changes} change(s), ${unchanged} unchanged${rolled}`);
    });
}

function describeEvent(event: DeployEvent): string {
  switch (event.type) {
    case 'applied':
      return `applied stage ${event.stage + 1} (${event.objects} object(s))`;
    case 'pruned':
      return `pruned ${formatRef(event.ref)}`;
    case 'rollout': {
      const done = event.statuses.filter((s) => s.done).length;
      const waiting = event.statuses.filter((s) => !s.done).slice(0, 3).map((s) => `${s.namespace}/${s.name} ${s.available}/${s.desired}`);
      return `rollout ${done}/${event.statuses.length} available (${Math.round(event.elapsedMs / 1000)}s)${waiting.length ? `; waiting: ${waiting.join(', ')}` : ''}`;
    }
  }
}

function parseDryRun(value: string): 'server' {
  if (value !== 'server') throw new InvalidArgumentError(`--dry-run ${JSON.stringify(value)} is not allowed; use --dry-run=server (client dry runs cannot check admission).`);
  return value;
}
