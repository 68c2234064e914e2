/**
 * values.schema.json: the chart's values checked by the fleet config's own rules (infra/config's
 * schemas, rendered as JSON Schema), so helm refuses what the fleet config refuses. Strict: every
 * map refuses unknown keys (a typo fails), and every value values.yaml has is required, since
 * helm drops a value set to null and the templates would go on without it.
 */
import { type JsonSchema, boolean, list } from '../../common/index.js';
import {
  type AppConfig, DEFAULT_RESOURCES, type FleetConfig, dnsLabel, hostSchema, imageSchema, monitoringSchema, resourcesSchema, scalingSchema, sloSchema,
} from '../config/index.js';
import { thresholdSpellings } from './helpers.js';
import type { ChartLayout } from './values.js';

/** The JSON Schema of the chart's values (values.schema.json). */
export function valuesSchema(config: FleetConfig, layout: ChartLayout): JsonSchema {
  const shared = {
    gatewayApi: strict({
      enabled: boolean().jsonSchema(),
      gatewayRef: strict({ name: dnsLabel().jsonSchema(), namespace: dnsLabel().jsonSchema() }),
    }),
    monitoring: strict({ enabled: boolean().jsonSchema(), prober: strict({ url: emptyOr(proberUrlSchema()) }) }),
  };
  const top = layout.oneApp
    ? strict(
        {
          ...appValuesSchema(config.apps[0] as AppConfig),
          namespace: strict({ create: boolean().jsonSchema() }),
          ...shared,
          // The original chart's metrics.* values: templates/checks.yaml fails naming what replaced each.
          metrics: { type: 'object', description: 'the original hello-flask chart\'s values; each fails naming what replaced it' },
        },
        ['metrics'],
      )
    : strict({
        apps: strict(Object.fromEntries(config.apps.map((a) => [a.name, strict(appValuesSchema(a))]))),
        namespaces: strict({ create: boolean().jsonSchema() }),
        ...shared,
      });
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', title: `values of the hello-edge chart of ${layout.oneApp ? `the app ${config.apps[0]?.name}` : `the fleet ${config.fleet}`}`, ...top };
}

/** The values of one app: the fleet config's app fields, in the chart's shape. */
function appValuesSchema(app: AppConfig): Record<string, JsonSchema> {
  const image = (imageSchema.jsonSchema().anyOf as JsonSchema[]).find((s) => s.type === 'object') as JsonSchema;
  const imageFields = image.properties as Record<string, JsonSchema>;
  const slo = sloSchema.jsonSchema();
  const latency = (slo.properties as Record<string, JsonSchema>).latency as JsonSchema;
  const latencyFields = latency.properties as Record<string, JsonSchema>;
  const resources = resourcesSchema(DEFAULT_RESOURCES).jsonSchema();
  const sides = resources.properties as Record<string, JsonSchema>;
  // Only a bench recommendation leaves the CPU unlimited; the chart keeps what the config decided.
  const limits = app.resources.limits.cpuMillis === null ? without(sides.limits as JsonSchema, 'cpu') : (sides.limits as JsonSchema);
  return {
    // "" stands for no tag or no digest, as in the fleet config.
    image: strict({ repository: imageFields.repository as JsonSchema, tag: orWholeNumber(emptyOr(imageFields.tag as JsonSchema)), digest: emptyOr(imageFields.digest as JsonSchema) }, ['tag', 'digest']),
    ingress: strict({ hosts: list(hostSchema, { minItems: 1 }).jsonSchema() }),
    scaling: requireAll(scalingSchema.jsonSchema()),
    resources: requireAll({ ...resources, properties: { requests: cpuOrWholeNumber(requireAll(sides.requests as JsonSchema)), limits: cpuOrWholeNumber(requireAll(limits)) } }),
    slo: requireAll({
      ...slo,
      properties: {
        latency: requireAll({
          ...latency,
          properties: {
            // The fleet's rule (one of the prober's buckets) as the spellings the templates look up.
            threshold: { type: 'string', enum: [...thresholdSpellings().keys()], description: latencyFields.threshold?.description },
            // At most 3 decimals: the templates then compute the rules' numbers exactly as alerts.ts does.
            objective: { ...latencyFields.objective, multipleOf: 0.001 },
          },
        }),
      },
    }),
  };
}

/** The fleet config's `monitoring.prober.url` rule. */
function proberUrlSchema(): JsonSchema {
  const prober = (monitoringSchema.jsonSchema().properties as Record<string, JsonSchema>).prober as JsonSchema;
  return (prober.properties as Record<string, JsonSchema>).url as JsonSchema;
}

/** A map with exactly these keys, all required but `optional`. */
function strict(properties: Record<string, JsonSchema>, optional: readonly string[] = []): JsonSchema {
  return { type: 'object', additionalProperties: false, properties, required: Object.keys(properties).filter((k) => !optional.includes(k)) };
}

/** An object schema with every property required. */
function requireAll(schema: JsonSchema): JsonSchema {
  return { ...schema, required: Object.keys(schema.properties as object) };
}

/** An object schema without property `key`. */
function without(schema: JsonSchema, key: string): JsonSchema {
  const { [key]: _dropped, ...properties } = schema.properties as Record<string, JsonSchema>;
  return { ...schema, properties };
}

/**
 * A string schema that also takes a whole number: `helm --set image.tag=2` or `--set
 * resources.limits.cpu=2` passes a number, which the templates write as its text. (Its range is
 * checked there: a number is never matched against the pattern.)
 */
function orWholeNumber(schema: JsonSchema): JsonSchema {
  return { ...schema, type: ['string', 'integer'], minimum: 0 };
}

/** Requests or limits whose `cpu` may be a whole number of cores. */
function cpuOrWholeNumber(amounts: JsonSchema): JsonSchema {
  const properties = amounts.properties as Record<string, JsonSchema>;
  return properties.cpu ? { ...amounts, properties: { ...properties, cpu: orWholeNumber(properties.cpu) } } : amounts;
}

/** A string schema that also takes "" (the value's "none"). */
function emptyOr(schema: JsonSchema): JsonSchema {
  const pattern = schema.pattern as string;
  return { ...schema, pattern: `^(${pattern.replace(/^\^/, '').replace(/\$$/, '')})?$` };
}
