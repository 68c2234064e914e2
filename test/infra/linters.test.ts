import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { type FleetConfig, type FleetManifests, parseFleetConfig, renderYaml, synthesizeFleet, writeHelmChart, writeManifests } from '../../infra/index.js';
import { requireTool } from '../support/tools.js';
import { KUBE_LINTER_CONFIG, type Json, allObjects, exampleConfig, findings, kubeLinter, minimalInput, repoPath, synth, tempDir } from './support.js';

const run = promisify(execFile);
const HINT = 'built by test/tools/build-tools.sh into $HELLO_EDGE_CACHE/bin';

// The configs the linters see: both examples, and the variants the examples do not cover.
const cases: Record<string, () => FleetConfig> = {
  'examples/one-app.yaml': () => exampleConfig('one-app'),
  'examples/fleet-20.yaml': () => exampleConfig('fleet-20'),
  'gateway + created Gateway, shared namespace, in-cluster probing, bench resources (no CPU limit)': () => parseFleetConfig(minimalInput(
    { namespaces: { layout: 'shared' }, routing: { kind: 'gateway', gateway: { create: true } }, monitoring: { prober: { probeVia: 'service' } } },
    { resources: { fromBench: repoPath('test/fixtures/bench/results-v1.json') } },
  )),
};

// Chart renderings with values other than the defaults: the template branches the cases above do not render.
const valueOverrides: readonly (readonly string[])[] = [
  ['gatewayApi.enabled=true', 'gatewayApi.gatewayRef.name=edge', 'gatewayApi.gatewayRef.namespace=gw'],
  ['monitoring.prober.url=blackbox.monitoring.svc:9115'],
  ['monitoring.enabled=false'],
];

for (const [name, load] of Object.entries(cases)) {
  test(`kube-score: no critical and no warning: ${name}`, async (t) => {
    const kubeScore = requireTool(t, 'kube-score', HINT);
    if (!kubeScore) return;
    const dir = tempDir(t);
    const files = writeManifests(synthesizeFleet(load()), dir).map((f) => f.path);
    // Exit status 1 means a critical finding; the ci format lists every finding on its own line.
    const result = await run(kubeScore, ['score', '--output-format', 'ci', ...files]).catch((e: { code: number; stdout: string; stderr: string }) => e);
    const lines = result.stdout.split('\n').filter((l) => /^\[(CRITICAL|WARNING)\]/.test(l));
    assert.deepEqual(lines, [], `kube-score findings:\n${lines.join('\n')}`);
    assert.ok(!('code' in result) || result.code === 0, `kube-score exited ${'code' in result ? result.code : 0}: ${result.stderr}`);
    assert.match(result.stdout, /\[OK\] hello/, 'kube-score scored the hello objects');
  });

  test(`kube-linter (every built-in check but the exclusions of .kube-linter.yaml): no finding: ${name}`, async (t) => {
    const binary = requireTool(t, 'kube-linter', HINT);
    if (!binary) return;
    const dir = tempDir(t);
    writeManifests(synthesizeFleet(load()), dir);
    assert.deepEqual(findings(await kubeLinter(binary, dir)), []);
  });

  test(`kube-linter on the Helm chart as helm template renders it: no finding: ${name}`, async (t) => {
    const helm = requireTool(t, 'helm', HINT);
    const binary = requireTool(t, 'kube-linter', HINT);
    if (!helm || !binary) return;
    const dir = tempDir(t);
    writeHelmChart(load(), dir);
    const settings: readonly (readonly string[])[] = name === 'examples/one-app.yaml' ? [[], ...valueOverrides] : [[]];
    // A one-app chart puts its objects in the release namespace; a user names one (not `default`).
    for (const set of settings) {
      const { stdout }: { stdout: string } = await run(helm, ['template', 'fleet', dir, '--namespace', 'hello-release', ...set.flatMap((s) => ['--set', s])], { maxBuffer: 64 * 2 ** 20 });
      assert.match(stdout, /^kind: Deployment$/m, 'helm rendered the app Deployments');
      assert.deepEqual(findings(await kubeLinter(binary, '-', stdout)), [], `values: ${set.join(' ') || 'defaults'}`);
    }
  });
}

