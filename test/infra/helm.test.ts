import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../common/index.js';
import {
  type FleetConfig, HELM_KEEP_ANNOTATION, type KubeObject, inReleaseNamespace, parseFleetConfig, synthesizeFleet, writeHelmChart,
} from '../../infra/index.js';
import { requireTool } from '../support/tools.js';
import {
  type Json, NAMESPACE_KINDS, TOOLS_HINT, allObjects, chartRenderings, exampleConfig, helmFailure, helmTemplate, minimalInput,
  renderChart, repoPath, run, tempDir,
} from './support.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;
// The release namespace of the one-app renderings.
const RELEASE_NAMESPACE = 'team-a';

const key = (o: KubeObject) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function byKey(objects: readonly KubeObject[]): Map<string, KubeObject> {
  const map = new Map<string, KubeObject>();
  for (const o of objects) {
    assert.ok(!map.has(key(o)), `duplicate object ${key(o)}`);
    map.set(key(o), o);
  }
  return map;
}

function assertSameObjects(rendered: readonly KubeObject[], expected: readonly KubeObject[]): void {
  const r = byKey(rendered);
  const e = byKey(expected);
  assert.deepEqual([...r.keys()].sort(), [...e.keys()].sort(), 'the same objects');
  for (const [k, o] of e) assert.deepEqual(r.get(k), o, k);
}

/**
 * What the chart of `config` renders with its defaults: a fleet chart the YAML output; a one-app
 * chart (rendered in RELEASE_NAMESPACE) the YAML output of the app and prober in that namespace.
 */
function expectedObjects(config: FleetConfig): KubeObject[] {
  if (config.apps.length > 1) return allObjects(synthesizeFleet(config));
  // The release namespace also carries helm's keep policy (it holds helm's release record).
  return allObjects(synthesizeFleet(inReleaseNamespace(config, RELEASE_NAMESPACE))).map((o) => (o.kind === 'Namespace'
    ? { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, ...HELM_KEEP_ANNOTATION } } }
    : o));
}

/** helm arguments that render a chart with its defaults as the YAML output has it (namespaces included). */
function asYamlArgs(config: FleetConfig): string[] {
  return config.apps.length === 1 ? ['--namespace', RELEASE_NAMESPACE, '--set', 'namespace.create=true'] : [];
}

const charts: Record<string, () => FleetConfig> = {
  'examples/one-app.yaml': () => exampleConfig('one-app'),
  'examples/fleet-20.yaml': () => exampleConfig('fleet-20'),
  'two apps: created Gateway, shared namespace, in-cluster probing, two hosts, bench resources (no CPU limit)': () => parseFleetConfig({
    fleet: 'duo',
    namespaces: { layout: 'shared' },
    routing: { kind: 'gateway', gateway: { create: true } },
    monitoring: { prober: { probeVia: 'service', egressCidrs: ['203.0.113.0/24'] } },
    apps: [
      { name: 'web', hosts: [{ host: 'a.example.com' }, { host: 'b.example.com', path: '/b' }], resources: { fromBench: repoPath('test/fixtures/bench/results-v1.json') } },
      { name: 'api', host: 'api.example.com', scaling: { minReplicas: 3, maxReplicas: 9 }, resources: { requests: { cpu: '0.25', memory: '1G' }, limits: { cpu: '1', memory: '2Gi' } } },
    ],
  }),
  'one app: bench resources (no CPU limit), in-cluster probing, two hosts': () => parseFleetConfig(minimalInput(
    { monitoring: { prober: { probeVia: 'service' } } },
    { host: undefined, hosts: [{ host: 'a.example.com' }, { host: 'b.example.com', path: '/b' }], resources: { fromBench: repoPath('test/fixtures/bench/results-v1.json') } },
  )),
  'one app: shared exporter, monitoring labels, Issuer, template text in annotations': () => parseFleetConfig(minimalInput({
    // Config strings are data: helm must not execute them, so the chart renders them as the YAML has them.
    routing: { tls: { issuerKind: 'Issuer' }, ingress: { annotations: { 'example.com/fail': '{{ fail "boom" }}', 'example.com/release': '{{ .Release.Name }}', 'example.com/trim': '{{- "x" -}}}}' } } },
    monitoring: { labels: { release: 'kps', team: 'edge' }, prober: { mode: 'shared', url: 'bb.monitoring.svc:9115' } },
  })),
};

