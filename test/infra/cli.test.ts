import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { synthesizeFleet, writeManifests } from '../../infra/index.js';
import { exampleConfig, repoPath, tempDir } from './support.js';

const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, [repoPath('dist', 'cli', 'main.js'), ...args], { cwd: repoPath() });

test('hello-cli synth writes shared.yaml + one file per app and reports them as JSON', async (t) => {
  const out = tempDir(t);
  const { stdout } = await cli('synth', '--config', 'examples/fleet-20.yaml', '--out', out, '--json');
  const result = JSON.parse(stdout) as { apps: number; files: { path: string; objects: number }[] };
  assert.equal(result.apps, 20);
  assert.equal(result.files.length, 21);
  assert.deepEqual(readdirSync(out).sort(), [...readdirSync(out).filter((f) => f.startsWith('app-')), 'shared.yaml'].sort());
  const docs = parseAllDocuments(readFileSync(join(out, 'app-shop.yaml'), 'utf8'));
  assert.equal(docs.length, result.files.find((f) => f.path.endsWith('app-shop.yaml'))!.objects);
});

test('hello-cli synth --format helm writes a chart with values.yaml and values.schema.json', async (t) => {
  const out = tempDir(t);
  await cli('synth', '--config', 'examples/one-app.yaml', '--out', out, '--format', 'helm');
  assert.deepEqual(readdirSync(out).sort(), ['Chart.yaml', 'README.md', 'templates', 'values.schema.json', 'values.yaml']);
  assert.match(readFileSync(join(out, 'values.yaml'), 'utf8'), /repository: ghcr.io\/hello-edge\/hello/);
});

test('hello-cli synth: a bad config exits 2 with one line naming the field', async () => {
  const error = await cli('synth', '--config', 'examples/does-not-exist.yaml').catch((e: { code: number; stderr: string }) => e);
  assert.ok('code' in error);
  assert.equal(error.code, 2);
  assert.match(error.stderr, /^hello-cli: --config: "examples\/does-not-exist.yaml" cannot be read/);
});

test('hello-cli synth: --format must be yaml or helm', async () => {
  const error = await cli('synth', '--format', 'kustomize').catch((e: { code: number; stderr: string }) => e);
  assert.ok('code' in error && error.code !== 0);
  assert.match(error.stderr, /--format "kustomize" is not allowed; use yaml or helm/);
});

test('hello-cli cost prints the envelope beside the original setup', async () => {
  const { stdout } = await cli('cost', '--config', 'examples/one-app.yaml');
  assert.match(stdout, /^hello\s+3-6\s+135m \/ 264Mi/m);
  assert.match(stdout, /original total\s+4-11\s+200m \/ 256Mi/);
  assert.match(stdout, /^Idle envelope at equal availability \(3 replicas per app/m);
  assert.match(stdout, /^ {2}ours \/ original: x\d/m);
  const json = JSON.parse((await cli('cost', '--config', 'examples/one-app.yaml', '--json')).stdout) as { total: { max: { replicas: number } }; perCore: { ours: { source: string } } };
  assert.equal(json.total.max.replicas, 6 + 2);
  const withBench = JSON.parse((await cli('cost', '--config', 'examples/one-app.yaml', '--bench', 'test/fixtures/bench/results-v1.json', '--json')).stdout) as typeof json;
  assert.match(withBench.perCore.ours.source, /results-v1\.json/);
});

test('hello-cli cost --bench: a file that is not a bench results file exits 2 with one line naming --bench', async () => {
  const error = await cli('cost', '--config', 'examples/one-app.yaml', '--bench', 'package.json').catch((e: { code: number; stderr: string }) => e);
  assert.ok('code' in error);
  assert.equal(error.code, 2);
  assert.match(error.stderr, /^hello-cli: --bench: "package\.json" is not a usable bench results file/);
  assert.equal(error.stderr.trim().split('\n').length, 1);
});

test('writeManifests: the output directory mirrors the config (files of removed apps are deleted, others kept)', (t) => {
  const out = tempDir(t);
  writeManifests(synthesizeFleet(exampleConfig('fleet-20')), out);
  writeFileSync(join(out, 'notes.txt'), 'mine');
  writeManifests(synthesizeFleet(exampleConfig('one-app')), out);
  assert.deepEqual(readdirSync(out).sort(), ['app-hello.yaml', 'notes.txt', 'shared.yaml']);
});

test('hello-cli deploy/destroy --help show durations as durations', async () => {
  const deploy = (await cli('deploy', '--help')).stdout;
  assert.match(deploy, /--timeout <duration>\s+rollout deadline, e\.g\. 90s or 5m \(default: 5m\)/);
  const destroy = (await cli('destroy', '--help')).stdout;
  assert.match(destroy, /\(default: 2m\)/);
  assert.doesNotMatch(`${deploy}${destroy}`, /300000|120000/);
});

test('hello-cli diff/deploy/destroy without any kubeconfig say so before kubectl falls back to localhost:8080', async (t) => {
  const home = tempDir(t);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'KUBECONFIG' && !k.startsWith('KUBERNETES_')));
  for (const command of ['diff', 'deploy', 'destroy']) {
    const error = await run(process.execPath, [repoPath('dist', 'cli', 'main.js'), command, '--config', 'examples/one-app.yaml'], { cwd: repoPath(), env: { ...env, HOME: home } })
      .catch((e: { code: number; stderr: string }) => e);
    assert.ok('code' in error, `${command} should fail`);
    assert.equal(error.code, 4, error.stderr);
    assert.match(error.stderr, /^hello-cli: no kubeconfig: no --kubeconfig, no \$KUBECONFIG and no .*\.kube\/config, so kubectl would fall back to http:\/\/localhost:8080 .*Pass --kubeconfig FILE/);
  }
  const missing = await run(process.execPath, [repoPath('dist', 'cli', 'main.js'), 'diff', '--config', 'examples/one-app.yaml'], { cwd: repoPath(), env: { ...env, HOME: home, KUBECONFIG: join(home, 'nope') } })
    .catch((e: { code: number; stderr: string }) => e);
  assert.ok('code' in missing && missing.code === 4);
  assert.match(missing.stderr, /\$KUBECONFIG \(.*nope\) names no existing file/);
});

test('hello-cli synth reports every adjustment it made to a bench recommendation as a warning', async (t) => {
  const dir = tempDir(t);
  const results = JSON.parse(readFileSync(repoPath('test/fixtures/bench/results-v1.json'), 'utf8')) as { recommendation: { hpa: { maxReplicas: number } } };
  results.recommendation.hpa.maxReplicas = 2;
  writeFileSync(join(dir, 'bench.json'), JSON.stringify(results));
  writeFileSync(join(dir, 'fleet.yaml'), 'apps:\n  - name: a\n    host: a.example.com\n    resources:\n      fromBench: bench.json\n');
  const { stdout, stderr } = await cli('synth', '--config', join(dir, 'fleet.yaml'), '--out', join(dir, 'out'), '--json');
  assert.equal(stderr, 'warning: apps[0].resources.fromBench: the bench recommends maxReplicas 2; raised to 3 (the HPA must be able to scale above minReplicas 2)\n');
  assert.deepEqual((JSON.parse(stdout) as { warnings: string[] }).warnings, [stderr.slice('warning: '.length, -1)]);
});
