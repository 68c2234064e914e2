import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../common/index.js';
import {
  DEFAULT_RESOURCES, NAMESPACE_OWNER_ANNOTATION, defineFleet, fleetConfigSchema, imageString, loadFleetConfig, parseFleetConfig, parseImage, synthesizeFleet,
} from '../../infra/index.js';
import { minimalInput, repoPath, tempDir } from './support.js';

test('a minimal config gets every documented default', () => {
  const c = parseFleetConfig(minimalInput());
  assert.equal(c.fleet, 'test');
  assert.equal(c.namespaces.layout, 'per-app');
  const app = c.apps[0]!;
  assert.equal(app.namespace, 'hello-web');
  assert.deepEqual(app.hosts, [{ host: 'web.example.com', path: '/' }]);
  assert.equal(app.scaling.minReplicas, 3);
  assert.equal(app.scaling.maxReplicas, 6);
  assert.equal(app.scaling.targetCpuUtilization, 70);
  assert.equal(app.resources, DEFAULT_RESOURCES);
  assert.equal(app.slo.latencyThresholdSeconds, 0.3);
  assert.equal(app.slo.latencyObjective, 0.99);
  assert.equal(app.drainDelayMs, 5000);
  assert.equal(c.routing.kind, 'ingress');
  assert.equal(c.routing.ingress.className, 'nginx');
  assert.deepEqual(c.monitoring.labels, { release: 'kube-prometheus-stack' });
  assert.equal(c.monitoring.prober.mode, 'local');
  assert.deepEqual(c.monitoring.alerts, {
    targetDownForSeconds: 300, probeMissingForSeconds: 600, proberDownForSeconds: 300, certExpiryDays: 14, certExpiryForSeconds: 600, sloPeriodSeconds: 30 * 86_400,
  });
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.apps[0]) && Object.isFrozen(c.apps[0]!.hosts));
});

test('defineFleet (the TypeScript API) validates exactly like the YAML path', () => {
  assert.deepEqual(defineFleet(minimalInput()), parseFleetConfig(minimalInput()));
  assert.throws(() => defineFleet(minimalInput({ extra: 1 })), ConfigError);
});

