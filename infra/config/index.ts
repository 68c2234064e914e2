/**
 * The fleet config: one file (YAML) or object (TypeScript) listing the apps and the shared
 * settings. types.ts holds its shapes, defaults.ts every default, schema.ts the rules (as a
 * declarative schema that also renders JSON Schema), load.ts the one-pass loader.
 */
export * from './types.js';
export * from './defaults.js';
export { parseFleetConfig, loadFleetConfig, defineFleet, type ParseOptions } from './load.js';
export { readBenchRecommendation } from './bench.js';
export { imageSchema, imageString, parseImage } from './image.js';
export {
  fleetConfigSchema, appSchema, appDefaultsSchema, hostSchema, sloSchema, scalingSchema, resourcesSchema, appResourcesSchema, benchRefSchema,
  namespacesSchema, routingSchema, monitoringSchema, appNameSchema, type FleetInput, type AppInput, type BenchRef,
} from './schema.js';
export {
  DNS_LABEL, SYSTEM_NAMESPACES, isSystemNamespace, dnsLabel, ownedNamespace, hostNameSchema, urlPathSchema, labelKeySchema, labelValueSchema,
  labelsSchema, annotationsSchema, cidrSchema, cpuSchema, bytesSchema,
} from './formats.js';
