import type { Command } from 'commander';
import { type FleetConfig, loadFleetConfig } from '../../infra/index.js';
import { printWarning } from '../output.js';

/** Default fleet config file of the fleet commands (synth, cost, deploy, diff, destroy). */
export const DEFAULT_FLEET_CONFIG = 'fleet.yaml';

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

/** Loads the fleet config and prints what the loader adjusted (a bench recommendation raised, ...) as warnings. */
export function loadFleet(file: string): FleetConfig {
  const config = loadFleetConfig(file);
  for (const warning of config.warnings) printWarning(warning);
  return config;
}
