import assert from 'node:assert/strict';
import { test } from 'node:test';
import { synthesizeFleet } from '../../infra/index.js';
import { SchemaValidator } from './schema-validator.js';
import { allObjects, exampleConfig, minimalInput, synth } from './support.js';

const validator = new SchemaValidator();

const cases = {
  'examples/one-app.yaml': () => synthesizeFleet(exampleConfig('one-app')),
  'examples/fleet-20.yaml': () => synthesizeFleet(exampleConfig('fleet-20')),
  'gateway, created Gateway, shared layout, service probing': () => synth(minimalInput({
    namespaces: { layout: 'shared' },
    routing: { kind: 'gateway', gateway: { create: true } },
    monitoring: { prober: { probeVia: 'service' } },
  })),
  'prober egress CIDRs, Issuer, extra ingress annotations, no nginx': () => synth(minimalInput({
    routing: { ingress: { className: 'traefik', annotations: { 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure' } }, tls: { issuerKind: 'Issuer' } },
    monitoring: { prober: { egressCidrs: ['203.0.113.0/24'] } },
  })),
  'shared exporter, external gateway with a section': () => synth(minimalInput({
    routing: { kind: 'gateway', gateway: { parentRef: { name: 'gw', namespace: 'infra', sectionName: 'https' } } },
    monitoring: { prober: { mode: 'shared', url: 'blackbox.monitoring.svc:9115' } },
  })),
};

for (const [name, make] of Object.entries(cases)) {
  test(`every object validates against the Kubernetes OpenAPI / CRD schemas: ${name}`, () => {
    const problems = allObjects(make()).flatMap((o) => validator.validate(o).map((e) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}: ${e}`));
    assert.deepEqual(problems, []);
  });
}

test('the validator is not a no-op: it rejects unknown fields, wrong types and missing required fields', () => {
  const objects = allObjects(synth(minimalInput()));
  const deployment = structuredClone(objects.find((o) => o.kind === 'Deployment')!) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  deployment.spec.template.spec.containers[0].imagePullPolicy = 42;
  deployment.spec.template.spec.containers[0].bogus = true;
  delete deployment.spec.selector;
  const errors = validator.validate(deployment as never).join('\n');
  assert.match(errors, /imagePullPolicy must be string/);
  assert.match(errors, /bogus/);
  assert.match(errors, /must have required property 'selector'/);
  const probe = structuredClone(objects.find((o) => o.kind === 'Probe')!) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  probe.spec.targets.staticConfig.targets = ['x'];
  assert.match(validator.validate(probe as never).join('\n'), /targets/);
});