// Table: input -> field named in the error, and words the message must contain (value, allowed).
const bad: { name: string; input: Record<string, unknown>; field: string; says: RegExp }[] = [
  { name: 'unknown top-level key', input: minimalInput({ app: [] }), field: 'app', says: /unknown key \(did you mean apps\?\); allowed here: fleet, namespaces/ },
  { name: 'unknown app key', input: minimalInput({}, { replicas: 3 }), field: 'apps[0].replicas', says: /unknown key/ },
  { name: 'fleet not a DNS label', input: minimalInput({ fleet: 'My_Fleet' }), field: 'fleet', says: /"My_Fleet" is not allowed; use a DNS label/ },
  { name: 'no apps', input: { fleet: 'x', apps: [] }, field: 'apps', says: /at least one app/ },
  { name: 'duplicate app', input: { apps: [{ name: 'a', host: 'a.example.com' }, { name: 'a', host: 'b.example.com' }] }, field: 'apps[1].name', says: /must be unique/ },
  { name: 'duplicate host', input: { apps: [{ name: 'a', host: 'a.example.com' }, { name: 'b', host: 'a.example.com' }] }, field: 'apps[1].hosts', says: /app "a" already serves it/ },
  { name: 'bad app name', input: minimalInput({}, { name: 'Web' }), field: 'apps[0].name', says: /"Web" is not allowed; use a DNS label/ },
  { name: 'missing host', input: { apps: [{ name: 'a' }] }, field: 'apps[0].host', says: /every app needs a host/ },
  { name: 'host with scheme', input: minimalInput({}, { host: 'https://a.example.com' }), field: 'apps[0].host', says: /"https:\/\/a.example.com" is not allowed; use a lowercase DNS name/ },
  { name: 'relative path', input: minimalInput({}, { path: 'api' }), field: 'apps[0].path', says: /"api" is not allowed; use an absolute URL path/ },
  { name: 'latest tag', input: minimalInput({}, { image: 'ghcr.io/acme/hello:latest' }), field: 'apps[0].image.tag', says: /"latest" is not allowed; pin the image/ },
  { name: 'untagged image', input: minimalInput({}, { image: 'ghcr.io/acme/hello' }), field: 'apps[0].image.tag', says: /pin the image/ },
  { name: 'bad digest', input: minimalInput({}, { image: { repository: 'ghcr.io/acme/hello', digest: 'sha256:abc' } }), field: 'apps[0].image.digest', says: /"sha256:abc" is not allowed; use a digest/ },
  { name: 'bad cpu', input: minimalInput({}, { resources: { requests: { cpu: '100 m' } } }), field: 'apps[0].resources.requests.cpu', says: /"100 m" is not allowed; use a CPU quantity/ },
  { name: 'request above limit', input: minimalInput({}, { resources: { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } } }), field: 'apps[0].resources.requests.memory', says: /larger than limits.memory/ },
  { name: 'min replicas 1', input: minimalInput({}, { scaling: { minReplicas: 1 } }), field: 'apps[0].scaling.minReplicas', says: /1 is not allowed; use a whole number from 2/ },
  { name: 'max not above min', input: minimalInput({}, { scaling: { minReplicas: 4, maxReplicas: 4 } }), field: 'apps[0].scaling.maxReplicas', says: /larger than minReplicas \(4\)/ },
  { name: 'SLO threshold not a bucket', input: minimalInput({}, { slo: { latency: { threshold: '320ms' } } }), field: 'apps[0].slo.latency.threshold', says: /"320ms" is not allowed; use one of the prober's histogram buckets: .*300ms/ },
  { name: 'SLO objective too high', input: minimalInput({}, { slo: { latency: { objective: 100 } } }), field: 'apps[0].slo.latency.objective', says: /100 is not allowed; use a percentage/ },
  { name: 'bare number duration', input: minimalInput({}, { drainDelay: 5 }), field: 'apps[0].drainDelay', says: /5 is not a duration/ },
  { name: 'shutdown before drain', input: minimalInput({}, { drainDelay: '10s', shutdownTimeout: '5s' }), field: 'apps[0].shutdownTimeout', says: /longer than drainDelay/ },
  { name: 'routing kind', input: minimalInput({ routing: { kind: 'istio' } }), field: 'routing.kind', says: /"istio" is not allowed; use ingress or gateway/ },
  { name: 'shared prober without url', input: minimalInput({ monitoring: { prober: { mode: 'shared' } } }), field: 'monitoring.prober.url', says: /is required when monitoring.prober.mode is "shared"/ },
  { name: 'prober url with scheme', input: minimalInput({ monitoring: { prober: { mode: 'shared', url: 'http://bb:9115' } } }), field: 'monitoring.prober.url', says: /"host:port" without a scheme/ },
  { name: 'scrape timeout above interval', input: minimalInput({ monitoring: { interval: '10s', scrapeTimeout: '20s' } }), field: 'monitoring.scrapeTimeout', says: /"20s" is not allowed; it must not exceed monitoring.interval \(10s\)/ },
  { name: 'SLO period too short for the interval', input: minimalInput({ monitoring: { interval: '10s', alerts: { sloPeriod: '24h' } } }), field: 'monitoring.alerts.sloPeriod', says: /"24h" is not allowed; its shortest burn-rate window \(period \/ 8640 = 10s\) must span at least two scrapes \(2 x monitoring.interval = 20s\)/ },
  { name: 'alert for not whole seconds', input: minimalInput({ monitoring: { alerts: { probeMissingFor: '1500ms' } } }), field: 'monitoring.alerts.probeMissingFor', says: /"1500ms" is not allowed; use whole seconds/ },
  { name: 'interval below the default scrape timeout', input: minimalInput({ monitoring: { interval: '5s' } }), field: 'monitoring.scrapeTimeout', says: /^monitoring.scrapeTimeout: "10s" is not allowed; it must not exceed monitoring.interval \(5s\)/ },
  { name: 'bad label key', input: minimalInput({ monitoring: { labels: { 'bad key': 'x' } } }), field: 'monitoring.labels.bad key', says: /label\/annotation key/ },
  { name: 'bad egress CIDR', input: minimalInput({ monitoring: { prober: { egressCidrs: ['10.0.0.0'] } } }), field: 'monitoring.prober.egressCidrs[0]', says: /"10.0.0.0" is not allowed; use an IPv4 or IPv6 CIDR/ },
  { name: 'prober in an app namespace', input: minimalInput({ monitoring: { prober: { namespace: 'hello-web' } } }), field: 'monitoring.prober.namespace', says: /is an app namespace/ },
];


