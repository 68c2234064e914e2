import type { ApiObjectMetadata } from 'cdk8s';
import type { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../imports/monitoring.coreos.com.js';
import type { AlertGroup } from '../alerts.js';

/**
 * Adds a PrometheusRule holding one rule group (see alerts.ts) to `scope`: the same rules the
 * promtool tests load, in the Prometheus Operator's shape.
 */
export function addPrometheusRule(scope: Construct, id: string, metadata: ApiObjectMetadata, group: AlertGroup): PrometheusRule {
  return new PrometheusRule(scope, id, {
    metadata,
    spec: {
      groups: [{
        name: group.name,
        rules: group.rules.map((r) => ({
          alert: r.alert,
          expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr),
          for: r.for,
          labels: { ...r.labels },
          annotations: { ...r.annotations },
        })),
      }],
    },
  });
}
