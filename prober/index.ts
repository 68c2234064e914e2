/**
 * The prober: a blackbox-exporter-compatible synthetic prober (http and tcp), with a target
 * policy, a concurrency limit and a scheduled mode. This file is its public face.
 */
export * from './contract.js';
export type * from './config/types.js';
export { PROBER_NAMES, UNIMPLEMENTED_PROBER_NAMES, TLS_VERSIONS } from './config/types.js';
export { loadProberConfig, parseProberConfig, buildConfig, defaultProberConfig, DEFAULT_HTTP_PROBE, DEFAULT_TCP_PROBE, DEFAULT_LIMITS, DEFAULT_TARGET_POLICY } from './config/load.js';
export type { ProbeFn } from './types.js';
export { PROBERS, probeHttp, probeTcp } from './probers/index.js';
export { HTTP_PHASES, renderSorted, ipAddressHash } from './metrics.js';
export { compilePolicy, canonicalAddress, type CompiledPolicy } from './config/target-policy.js';
export { compileRegexp, testRegexp, execRegexp, expandTemplate, INLINE_BUDGET, type ProbeRegexp, type RegexpMatch } from './regexp.js';
export {
  runProbe,
  runModuleProbe,
  probeTimeoutSeconds,
  probeDeadlineSeconds,
  selectModule,
  renderProbeMetrics,
  renderProbeDebug,
  MAX_TARGET_LENGTH,
  type ProbeParams,
  type ProbeOutcome,
} from './handler.js';
export { startScheduler, type Scheduler } from './scheduler.js';
export { startProberServer, parseListenAddress, type ProberServer, type ProberServerOptions } from './server.js';
export { loadSafeConfig, holdConfig, type SafeConfig, type ReloadResult } from './safe-config.js';
export { runProberProcess, checkProberConfig, type ProberProcessOptions } from './process.js';
export { PROBER_FLAG_TABLE, parseProberArgs, readFlagValues, parseAutoReloadInterval, parseTimeoutOffset, type ProberFlag, type ProberFlagValues } from './flags.js';
export { PROBER_USER_AGENT } from './probers/http.js';
export { summarizeProbe, type ProbeSummary, type ProbeSample } from './summary.js';
