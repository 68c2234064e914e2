/**
 * Extracts the part of the Kubernetes OpenAPI (v2) spec that infra/ emits, for offline schema
 * validation in test/infra: the definitions of every core kind we synthesize plus everything they
 * reference. Source: `api/openapi-spec/swagger.json` of the Go module k8s.io/kubernetes (fetched
 * through the Go module proxy with `go mod download -json k8s.io/kubernetes@vX.Y.Z`).
 *
 * Usage: node dist/infra/scripts/extract-openapi.js <swagger.json> <version> <out.json>
 */
import { readFileSync, writeFileSync } from 'node:fs';

const KINDS = [
  'io.k8s.api.core.v1.Namespace', 'io.k8s.api.core.v1.LimitRange', 'io.k8s.api.core.v1.ResourceQuota',
  'io.k8s.api.core.v1.ServiceAccount', 'io.k8s.api.core.v1.Service', 'io.k8s.api.core.v1.ConfigMap',
  'io.k8s.api.apps.v1.Deployment', 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
  'io.k8s.api.policy.v1.PodDisruptionBudget', 'io.k8s.api.networking.v1.NetworkPolicy', 'io.k8s.api.networking.v1.Ingress',
];

const [source, version, out] = process.argv.slice(2);
if (!source || !version || !out) {
  process.stderr.write('usage: extract-openapi <swagger.json> <version> <out.json>\n');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(source, 'utf8')) as { definitions: Record<string, unknown> };
const picked: Record<string, unknown> = {};
const visit = (name: string): void => {
  if (picked[name] !== undefined) return;
  const def = spec.definitions[name];
  if (def === undefined) throw new Error(`definition ${name} not in ${source}`);
  picked[name] = def;
  for (const match of JSON.stringify(def).matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) visit(match[1] as string);
};
KINDS.forEach(visit);
const sorted = Object.fromEntries(Object.keys(picked).sort().map((k) => [k, picked[k]]));
writeFileSync(out, `${JSON.stringify({
  source: `k8s.io/kubernetes@${version} api/openapi-spec/swagger.json (Go module proxy), definitions reachable from: ${KINDS.join(', ')}`,
  version,
  definitions: sorted,
})}\n`);
process.stdout.write(`${Object.keys(sorted).length} definitions -> ${out}\n`);