test('images: by tag, by digest, both (the digest wins)', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  assert.equal(imageString(parseImage('ghcr.io/acme/hello:1.0', 'x')), 'ghcr.io/acme/hello:1.0');
  assert.equal(imageString(parseImage(`ghcr.io/acme/hello@${digest}`, 'x')), `ghcr.io/acme/hello@${digest}`);
  assert.equal(imageString(parseImage(`ghcr.io/acme/hello:1.0@${digest}`, 'x')), `ghcr.io/acme/hello@${digest}`);
  assert.equal(imageString(parseImage({ repository: 'localhost:5000/hello', tag: '2' }, 'x')), 'localhost:5000/hello:2');
  assert.deepEqual(parseImage('localhost:5000/hello:2', 'x'), { repository: 'localhost:5000/hello', tag: '2' });
});

test('defaults apply to every app and apps override them field by field', () => {
  const c = parseFleetConfig({
    defaults: { scaling: { minReplicas: 3, maxReplicas: 9 }, image: 'ghcr.io/acme/hello:2.0' },
    apps: [{ name: 'a', host: 'a.example.com' }, { name: 'b', host: 'b.example.com', scaling: { maxReplicas: 20 } }],
  });
  assert.deepEqual([c.apps[0]!.scaling.minReplicas, c.apps[0]!.scaling.maxReplicas], [3, 9]);
  assert.deepEqual([c.apps[1]!.scaling.minReplicas, c.apps[1]!.scaling.maxReplicas], [3, 20]);
  assert.equal(c.apps[1]!.image.tag, '2.0');
});

test('resources fromBench read the bench results file through bench/ (relative to the config file)', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'fleet.yaml');
  writeFileSync(file, `apps:\n  - name: a\n    host: a.example.com\n    resources:\n      fromBench: ${repoPath('test/fixtures/bench/results-v1.json')}\n`);
  const app = loadFleetConfig(file).apps[0]!;
  assert.equal(app.resources.source, 'bench');
  assert.equal(app.resources.requests.cpuMillis, 1000);
  assert.equal(app.resources.requests.memoryBytes, 128 * 2 ** 20);
  assert.equal(app.resources.limits.cpuMillis, null, 'the sample recommends no CPU limit');
  assert.equal(app.scaling.minReplicas, 2);
  assert.equal(app.scaling.maxReplicas, 4);
  assert.equal(app.scaling.targetCpuUtilization, 65);
  assert.equal(app.scaling.behavior.scaleDown.selectPolicy, 'Min');
  // A broken bench file is a ConfigError naming the app field.
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"schemaVersion": 99}');
  writeFileSync(file, `apps:\n  - name: a\n    host: a.example.com\n    resources:\n      fromBench: broken.json\n`);
  assert.throws(() => loadFleetConfig(file), (e: unknown) => e instanceof ConfigError && e.field === 'apps[0].resources.fromBench' && /schemaVersion/.test(e.message));
});

