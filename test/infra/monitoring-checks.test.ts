import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { monitoringChecks, parseFleetConfig } from '../../infra/index.js';
import { minimalInput, repoPath, tempDir } from './support.js';

const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, [repoPath('dist', 'cli', 'main.js'), ...args], { cwd: repoPath() });

test('monitoring checks of a local-prober fleet: prober up, both probe paths per app, rules, no alert firing', () => {
  const checks = monitoringChecks(parseFleetConfig(minimalInput()));
  assert.deepEqual(checks.map((c) => [c.expect, c.promql]), [
    ['all-one', 'up{job="hello-prober",namespace="hello-edge-system"}'],
    ['all-one', 'blackbox_exporter_config_last_reload_successful{job="hello-prober",namespace="hello-edge-system"}'],
    ['all-one', 'probe_success{job="hello-edge-probe",app="web"}'],
    ['present', 'probe_duration_seconds{job="hello-edge-probe",app="web"}'],
    ['present', 'probe_ssl_earliest_cert_expiry{job="hello-edge-probe",app="web"}'],
    ['all-one', 'probe_success{job="hello-prober",namespace="hello-edge-system",app="web"}'],
    ['present', 'probe_duration_seconds_count{job="hello-prober",namespace="hello-edge-system",app="web"}'],
    ['rule-groups', ''],
    ['none', 'ALERTS{alertstate="firing",alertname=~"Hello.*",namespace=~"hello-web|hello-edge-system"}'],
  ]);
  assert.deepEqual(checks.find((c) => c.expect === 'rule-groups')?.groups, ['hello-edge.web', 'hello-edge.prober']);
});

test('monitoring checks of a shared-exporter fleet probing Services: only what its Probes give (no certificate over HTTP); none when monitoring is off', () => {
  const shared = monitoringChecks(parseFleetConfig(minimalInput({ monitoring: { prober: { mode: 'shared', url: 'blackbox-exporter.monitoring.svc:9115', probeVia: 'service' } } })));
  assert.deepEqual(shared.map((c) => c.promql), [
    'probe_success{job="hello-edge-probe",app="web"}',
    'probe_duration_seconds{job="hello-edge-probe",app="web"}',
    '',
    'ALERTS{alertstate="firing",alertname=~"Hello.*",namespace=~"hello-web"}',
  ]);
  assert.deepEqual(monitoringChecks(parseFleetConfig(minimalInput({ monitoring: { enabled: false } }))), []);
});

test('hello-cli check-monitoring prints the PromQL (text and --json); a bad --prometheus is refused, an unreachable one exits 4', async (t) => {
  const file = join(tempDir(t), 'fleet.yaml');
  writeFileSync(file, stringify(minimalInput()));
  const { stdout } = await cli('check-monitoring', '-c', file);
  assert.match(stdout, /^# the prober is scraped and up \(ServiceMonitor\): at least one series, every value 1\nup\{job="hello-prober",namespace="hello-edge-system"\}\n/);
  const json = JSON.parse((await cli('check-monitoring', '-c', file, '--json')).stdout) as { promql: string; expectation: string }[];
  assert.equal(json.length, 9);
  assert.equal(json[8]?.expectation, 'no series');
  const bad = await cli('check-monitoring', '-c', file, '--prometheus', 'localhost:9090').catch((e: { code: number; stderr: string }) => e);
  assert.ok('code' in bad && bad.code !== 0, JSON.stringify(bad));
  assert.match(bad.stderr, /--prometheus "localhost:9090" is not allowed; use an http\(s\) URL/);
  const down = await cli('check-monitoring', '-c', file, '--prometheus', 'http://127.0.0.1:9').catch((e: { code: number; stderr: string }) => e);
  assert.ok('code' in down && down.code === 4, JSON.stringify(down));
  assert.match(down.stderr, /^hello-cli: cannot reach Prometheus at http:\/\/127.0.0.1:9: /);
});
