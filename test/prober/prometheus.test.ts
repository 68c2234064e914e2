/**
 * A real Prometheus (Debian `prometheus`) scrapes the prober twice: the blackbox exporter's
 * multi-target pattern on /probe (relabeling `__address__` -> `__param_target` -> `instance`),
 * and the scheduled mode's /metrics. Its HTTP API must show probe_success 1 for the live target
 * and 0 for the dead one in both jobs. `promtool check metrics` must accept /metrics and /probe.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { spawnServer } from '../support/child.js';
import { requireTool } from '../support/tools.js';
import { closedPort, startHttpsTarget, startHttpTarget } from './support.js';

const MAIN = fileURLToPath(new URL('../../prober/main.js', import.meta.url));

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(prometheus: string, promql: string): Promise<VectorSample[]> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data: { result: VectorSample[] } };
  assert.equal(body.status, 'success');
  return body.data.result;
}

test('Prometheus scrapes /probe (multi-target relabeling) and the scheduled /metrics', async (t) => {
  const binary = requireTool(t, 'prometheus', 'apt-get install prometheus');
  if (!binary) return;
  const live = `${await startHttpTarget(t)}/`;
  const dead = `http://127.0.0.1:${await closedPort()}/`;
  const dir = mkdtempSync(join(tmpdir(), 'prober-prometheus-'));
  const proberConfig = join(dir, 'prober.yml');
  writeFileSync(
    proberConfig,
    `modules:\n  http_2xx:\n    prober: http\n    timeout: 2s\ntargets:\n  - target: ${live}\n    interval: 1s\n    labels: {app: live}\n  - target: ${dead}\n    interval: 1s\n    labels: {app: dead}\n`,
  );
  const prober = await spawnServer(t, MAIN, {}, ['--config.file', proberConfig, '--web.listen-address', '127.0.0.1:0']);
  const proberAddress = new URL(prober.url).host;

  const promPort = await closedPort();
  const promConfig = join(dir, 'prometheus.yml');
  writeFileSync(
    promConfig,
    `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: blackbox
    metrics_path: /probe
    params:
      module: [http_2xx]
    static_configs:
      - targets: ['${live}', '${dead}']
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: '${proberAddress}'
  - job_name: prober-scheduled
    static_configs:
      - targets: ['${proberAddress}']
`,
  );
  const prom = spawn(
    binary,
    [`--config.file=${promConfig}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let promLog = '';
  prom.stderr.on('data', (c: Buffer) => (promLog += c.toString()));
  t.after(() => {
    prom.kill('SIGKILL');
  });
  const prometheus = `http://127.0.0.1:${promPort}`;

  // Poll the API (not a timed assertion: we wait until the answer is there, up to a bound).
  let probeSeries: VectorSample[] = [];
  let scheduledSeries: VectorSample[] = [];
  for (let i = 0; i < 120; i++) {
    await new Promise((r) => setTimeout(r, 250));
    try {
      probeSeries = await query(prometheus, 'probe_success{job="blackbox"}');
      scheduledSeries = await query(prometheus, 'probe_success{job="prober-scheduled"}');
    } catch {
      continue;
    }
    if (probeSeries.length === 2 && scheduledSeries.length === 2) break;
  }
  assert.equal(probeSeries.length, 2, `blackbox job series: ${JSON.stringify(probeSeries)}\n${promLog}`);
  const byInstance = Object.fromEntries(probeSeries.map((s) => [s.metric.instance, s.value[1]]));
  assert.deepEqual(byInstance, { [live]: '1', [dead]: '0' });
  const up = await query(prometheus, 'up{job="blackbox"}');
  assert.deepEqual(up.map((s) => s.value[1]), ['1', '1'], 'a failed probe is still a successful scrape');

  assert.equal(scheduledSeries.length, 2, JSON.stringify(scheduledSeries));
  const byTarget = Object.fromEntries(scheduledSeries.map((s) => [s.metric.app, s.value[1]]));
  assert.deepEqual(byTarget, { live: '1', dead: '0' });
  const failures = await query(prometheus, 'probe_failures_total{job="prober-scheduled",app="dead"}');
  assert.ok(Number(failures[0]?.value[1]) >= 1);
  const buckets = await query(prometheus, 'probe_duration_seconds_bucket{job="prober-scheduled",app="live",le="+Inf"}');
  assert.equal(buckets.length, 1);
});

test('promtool check metrics accepts /metrics (scheduled mode) and /probe output', async (t) => {
  const promtool = requireTool(t, 'promtool', 'apt-get install prometheus');
  if (!promtool) return;
  const live = `${await startHttpTarget(t)}/`;
  const tls = `${await startHttpsTarget(t)}/`;
  const dir = mkdtempSync(join(tmpdir(), 'prober-promtool-'));
  const file = join(dir, 'prober.yml');
  writeFileSync(
    file,
    `modules:\n  http_2xx:\n    prober: http\n  insecure:\n    prober: http\n    http:\n      tls_config: {insecure_skip_verify: true}\n  tcp_connect:\n    prober: tcp\ntargets:\n  - target: ${live}\n    interval: 1s\n    labels: {app: hello}\n`,
  );
  const prober = await spawnServer(t, MAIN, {}, ['--config.file', file, '--web.listen-address', '127.0.0.1:0']);
  const pages = [
    '/metrics',
    `/probe?module=http_2xx&target=${encodeURIComponent(live)}`,
    `/probe?module=insecure&target=${encodeURIComponent(tls)}`,
    `/probe?module=tcp_connect&target=${new URL(live).host}`,
    `/probe?module=http_2xx&target=http://127.0.0.1:${await closedPort()}/`,
  ];
  for (const page of pages) {
    const text = await (await fetch(`${prober.url}${page}`)).text();
    const result: SpawnSyncReturns<string> = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(result.status, 0, `${page}: ${result.stdout}${result.stderr}`);
    assert.equal(`${result.stdout}${result.stderr}`.trim(), '', `${page}: promtool reported problems`);
  }
});