test('a missing or malformed config file is a ConfigError naming it', (t) => {
  const dir = tempDir(t);
  assert.throws(() => loadFleetConfig(join(dir, 'nope.yaml')), /--config: ".*nope.yaml" cannot be read/);
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'apps: [\n');
  assert.throws(() => loadFleetConfig(file), /is not valid YAML/);
  writeFileSync(file, 'apps: []\napps: []\n');
  assert.throws(() => loadFleetConfig(file), /is not valid YAML/);
});

test('partial resources take the rest from the right defaults (app or prober)', () => {
  const c = parseFleetConfig(minimalInput({ monitoring: { prober: { resources: { requests: { cpu: '20m' } } } } }, { resources: { limits: { memory: '256Mi' } } }));
  assert.equal(c.monitoring.prober.resources.requests.cpuMillis, 20);
  assert.equal(c.monitoring.prober.resources.requests.memoryBytes, 128 * 2 ** 20, 'prober default, not the app default');
  assert.equal(c.apps[0]!.resources.limits.memoryBytes, 256 * 2 ** 20);
  assert.equal(c.apps[0]!.resources.requests.cpuMillis, DEFAULT_RESOURCES.requests.cpuMillis);
});

// Issue 12 item 9: values the API server would refuse, or whose meaning would change on the way.
const hardened: { name: string; input: Record<string, unknown>; field: string; says: RegExp }[] = [
  { name: 'an IP address as host', input: minimalInput({}, { host: '10.0.0.1' }), field: 'apps[0].host', says: /"10.0.0.1" is not allowed; use a lowercase DNS name .*no IP address/ },
  { name: 'a host label over 63 characters', input: minimalInput({}, { host: `${'a'.repeat(64)}.example.com` }), field: 'apps[0].host', says: /is not allowed; use a lowercase DNS name/ },
  { name: 'a path with ..', input: minimalInput({}, { path: '/api/../admin' }), field: 'apps[0].path', says: /"\/api\/..\/admin" is not allowed; use a path without "." or ".." segments/ },
  { name: 'a CIDR out of range', input: minimalInput({ monitoring: { prober: { egressCidrs: ['999.0.0.0/99'] } } }), field: 'monitoring.prober.egressCidrs[0]', says: /"999.0.0.0\/99" is not allowed; use an IPv4 or IPv6 CIDR/ },
  { name: 'a label value over 63 characters', input: minimalInput({ monitoring: { labels: { release: 'x'.repeat(64) } } }), field: 'monitoring.labels.release', says: /is not allowed; use a label value: at most 63/ },
  { name: 'an absurd CPU quantity', input: minimalInput({}, { resources: { limits: { cpu: '99999999999999999999' } } }), field: 'apps[0].resources.limits.cpu', says: /"99999999999999999999" is not allowed; use a CPU quantity .*at most 256 cores/ },
  { name: 'an absurd memory quantity', input: minimalInput({}, { resources: { limits: { memory: '99999999999Ti' } } }), field: 'apps[0].resources.limits.memory', says: /is not allowed; use a quantity .*at most 4Ti/ },
  { name: 'a drain delay past what a timer holds', input: minimalInput({}, { drainDelay: '1000h', shutdownTimeout: '1001h' }), field: 'apps[0].drainDelay', says: /"1000h" is too long; use at most 596h/ },
  { name: 'a probe interval past what a timer holds', input: minimalInput({ monitoring: { interval: '1000h' } }), field: 'monitoring.interval', says: /"1000h" is too long/ },
  { name: 'an HSTS max-age over two years', input: minimalInput({ routing: { hstsMaxAge: '20000h' } }), field: 'routing.hstsMaxAge', says: /"20000h" is too long/ },
  { name: 'a preStop over an hour', input: minimalInput({}, { preStop: '2h' }), field: 'apps[0].preStop', says: /"2h" is too long; use at most 1h/ },
  { name: 'a prober URL with port 99999', input: minimalInput({ monitoring: { prober: { mode: 'shared', url: 'bb:99999' } } }), field: 'monitoring.prober.url', says: /use a port from 1 to 65535/ },
  // Issue 12 item 5: namespaces a fleet must never own.
  { name: 'the shared layout in kube-system', input: minimalInput({ namespaces: { layout: 'shared', shared: 'kube-system' } }), field: 'namespaces.shared', says: /"kube-system" is not allowed; it is a system namespace/ },
  { name: 'an empty prefix and an app named kube-system', input: minimalInput({ namespaces: { prefix: '' } }, { name: 'kube-system' }), field: 'apps[0].name', says: /gives namespace "kube-system", which is not allowed; it is a system namespace/ },
  { name: 'an app in default', input: minimalInput({ namespaces: { prefix: '' } }, { name: 'default' }), field: 'apps[0].name', says: /it is a system namespace/ },
  { name: 'the prober in kube-public', input: minimalInput({ monitoring: { prober: { namespace: 'kube-public' } } }), field: 'monitoring.prober.namespace', says: /it is a system namespace/ },
  { name: 'the prober in the Prometheus namespace', input: minimalInput({ monitoring: { prober: { namespace: 'monitoring' } } }), field: 'monitoring.prober.namespace', says: /gives namespace "monitoring", which is not allowed; it is monitoring.prometheusNamespace, .*namespaces.adopt/ },
  { name: 'an app in the ingress controller namespace', input: minimalInput({ namespaces: { prefix: 'ingress-' } }, { name: 'nginx' }), field: 'apps[0].name', says: /it is routing.ingress.controllerNamespace/ },
  { name: 'adopting a system namespace', input: minimalInput({ namespaces: { adopt: ['kube-system'] } }), field: 'namespaces.adopt[0]', says: /it is a system namespace/ },
  // Issue 13: a typo gets the nearest key.
  { name: 'a typo in an app key', input: minimalInput({}, { scalling: {} }), field: 'apps[0].scalling', says: /unknown key \(did you mean scaling\?\)/ },
  { name: 'a typo in a nested key', input: minimalInput({}, { scaling: { minReplica: 3 } }), field: 'apps[0].scaling.minReplica', says: /did you mean minReplicas\?/ },
];