for (const [name, load] of Object.entries(charts)) {
  test(`helm lint --strict passes and helm template with default values equals the YAML output: ${name}`, async (t) => {
    const helm = requireTool(t, 'helm', TOOLS_HINT);
    if (!helm) return;
    const config = load();
    const dir = tempDir(t);
    writeHelmChart(config, dir);
    const lint = await run(helm, ['lint', '--strict', dir]).catch((e: { code: number; stdout: string; stderr: string }) => e);
    assert.ok(!('code' in lint) || lint.code === 0, `helm lint failed:\n${lint.stdout}\n${lint.stderr}`);
    assertSameObjects(await helmTemplate(helm, dir, asYamlArgs(config)), expectedObjects(config));
  });
}

test('a one-app chart installs into the release namespace and creates no namespace unless namespace.create is set', async (t) => {
  const helm = requireTool(t, 'helm', TOOLS_HINT);
  if (!helm) return;
  const config = exampleConfig('one-app');
  const dir = tempDir(t);
  writeHelmChart(config, dir);
  const rendered = await helmTemplate(helm, dir, ['--namespace', RELEASE_NAMESPACE]);
  const expected = expectedObjects(config).filter((o) => !NAMESPACE_KINDS.includes(o.kind));
  assertSameObjects(rendered, expected);
  assert.deepEqual([...new Set(rendered.map((o) => o.metadata.namespace))], [RELEASE_NAMESPACE]);
});

// Each values override renders exactly what the equivalent config gives. The first six are the
// original hello-flask chart's documented commands that keep their meaning.
const oneAppOverrides: { name: string; set: string[]; setJson?: string[]; config: Record<string, unknown> }[] = [
  { name: 'original command: image.repository', set: ['image.repository=registry.example.com/team/hello'], config: minimalInput({}, { image: 'registry.example.com/team/hello:1.2.3' }) },
  { name: 'original command: image.tag', set: ['image.tag=2.0.0'], config: minimalInput({}, { image: 'ghcr.io/acme/hello:2.0.0' }) },
  { name: 'original command: image.digest (wins over the tag)', set: [`image.digest=${DIGEST}`], config: minimalInput({}, { image: `ghcr.io/acme/hello:1.2.3@${DIGEST}` }) },
  { name: 'original command: ingress.hosts[0].host', set: ['ingress.hosts[0].host=www.example.org'], config: minimalInput({}, { host: 'www.example.org' }) },
  { name: 'original command: gatewayApi.enabled', set: ['gatewayApi.enabled=true'], config: minimalInput({ routing: { kind: 'gateway' } }) },
  { name: 'original command: gatewayApi.gatewayRef.name (and namespace)', set: ['gatewayApi.enabled=true', 'gatewayApi.gatewayRef.name=edge', 'gatewayApi.gatewayRef.namespace=gw'], config: minimalInput({ routing: { kind: 'gateway', gateway: { parentRef: { name: 'edge', namespace: 'gw' } } } }) },
  {
    name: 'ingress hosts and paths',
    set: ['ingress.hosts[0].host=www.example.org', 'ingress.hosts[0].path=/app', 'ingress.hosts[1].host=web2.example.org'],
    config: minimalInput({}, { host: undefined, hosts: [{ host: 'www.example.org', path: '/app' }, { host: 'web2.example.org' }] }),
  },
  { name: 'monitoring off', set: ['monitoring.enabled=false'], config: minimalInput({ monitoring: { enabled: false } }) },
  { name: 'shared exporter URL instead of the local prober', set: ['monitoring.prober.url=blackbox.monitoring.svc:9115'], config: minimalInput({ monitoring: { prober: { mode: 'shared', url: 'blackbox.monitoring.svc:9115' } } }) },
  {
    name: 'scaling, resources and SLO',
    set: [
      'scaling.minReplicas=3', 'scaling.maxReplicas=15', 'scaling.targetCPUUtilization=60',
      'resources.requests.cpu=250m', 'resources.requests.memory=1G', 'resources.limits.cpu=1500m', 'resources.limits.memory=2Gi', 'resources.limits.ephemeralStorage=1Gi',
      'slo.latency.threshold=1.5s',
    ],
    // helm --set passes 99.95 as text; --set-json (or a values file) passes the number.
    setJson: ['slo.latency.objective=99.95'],
    config: minimalInput({}, {
      scaling: { minReplicas: 3, maxReplicas: 15, targetCPUUtilization: 60 },
      resources: { requests: { cpu: '250m', memory: '1G' }, limits: { cpu: '1500m', memory: '2Gi', ephemeralStorage: '1Gi' } },
      slo: { latency: { threshold: '1500ms', objective: 99.95 } },
    }),
  },
  { name: 'SLO of a whole-second threshold and a 3-decimal objective', set: ['slo.latency.threshold=1s'], setJson: ['slo.latency.objective=99.999'], config: minimalInput({}, { slo: { latency: { threshold: '1s', objective: 99.999 } } }) },
  { name: 'a numeric tag and whole cores, as --set passes them (numbers)', set: ['image.tag=42', 'resources.limits.cpu=2'], config: minimalInput({}, { image: 'ghcr.io/acme/hello:42', resources: { limits: { cpu: '2' } } }) },
];

