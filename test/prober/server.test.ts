import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../../common/index.js';
import { buildConfig, parseListenAddress, probeTimeoutSeconds, startProberServer, type ProberServer } from '../../prober/index.js';
import { closedPort, get, parseExposition, startHttpTarget, valueOf } from './support.js';

const MODULES = {
  http_2xx: { prober: 'http' },
  short: { prober: 'http', timeout: '1s' },
  hang: { prober: 'http', timeout: '3s' },
  tcp_connect: { prober: 'tcp' },
};

async function start(t: TestContext, raw: Record<string, unknown> = { modules: MODULES }, configFile?: string): Promise<ProberServer> {
  const server = await startProberServer({ config: buildConfig(raw), configFile, listenAddress: '127.0.0.1:0', logger: silentLogger });
  t.after(() => server.close());
  return server;
}

test('probeTimeoutSeconds: scrape header minus offset, capped by the module timeout', () => {
  const config = buildConfig({ modules: MODULES });
  const table: [string, string | undefined, number][] = [
    ['http_2xx', undefined, 119.5],
    ['http_2xx', '10', 9.5],
    ['http_2xx', '0.5', 0],
    ['http_2xx', '0.2', 0],
    ['short', undefined, 1],
    ['short', '10', 1],
    ['short', '1.2', 0.7],
  ];
  for (const [module, header, want] of table) {
    assert.ok(Math.abs(probeTimeoutSeconds(config.modules[module]!, header) - want) < 1e-9, `${module} ${header}`);
  }
  assert.throws(() => probeTimeoutSeconds(config.modules.http_2xx!, 'abc'), (e: unknown) => (e as { status?: number }).status === 500);
});

test('parseListenAddress: host:port, [v6]:port, :port; refuses the rest', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:9115'), { host: '127.0.0.1', port: 9115 });
  assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseListenAddress(':9115'), { host: undefined, port: 9115 });
  for (const bad of ['9115', 'localhost', '127.0.0.1:99999', '::1:9115', '']) {
    assert.throws(() => parseListenAddress(bad), /--web.listen-address/, bad);
  }
});

test('/probe: the exporter answers for missing target, unknown module, bad header; failures are 200', async (t) => {
  const prober = await start(t);
  const base = await startHttpTarget(t);
  const missing = await get(`${prober.url}/probe?module=http_2xx`);
  assert.equal(missing.status, 400);
  assert.equal(missing.text, 'Target parameter is missing\n');
  assert.equal((await get(`${prober.url}/probe?module=http_2xx&target=`)).status, 400);
  const unknown = await get(`${prober.url}/probe?module=nope&target=${base}/`);
  assert.equal(unknown.status, 400);
  assert.equal(unknown.text, 'Unknown module "nope"\n');
  const badHeader = await get(`${prober.url}/probe?target=${base}/`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': 'abc' } });
  assert.equal(badHeader.status, 500);
  assert.match(badHeader.text, /Failed to parse timeout from Prometheus header/);

  const ok = await get(`${prober.url}/probe?target=${encodeURIComponent(`${base}/`)}`);
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const m = parseExposition(ok.text);
  assert.equal(valueOf(m, 'probe_success'), 1, 'module defaults to http_2xx');
  const names = [...m.keys()];
  assert.deepEqual(names, [...names].sort(), 'families sorted by name, as the exporter');

  const dead = await get(`${prober.url}/probe?target=http://127.0.0.1:${await closedPort()}/`);
  assert.equal(dead.status, 200);
  assert.equal(valueOf(parseExposition(dead.text), 'probe_success'), 0);

  const zero = await get(`${prober.url}/probe?target=${base}/`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '0.5' } });
  assert.equal(valueOf(parseExposition(zero.text), 'probe_success'), 0, 'a deadline of 0 fails at once');

  const metrics = parseExposition((await get(`${prober.url}/metrics`)).text);
  assert.equal(valueOf(metrics, 'blackbox_module_unknown_total'), 1);
  assert.equal(valueOf(metrics, 'prober_probes_total', { module: 'http_2xx' }), 3);
  assert.equal(valueOf(metrics, 'prober_probe_failures_total', { module: 'http_2xx' }), 2);
  assert.equal(valueOf(metrics, 'blackbox_exporter_config_last_reload_successful'), 1);
  assert.ok(metrics.has('process_resident_memory_bytes'));
});

