/**
 * infra/: cdk8s constructs that describe the hello app and the prober for Kubernetes, one app or a
 * fleet, as plain YAML or a Helm chart. The public face of the part: everything other parts (the
 * CLI, deploy) use is exported here.
 */
export * from './config/index.js';
export * from './synth.js';
export * from './alerts.js';
export * from './monitoring-selection.js';
export * from './monitoring-checks.js';
export { FLEET_LABEL, NAMESPACE_OWNER_ANNOTATION, appSelector, appLabels, proberSelector, PROBER_NAME } from './labels.js';
export { HelloApp, type HelloAppProps, SERVICE_PORT, EXEMPTION_ANNOTATION } from './constructs/hello-app.js';
export { FleetNamespace, type FleetNamespaceProps, maxPodsDuringRollout } from './constructs/fleet-namespace.js';
export { Prober, type ProberProps, proberConfig, renderProberConfig, type ProberConfigFile, type ProberTarget, probeTargetUrl, probeTargetHost } from './constructs/prober.js';
export { AppMonitoring, type AppMonitoringProps, PROBE_JOB, proberAddress } from './constructs/app-monitoring.js';
export { SharedGateway, type SharedGatewayProps } from './constructs/shared-gateway.js';
export { parseCpu, parseBytes, formatCpu, formatBytes } from './quantity.js';
export * from './deploy/index.js';
export * from './helm/index.js';
export {
  computeCost, readBenchCapacity, DOCUMENTED_CAPACITY, ORIGINAL_MEASURED, ORIGINAL_SETUP,
  type CapacityPerCore, type CostOptions, type CostReport, type CostLine, type EqualAvailability, type Envelope, type EnvelopeAt,
} from './cost.js';