test('one-app chart: helm template with values overrides equals the YAML output of the equivalent config', async (t) => {
  const helm = requireTool(t, 'helm', TOOLS_HINT);
  if (!helm) return;
  const dir = tempDir(t);
  writeHelmChart(parseFleetConfig(minimalInput()), dir);
  for (const o of oneAppOverrides) {
    await t.test(o.name, async () => {
      const config = parseFleetConfig(structuredClone(o.config));
      const args = [...asYamlArgs(config), ...o.set.flatMap((s) => ['--set', s]), ...(o.setJson ?? []).flatMap((s) => ['--set-json', s])];
      assertSameObjects(await helmTemplate(helm, dir, args), expectedObjects(config));
    });
  }
});

test('fleet chart: per-app scaling and resources move the shared namespace quota as the config would', async (t) => {
  const helm = requireTool(t, 'helm', TOOLS_HINT);
  if (!helm) return;
  const fleet = (a: Record<string, unknown>, b: Record<string, unknown>) => ({
    fleet: 'duo',
    namespaces: { layout: 'shared' },
    apps: [{ name: 'a', host: 'a.example.com', ...a }, { name: 'b', host: 'b.example.com', ...b }],
  });
  const dir = tempDir(t);
  writeHelmChart(parseFleetConfig(fleet({}, {})), dir);
  const set = ['apps.a.scaling.maxReplicas=12', 'apps.b.resources.limits.memory=1Gi', 'apps.b.resources.requests.cpu=300m', 'apps.b.image.tag=3.1.0'];
  const config = parseFleetConfig(fleet(
    { scaling: { maxReplicas: 12 } },
    { resources: { limits: { memory: '1Gi' }, requests: { cpu: '300m' } }, image: 'ghcr.io/hello-edge/hello:3.1.0' },
  ));
  assertSameObjects(await helmTemplate(helm, dir, set.flatMap((s) => ['--set', s])), expectedObjects(config));
});