test('/probe: debug=true, gzip, module timeout from the header', async (t) => {
  const prober = await start(t);
  const base = await startHttpTarget(t);
  const debug = await get(`${prober.url}/probe?module=short&target=${base}/&debug=true`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '10' } });
  assert.equal(debug.status, 200);
  assert.match(debug.text, /^Logs for the probe:\n/);
  assert.match(debug.text, /msg="Beginning probe" .*timeout_seconds=1\b/);
  assert.match(debug.text, /Metrics that would have been returned:\n# HELP probe_dns_lookup_time_seconds/);
  assert.match(debug.text, /Module configuration:\nprober: http\ntimeout: 1s\n/);
  const res = await fetch(`${prober.url}/probe?target=${base}/`, { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(res.headers.get('content-encoding'), 'gzip');
  assert.match(await res.text(), /probe_success 1/);
});

test('/probe: past limits.max_concurrent_probes the answer is 503 with Retry-After', async (t) => {
  const prober = await start(t, { modules: MODULES, limits: { max_concurrent_probes: 1, retry_after_seconds: 2 } });
  const base = await startHttpTarget(t);
  // The first probe holds the only slot until its 3 s deadline (the target never answers).
  const first = get(`${prober.url}/probe?module=hang&target=${base}/never`);
  let second;
  for (let i = 0; i < 50; i++) {
    second = await get(`${prober.url}/probe?target=${base}/`);
    if (second.status === 503) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(second?.status, 503);
  assert.equal(second?.headers.get('retry-after'), '2');
  assert.equal(valueOf(parseExposition((await first).text), 'probe_success'), 0);
  const metrics = parseExposition((await get(`${prober.url}/metrics`)).text);
  assert.ok((valueOf(metrics, 'prober_probes_rejected_total') ?? 0) >= 1);
  assert.equal(valueOf(metrics, 'prober_probes_in_flight'), 0);
  assert.equal((await get(`${prober.url}/probe?target=${base}/`)).status, 200, 'the slot is free again');
});

test('bad input gets a clear answer and the prober lives on', async (t) => {
  const prober = await start(t);
  const cases: [string, number, RegExp | undefined][] = [
    ['/probe?target=%zz&module=%', 400, /Unknown module "%"/],
    ['/probe?target=%zz', 200, undefined],
    [`/probe?target=http://127.0.0.1/${'a'.repeat(5000)}`, 400, /longer than 2048/],
    ['/probe?target=http://127.0.0.1/%0d%0aX-Injected:%20yes', 400, /control characters/],
    ['/probe?target=gopher://127.0.0.1:70/', 200, undefined],
    ['/probe?target=file:///etc/passwd', 200, undefined],
    ['/probe?target=http://[::1/', 200, undefined],
    ['/probe?target=a&target=b&module=http_2xx&module=tcp_connect', 200, undefined],
    ['/nope', 404, undefined],
  ];
  for (const [path, status, body] of cases) {
    const r = await get(`${prober.url}${path}`);
    assert.equal(r.status, status, path);
    if (body) assert.match(r.text, body, path);
    if (status === 200) assert.equal(valueOf(parseExposition(r.text), 'probe_success'), 0, path);
  }
  assert.equal((await get(`${prober.url}/probe`, { method: 'POST' })).status, 405);
  // A raw request line that is not HTTP gets a 400, not a hang.
  const raw = await new Promise<string>((resolve) => {
    const url = new URL(prober.url);
    const socket = connect(Number(url.port), url.hostname, () => socket.write('GET /probe?target=a b c\r\n\r\n'));
    let data = '';
    socket.on('data', (c) => (data += c.toString()));
    socket.on('close', () => resolve(data));
    socket.on('error', () => resolve(data));
  });
  assert.match(raw, /^HTTP\/1\.1 400/);
  const huge = await fetch(`${prober.url}/probe?target=x`, { headers: { 'X-Big': 'a'.repeat(20_000) } }).then((r) => r.status);
  assert.equal(huge, 431);
  assert.equal((await get(`${prober.url}/-/healthy`)).status, 200);
  assert.equal((await get(`${prober.url}/-/ready`)).text, 'Ready\n');
});

test('reload: POST /-/reload applies a good config; a bad one is refused and the old one stays', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'prober-reload-'));
  const file = join(dir, 'prober.yml');
  writeFileSync(file, 'modules:\n  http_2xx:\n    prober: http\n');
  const prober = await start(t, { modules: { http_2xx: { prober: 'http' } } }, file);
  const base = await startHttpTarget(t);
  assert.equal((await get(`${prober.url}/probe?module=tcp_connect&target=${base.slice(7)}`)).status, 400);

  writeFileSync(file, 'modules:\n  http_2xx:\n    prober: http\n  tcp_connect:\n    prober: tcp\n');
  const good = await get(`${prober.url}/-/reload`, { method: 'POST' });
  assert.equal(good.status, 200);
  assert.equal(valueOf(parseExposition((await get(`${prober.url}/probe?module=tcp_connect&target=${base.slice(7)}`)).text), 'probe_success'), 1);

  writeFileSync(file, 'modules:\n  tcp_connect:\n    prober: tcp\n    tcp:\n      tls: maybe\n');
  const bad = await get(`${prober.url}/-/reload`, { method: 'POST' });
  assert.equal(bad.status, 500);
  assert.equal(bad.text, 'failed to reload config: modules.tcp_connect.tcp.tls: "maybe" is not allowed; use true or false\n');
  assert.equal((await get(`${prober.url}/probe?module=tcp_connect&target=${base.slice(7)}`)).status, 200, 'old config still in force');
  assert.equal(valueOf(parseExposition((await get(`${prober.url}/metrics`)).text), 'blackbox_exporter_config_last_reload_successful'), 0);
  assert.equal((await get(`${prober.url}/-/reload`)).status, 405);
});

