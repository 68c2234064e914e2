import type { Command } from 'commander';
import { DEFAULT_FLEET_CONFIG } from './synth.js';

/** Options shared by deploy, diff and destroy. */
export interface ClusterCommandOptions {
  config: string;
  context?: string;
  kubeconfig?: string;
  json?: boolean;
}

/** Adds --config, --context, --kubeconfig and --json to a cluster command. */
export function withClusterOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'fleet config (YAML)', DEFAULT_FLEET_CONFIG)
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--json', 'print the result as JSON');
}
