import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { type FleetConfig, type KubeObject, parseFleetConfig, synthesizeFleet, writeHelmChart } from '../../infra/index.js';
import { requireTool } from '../support/tools.js';
import { allObjects, exampleConfig, minimalInput, repoPath, tempDir } from './support.js';

const run = promisify(execFile);
const HINT = 'built by test/tools/build-tools.sh into $HELLO_EDGE_CACHE/bin';
const DIGEST = `sha256:${'c'.repeat(64)}`;

const key = (o: KubeObject) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function byKey(objects: readonly KubeObject[]): Map<string, KubeObject> {
  const map = new Map<string, KubeObject>();
  for (const o of objects) {
    assert.ok(!map.has(key(o)), `duplicate object ${key(o)}`);
    map.set(key(o), o);
  }
  return map;
}

/** helm template output, as objects. */
async function render(helm: string, chart: string, set: readonly string[] = []): Promise<KubeObject[]> {
  const { stdout } = await run(helm, ['template', 'fleet', chart, ...set.flatMap((s) => ['--set', s])], { maxBuffer: 64 * 2 ** 20 });
  return parseAllDocuments(stdout).map((d) => d.toJS() as KubeObject).filter((o) => o !== null);
}

function assertSameObjects(rendered: readonly KubeObject[], expected: readonly KubeObject[]): void {
  const r = byKey(rendered);
  const e = byKey(expected);
  assert.deepEqual([...r.keys()].sort(), [...e.keys()].sort(), 'the same objects');
  for (const [k, o] of e) assert.deepEqual(r.get(k), o, k);
}

const charts: Record<string, () => FleetConfig> = {
  'examples/one-app.yaml': () => exampleConfig('one-app'),
  'examples/fleet-20.yaml': () => exampleConfig('fleet-20'),
  'created Gateway, shared namespace, in-cluster probing, two hosts, bench resources': () => parseFleetConfig(minimalInput(
    { namespaces: { layout: 'shared' }, routing: { kind: 'gateway', gateway: { create: true } }, monitoring: { prober: { probeVia: 'service', egressCidrs: ['203.0.113.0/24'] } } },
    { host: undefined, hosts: [{ host: 'a.example.com' }, { host: 'b.example.com', path: '/b' }], resources: { fromBench: repoPath('test/fixtures/bench/results-v1.json') } },
  )),
  'shared exporter, monitoring labels, Issuer, template text in annotations': () => parseFleetConfig(minimalInput({
    // Config strings are data: helm must not execute them, so the chart renders them as the YAML has them.
    routing: { tls: { issuerKind: 'Issuer' }, ingress: { annotations: { 'example.com/fail': '{{ fail "boom" }}', 'example.com/release': '{{ .Release.Name }}', 'example.com/trim': '{{- "x" -}}}}' } } },
    monitoring: { labels: { release: 'kps', team: 'edge' }, prober: { mode: 'shared', url: 'bb.monitoring.svc:9115' } },
  })),
};

for (const [name, load] of Object.entries(charts)) {
  test(`helm lint passes and helm template with default values equals the YAML output: ${name}`, async (t) => {
    const helm = requireTool(t, 'helm', HINT);
    if (!helm) return;
    const config = load();
    const dir = tempDir(t);
    writeHelmChart(config, dir);
    const lint = await run(helm, ['lint', '--strict', dir]).catch((e: { code: number; stdout: string; stderr: string }) => e);
    assert.ok(!('code' in lint) || lint.code === 0, `helm lint failed:\n${lint.stdout}\n${lint.stderr}`);
    assertSameObjects(await render(helm, dir), allObjects(synthesizeFleet(config)));
  });
}

// Each values override renders exactly what synthesizing the equivalent config gives.
const overrides: { name: string; set: string[]; config: Record<string, unknown> }[] = [
  { name: 'image digest (wins over the tag)', set: [`apps.web.image.digest=${DIGEST}`], config: minimalInput({}, { image: `ghcr.io/acme/hello:1.2.3@${DIGEST}` }) },
  { name: 'image tag', set: ['apps.web.image.tag=2.0.0'], config: minimalInput({}, { image: 'ghcr.io/acme/hello:2.0.0' }) },
  {
    name: 'ingress hosts and path',
    set: ['apps.web.ingress.hosts[0].host=www.example.org', 'apps.web.ingress.hosts[0].path=/app', 'apps.web.ingress.hosts[1].host=web2.example.org'],
    config: minimalInput({}, { host: undefined, hosts: [{ host: 'www.example.org', path: '/app' }, { host: 'web2.example.org' }] }),
  },
  { name: 'Gateway API on, with its parent ref', set: ['gateway.enabled=true', 'gateway.parentRef.name=edge', 'gateway.parentRef.namespace=gw'], config: minimalInput({ routing: { kind: 'gateway', gateway: { parentRef: { name: 'edge', namespace: 'gw' } } } }) },
  { name: 'monitoring off', set: ['monitoring.enabled=false'], config: minimalInput({ monitoring: { enabled: false } }) },
  { name: 'shared exporter URL instead of the local prober', set: ['monitoring.prober.url=blackbox.monitoring.svc:9115'], config: minimalInput({ monitoring: { prober: { mode: 'shared', url: 'blackbox.monitoring.svc:9115' } } }) },
];

test('helm template with values overrides equals the YAML output of the equivalent config', async (t) => {
  const helm = requireTool(t, 'helm', HINT);
  if (!helm) return;
  const dir = tempDir(t);
  writeHelmChart(parseFleetConfig(minimalInput()), dir);
  for (const o of overrides) {
    await t.test(o.name, async () => {
      const input = JSON.parse(JSON.stringify(o.config)) as Record<string, unknown>;
      assertSameObjects(await render(helm, dir, o.set), allObjects(synthesizeFleet(parseFleetConfig(input))));
    });
  }
});