for (const c of [...bad, ...hardened]) {
  test(`rejects: ${c.name}`, () => {
    assert.throws(() => parseFleetConfig(c.input), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.equal(error.field, c.field);
      assert.match(error.message, c.says);
      assert.equal(error.code, 'HELLO_ERR_CONFIG');
      return true;
    });
  });
}

test('an adopted namespace is used without being owned: no Namespace, LimitRange or quota is synthesized for it', () => {
  const config = parseFleetConfig(minimalInput({ namespaces: { adopt: ['monitoring'] }, monitoring: { prober: { namespace: 'monitoring' } } }));
  assert.deepEqual(config.namespaces.adopt, ['monitoring']);
  const objects = synthesizeFleet(config).files.flatMap((f) => f.objects);
  assert.ok(objects.some((o) => o.kind === 'Deployment' && o.metadata.namespace === 'monitoring'), 'the prober is deployed into it');
  assert.deepEqual(objects.filter((o) => o.metadata.name === 'monitoring' || (o.metadata.namespace === 'monitoring' && ['LimitRange', 'ResourceQuota'].includes(o.kind))), []);
  const owned = objects.filter((o) => o.kind === 'Namespace');
  assert.deepEqual(owned.map((o) => [o.metadata.name, o.metadata.annotations?.[NAMESPACE_OWNER_ANNOTATION]]), [['hello-web', 'test']], 'a created namespace names its owner fleet');
});