test('kube-linter runs every built-in check except the ones .kube-linter.yaml excludes, and excludes only real checks', async (t) => {
  const binary = requireTool(t, 'kube-linter', HINT);
  if (!binary) return;
  const dir = tempDir(t);
  writeManifests(synth(minimalInput()), dir);
  const output = await kubeLinter(binary, dir);
  const { stdout } = await run(binary, ['checks', 'list', '--format', 'json']);
  const builtIn = (JSON.parse(stdout) as { name: string }[]).map((c) => c.name);
  const excluded = (parse(readFileSync(KUBE_LINTER_CONFIG, 'utf8')) as { checks: { exclude: string[] } }).checks.exclude;
  assert.deepEqual(excluded.filter((c) => !builtIn.includes(c)), [], 'every exclusion names a built-in check');
  assert.deepEqual(output.Checks.map((c) => c.name).sort(), builtIn.filter((c) => !excluded.includes(c)).sort());
});

test('kube-score is not a no-op: without its exemption the bench app (no CPU limit) is critical', async (t) => {
  const kubeScore = requireTool(t, 'kube-score', HINT);
  if (!kubeScore) return;
  const m = synth(minimalInput({}, { resources: { fromBench: repoPath('test/fixtures/bench/results-v1.json') } }));
  const stripped: FleetManifests = {
    ...m,
    files: m.files.map((f) => ({
      ...f,
      objects: f.objects.map((o) => {
        if (o.kind !== 'Deployment' || !o.metadata.annotations?.['kube-score/ignore']) return o;
        const { 'kube-score/ignore': _ignored, ...annotations } = o.metadata.annotations;
        return { ...o, metadata: { ...o.metadata, annotations } };
      }),
    })),
  };
  const dir = tempDir(t);
  const files = writeManifests(stripped, dir).map((f) => f.path);
  const result = await run(kubeScore, ['score', '--output-format', 'ci', ...files]).catch((e: { code: number; stdout: string }) => e);
  assert.ok('code' in result && result.code === 1, 'kube-score exits 1 on a critical finding');
  assert.match(result.stdout, /\[CRITICAL\] web\/hello-web apps\/v1\/Deployment: \(hello\) CPU limit is not set/);
});

test('kube-linter is not a no-op: each hardening removed from the synthesized objects is reported under its check', async (t) => {
  const binary = requireTool(t, 'kube-linter', HINT);
  if (!binary) return;
  const objects = allObjects(synth(minimalInput())).map((o) => structuredClone(o) as Json);
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'web');
  const pod = deployment.spec.template.spec;
  const c = pod.containers[0];
  c.image = 'ghcr.io/acme/hello:latest';
  delete c.securityContext.readOnlyRootFilesystem;
  c.securityContext.allowPrivilegeEscalation = true;
  c.securityContext.capabilities.drop = [];
  delete c.resources.limits.memory;
  c.readinessProbe.httpGet.port = 'metrics';
  c.env.push({ name: 'PORT', value: '9' });
  c.ports.push({ name: 'low', containerPort: 80 });
  pod.hostNetwork = true;
  pod.serviceAccountName = 'missing';
  delete objects.find((o) => o.kind === 'PodDisruptionBudget').spec.unhealthyPodEvictionPolicy;
  objects.find((o) => o.kind === 'Ingress').spec.rules[0].http.paths[0].backend.service.name = 'nope';
  objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'web').spec.podSelector.matchLabels = { app: 'other' };
  const dir = tempDir(t);
  writeFileSync(join(dir, 'broken.yaml'), renderYaml(objects));
  const output = await kubeLinter(binary, dir);
  const reported = new Set((output.Reports ?? []).map((r) => r.Check));
  for (const check of ['latest-tag', 'no-read-only-root-fs', 'privilege-escalation-container', 'drop-net-raw-capability', 'unset-memory-requirements',
    'readiness-port', 'duplicate-env-var', 'privileged-ports', 'host-network', 'non-existent-service-account', 'pdb-unhealthy-pod-eviction-policy',
    'dangling-ingress', 'dangling-networkpolicy', 'non-isolated-pod']) {
    assert.ok(reported.has(check), `${check} not reported; got ${[...reported].join(', ')}`);
  }
});