// Values the fleet config refuses, set on a one-app chart: helm refuses each too, naming the value
// (values.schema.json, or templates/checks.yaml for what a schema cannot state). `app` is the
// same mistake written in the fleet config's app, `top` in its top level.
const refusedByBoth: { set: string; app?: Record<string, unknown>; top?: Record<string, unknown>; names: RegExp }[] = [
  { set: 'imag.tag=1.0', app: { imag: { tag: '1.0' } }, names: /additional properties 'imag' not allowed/ },
  { set: 'image.digest=notadigest', app: { image: { repository: 'ghcr.io/acme/hello', digest: 'notadigest' } }, names: /'\/image\/digest': 'notadigest' does not match/ },
  { set: 'image.repository=Acme/Hello', app: { image: 'Acme/Hello:1.0' }, names: /'\/image\/repository': 'Acme\/Hello' does not match/ },
  { set: 'image.tag=latest', app: { image: 'ghcr.io/acme/hello:latest' }, names: /image\.tag: "latest" is not allowed/ },
  { set: 'ingress.hosts=null', app: { host: undefined, hosts: [] }, names: /'\/ingress': missing property 'hosts'/ },
  { set: 'ingress.hosts[0].host=https://web.example.com', app: { host: 'https://web.example.com' }, names: /'\/ingress\/hosts\/0\/host': 'https:\/\/web.example.com' does not match/ },
  { set: 'ingress.hosts[0].host=web.example.com,ingress.hosts[0].path=/a/../b', app: { path: '/a/../b' }, names: /ingress\.hosts\[0\]\.path: "\/a\/\.\.\/b" is not allowed/ },
  { set: 'scaling.minReplicas=1', app: { scaling: { minReplicas: 1 } }, names: /'\/scaling\/minReplicas': minimum: got 1, want 2/ },
  { set: 'scaling.minReplicas=5,scaling.maxReplicas=4', app: { scaling: { minReplicas: 5, maxReplicas: 4 } }, names: /scaling\.maxReplicas: 4 is not allowed; use a number larger than scaling\.minReplicas \(5\)/ },
  { set: 'scaling.targetCPUUtilization=5', app: { scaling: { targetCPUUtilization: 5 } }, names: /'\/scaling\/targetCPUUtilization': minimum: got 5, want 10/ },
  { set: 'resources.requests.cpu=0m', app: { resources: { requests: { cpu: '0m' } } }, names: /resources\.requests\.cpu: "0m" is not allowed/ },
  { set: 'resources.limits.cpu=lots', app: { resources: { limits: { cpu: 'lots' } } }, names: /'\/resources\/limits\/cpu': 'lots' does not match/ },
  { set: 'resources.limits.memory=5Ti', app: { resources: { limits: { memory: '5Ti' } } }, names: /resources\.limits\.memory: "5Ti" is not allowed/ },
  { set: 'resources.requests.memory=1Gi', app: { resources: { requests: { memory: '1Gi' } } }, names: /resources\.requests\.memory: "1Gi" is larger than resources\.limits\.memory \("192Mi"\)/ },
  { set: 'resources.requests.cpu=null', app: { resources: { requests: { cpu: null } } }, names: /'\/resources\/requests': missing property 'cpu'/ },
  { set: 'slo.latency.threshold=320ms', app: { slo: { latency: { threshold: '320ms' } } }, names: /'\/slo\/latency\/threshold': value must be one of '5ms'/ },
  { set: 'slo.latency.objective=100', app: { slo: { latency: { objective: 100 } } }, names: /'\/slo\/latency\/objective': maximum: got 100, want 99.999/ },
  { set: 'monitoring.prober.url=http://blackbox:9115', top: { monitoring: { prober: { mode: 'shared', url: 'http://blackbox:9115' } } }, names: /'\/monitoring\/prober\/url': 'http:\/\/blackbox:9115' does not match/ },
  { set: 'monitoring.prober.url=blackbox:99999', top: { monitoring: { prober: { mode: 'shared', url: 'blackbox:99999' } } }, names: /monitoring\.prober\.url: "blackbox:99999" is not allowed; use a port/ },
  { set: 'gatewayApi.gatewayRef.name=Edge_Gateway', top: { routing: { gateway: { parentRef: { name: 'Edge_Gateway' } } } }, names: /'\/gatewayApi\/gatewayRef\/name': 'Edge_Gateway' does not match/ },
  { set: 'gatewayApi.enabled=maybe', top: { routing: { kind: 'maybe' } }, names: /'\/gatewayApi\/enabled': got string, want boolean/ },
];

test('one-app chart: helm refuses, naming the value, what the fleet config refuses', async (t) => {
  const helm = requireTool(t, 'helm', TOOLS_HINT);
  if (!helm) return;
  const dir = tempDir(t);
  writeHelmChart(parseFleetConfig(minimalInput()), dir);
  for (const c of refusedByBoth) {
    await t.test(c.set, async () => {
      assert.throws(() => parseFleetConfig(minimalInput(c.top ?? {}, c.app ?? {})), ConfigError, 'the fleet config refuses it');
      assert.match(await helmFailure(helm, dir, ['--set', c.set]), c.names);
    });
  }
});

test('fleet chart: a typo in an app name or a key is refused, naming it', async (t) => {
  const helm = requireTool(t, 'helm', TOOLS_HINT);
  if (!helm) return;
  const dir = tempDir(t);
  writeHelmChart(exampleConfig('fleet-20'), dir);
  assert.match(await helmFailure(helm, dir, ['--set', 'apps.helo.image.tag=1.0']), /'\/apps': additional properties 'helo' not allowed/);
  assert.match(await helmFailure(helm, dir, ['--set', 'apps.shop.scaling.maxReplica=9']), /'\/apps\/shop\/scaling': additional properties 'maxReplica' not allowed/);
  assert.match(await helmFailure(helm, dir, ['--set', 'image.tag=1.0']), /additional properties 'image' not allowed/);
  assert.match(await helmFailure(helm, dir, ['--set', 'apps.search.resources.limits.cpu=50m']), /apps\.search\.resources\.requests\.cpu: "60m" is larger than apps\.search\.resources\.limits\.cpu/);
});