test('every shipped pattern is RE2-compatible (no lookaround, no backreference): the JSON Schema can serve Helm', () => {
  const patterns: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'pattern' && typeof value === 'string') patterns.push(value);
        else walk(value);
      }
    }
  };
  walk(fleetConfigSchema.jsonSchema());
  assert.ok(patterns.length >= 15, `patterns found: ${patterns.length}`);
  for (const pattern of patterns) assert.doesNotMatch(pattern, /\(\?[=!<]|\\[1-9]/, pattern);
});

test('fleetConfigSchema.jsonSchema() accepts both examples and refuses what the loader refuses (the base of values.schema.json)', () => {
  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(fleetConfigSchema.jsonSchema());
  for (const name of ['one-app', 'fleet-20']) {
    assert.equal(validate(parseYaml(readFileSync(repoPath('examples', `${name}.yaml`), 'utf8'))), true, `${name}: ${JSON.stringify(validate.errors)}`);
  }
  assert.equal(validate({ apps: [{ name: 'a', host: '10.0.0.1' }] }), false);
  assert.equal(validate({ apps: [{ name: 'a', host: 'a.example.com', scalling: {} }] }), false);
  assert.equal(validate({ apps: [] }), false);
});

test('fromBench: a results file whose run failed its own checks is refused, or used with allowInvalidRun and a warning', (t) => {
  const dir = tempDir(t);
  const results = JSON.parse(readFileSync(repoPath('test/fixtures/bench/results-v1.json'), 'utf8')) as { validity: { valid: boolean; problems: string[] } };
  results.validity = { valid: false, problems: ['the generator lagged'] };
  writeFileSync(join(dir, 'failed.json'), JSON.stringify(results));
  const app = (extra: Record<string, unknown>) => ({ apps: [{ name: 'a', host: 'a.example.com', resources: { fromBench: 'failed.json', ...extra } }] });
  assert.throws(() => parseFleetConfig(app({}), { baseDir: dir }), (e: unknown) =>
    e instanceof ConfigError && e.field === 'apps[0].resources.fromBench' && /failed its own checks \(the generator lagged\).*allowInvalidRun: true/.test(e.message));
  const config = parseFleetConfig(app({ allowInvalidRun: true }), { baseDir: dir });
  assert.equal(config.apps[0]!.resources.source, 'bench');
  assert.deepEqual(config.warnings, ['apps[0].resources.fromBench: "failed.json" comes from a bench run that failed its own checks (the generator lagged); used because allowInvalidRun is true']);
});

test('fromBench: every adjustment of the recommendation is reported (maxReplicas raised so the HPA can scale)', (t) => {
  const dir = tempDir(t);
  const results = JSON.parse(readFileSync(repoPath('test/fixtures/bench/results-v1.json'), 'utf8')) as { recommendation: { hpa: { minReplicas: number; maxReplicas: number } } };
  results.recommendation.hpa.minReplicas = 1;
  results.recommendation.hpa.maxReplicas = 2;
  writeFileSync(join(dir, 'small.json'), JSON.stringify(results));
  const config = parseFleetConfig({ apps: [{ name: 'a', host: 'a.example.com', resources: { fromBench: 'small.json' } }] }, { baseDir: dir });
  assert.deepEqual([config.apps[0]!.scaling.minReplicas, config.apps[0]!.scaling.maxReplicas], [2, 3]);
  assert.deepEqual(config.warnings, [
    'apps[0].resources.fromBench: the bench recommends minReplicas 1; raised to 2 (a PDB and a rollout need at least 2 pods)',
    'apps[0].resources.fromBench: the bench recommends maxReplicas 2; raised to 3 (the HPA must be able to scale above minReplicas 2)',
  ]);
  // Written in the config, the user's values win and nothing is reported.
  const written = parseFleetConfig({ apps: [{ name: 'a', host: 'a.example.com', resources: { fromBench: 'small.json' }, scaling: { minReplicas: 2, maxReplicas: 5 } }] }, { baseDir: dir });
  assert.deepEqual(written.warnings, []);
});