test('scheduled mode: per-target success, histogram and counters on /metrics', async (t) => {
  const base = await startHttpTarget(t);
  const dead = `http://127.0.0.1:${await closedPort()}/`;
  const prober = await start(t, {
    modules: MODULES,
    targets: [
      { target: `${base}/`, module: 'http_2xx', interval: '1s', labels: { app: 'hello', tier: 'web' } },
      { target: dead, module: 'http_2xx', interval: '1s', labels: { app: 'gone' } },
    ],
  });
  await prober.firstRound();
  const m = parseExposition((await get(`${prober.url}/metrics`)).text);
  assert.equal(m.get('probe_success')?.type, 'gauge');
  assert.equal(m.get('probe_duration_seconds')?.type, 'histogram');
  assert.equal(m.get('probe_runs_total')?.type, 'counter');
  assert.equal(valueOf(m, 'probe_success', { target: `${base}/`, module: 'http_2xx', app: 'hello', tier: 'web' }), 1);
  assert.equal(valueOf(m, 'probe_success', { target: dead, app: 'gone', tier: '' }), 0);
  assert.ok((valueOf(m, 'probe_runs_total', { target: dead }) ?? 0) >= 1);
  assert.ok((valueOf(m, 'probe_failures_total', { target: dead }) ?? 0) >= 1);
  assert.equal(valueOf(m, 'probe_failures_total', { target: `${base}/` }), 0);
  const buckets = m.get('probe_duration_seconds')!.samples.filter((s) => s.name === 'probe_duration_seconds_bucket' && s.labels.target === `${base}/`);
  assert.ok(buckets.some((b) => b.labels.le === '0.25') && buckets.some((b) => b.labels.le === '+Inf'));
});