// The original chart's metrics.blackbox.* commands: each fails, naming the value that replaced it.
const replaced: { set: string; names: RegExp }[] = [
  { set: 'metrics.blackbox.enabled=true', names: /metrics\.blackbox\.enabled: true is not allowed.*use monitoring\.enabled/ },
  { set: 'metrics.blackbox.useProbe=true', names: /metrics\.blackbox\.useProbe: true is not allowed.*Probe is always used when monitoring\.enabled/ },
  { set: 'metrics.blackbox.proberUrl=http://blackbox:9115', names: /metrics\.blackbox\.proberUrl: "http:\/\/blackbox:9115" is not allowed.*use monitoring\.prober\.url, as "host:port" without a scheme/ },
  { set: 'metrics.blackbox.createExporter=true', names: /metrics\.blackbox\.createExporter: true is not allowed.*own prober unless monitoring\.prober\.url/ },
  { set: 'metrics.blackbox.targetUrl=https://hello.example.com/', names: /metrics\.blackbox\.targetUrl: "https:\/\/hello\.example\.com\/" is not allowed.*ingress\.hosts/ },
];

test('one-app chart: the original chart\'s metrics.blackbox.* values fail naming what replaced them; no system namespace is taken over', async (t) => {
  const helm = requireTool(t, 'helm', TOOLS_HINT);
  if (!helm) return;
  const dir = tempDir(t);
  writeHelmChart(parseFleetConfig(minimalInput()), dir);
  const systemNamespace = { args: ['--set', 'namespace.create=true', '--namespace', 'kube-system'], names: /namespace\.create: true is not allowed in the release namespace "kube-system"/ };
  for (const c of [...replaced.map((r) => ({ args: ['--set', r.set], names: r.names })), systemNamespace]) {
    await t.test(c.args.join(' '), async () => {
      assert.match(await helmFailure(helm, dir, c.args), c.names);
    });
  }
});

test('the environment values files change what they say they change', async (t) => {
  const helm = requireTool(t, 'helm', TOOLS_HINT);
  if (!helm) return;
  const rendered = new Map<string, KubeObject[]>();
  for (const r of chartRenderings()) rendered.set(r.name, await renderChart(t, helm, r));
  const objects = (name: string) => rendered.get(name) ?? assert.fail(`no rendering ${name}`);
  const one = (name: string, kind: string, objectName: string): Json => objects(name).find((o) => o.kind === kind && o.metadata.name === objectName);

  assert.equal(one('one-app chart, dev values', 'Ingress', 'hello').spec.rules[0].host, 'hello.dev.example.com');
  assert.equal(one('one-app chart, dev values', 'Deployment', 'hello').spec.template.spec.containers[0].image, 'ghcr.io/hello-edge/hello:0.2.0-rc.1');
  assert.ok(one('one-app chart, dev values', 'Namespace', 'hello-dev'), 'dev: the chart owns its namespace');
  assert.ok(objects('one-app chart, staging values').some((o) => o.kind === 'HTTPRoute'), 'staging: Gateway API routes');
  assert.ok(!objects('one-app chart, staging values').some((o) => o.kind === 'Ingress' || o.metadata.name === 'hello-prober'), 'staging: no Ingress, no own prober');
  assert.equal(one('one-app chart, staging values', 'Probe', 'hello').spec.prober.url, 'blackbox-exporter.monitoring.svc:9115');
  const prodHpa = one('one-app chart, prod values', 'HorizontalPodAutoscaler', 'hello');
  assert.deepEqual([prodHpa.spec.minReplicas, prodHpa.spec.maxReplicas], [3, 12]);
  assert.match(one('one-app chart, prod values', 'Deployment', 'hello').spec.template.spec.containers[0].image, /@sha256:5f0e4d3c/);

  assert.equal(one('fleet-20 chart, dev values', 'Ingress', 'api').spec.rules[1].host, 'legacy-api.dev.example.com');
  assert.ok(!objects('fleet-20 chart, staging values').some((o) => o.kind === 'Namespace'), 'staging: the namespaces exist already');
  const shopHpa = one('fleet-20 chart, prod values', 'HorizontalPodAutoscaler', 'shop');
  assert.deepEqual([shopHpa.spec.minReplicas, shopHpa.spec.maxReplicas], [4, 20]);
  const searchQuota: Json = objects('fleet-20 chart, prod values').find((o) => o.kind === 'ResourceQuota' && o.metadata.namespace === 'edge-search');
  assert.equal(searchQuota.spec.hard['requests.cpu'], '15', 'search: 500m x (24 + 6 surge) pods');
});
