import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../common/index.js';
import { buildConfig, renderProbeMetrics, runModuleProbe } from '../../prober/index.js';
import { closedPort, parseExposition, startHttpsTarget, startTcpTarget, TLS_CERT, valueOf, type Family } from './support.js';

async function probe(target: string, tcp: Record<string, unknown> = {}, timeout = 5): Promise<{ success: boolean; m: Map<string, Family>; logs: readonly string[] }> {
  const config = buildConfig({ modules: { m: { prober: 'tcp', tcp } } });
  const outcome = await runModuleProbe(config.modules.m!, target, timeout, silentLogger);
  return { success: outcome.success, m: parseExposition(await renderProbeMetrics(outcome)), logs: outcome.logs };
}

test('tcp prober: open and closed ports', async (t) => {
  const target = await startTcpTarget(t);
  const open = await probe(target);
  assert.equal(open.success, true);
  assert.deepEqual([...open.m.keys()].sort(), ['probe_dns_lookup_time_seconds', 'probe_duration_seconds', 'probe_failed_due_to_regex', 'probe_ip_addr_hash', 'probe_ip_protocol', 'probe_success']);
  assert.equal(valueOf(open.m, 'probe_ip_addr_hash'), 3668918509, 'FNV-1a of 127.0.0.1, as the exporter');
  const closed = await probe(`127.0.0.1:${await closedPort()}`);
  assert.equal(closed.success, false);
  assert.equal(valueOf(closed.m, 'probe_success'), 0);
});

test('tcp prober: query_response expect/send, regexp failure, capture groups', async (t) => {
  const target = await startTcpTarget(t);
  const ok = await probe(target, { query_response: [{ expect: '^220 (\\S+) ready' }, { send: 'PING' }, { expect: '^PONG' }, { send: 'QUIT' }, { expect: '^221' }] });
  assert.equal(ok.success, true, ok.logs.join('\n'));
  assert.equal(valueOf(ok.m, 'probe_failed_due_to_regex'), 0);
  // QUIT makes the server close: the stream ends without a match (a read timeout would not count as a regexp failure, as in the exporter).
  const bad = await probe(target, { query_response: [{ expect: '^220' }, { send: 'QUIT' }, { expect: '^PONG' }] });
  assert.equal(bad.success, false);
  assert.equal(valueOf(bad.m, 'probe_failed_due_to_regex'), 1);
});

test('tcp prober: TLS from the start, verified with ca_file and refused without', async (t) => {
  const https = await startHttpsTarget(t);
  const target = https.replace('https://', '').replace(/\/$/, '');
  const ok = await probe(target, { tls: true, tls_config: { ca_file: TLS_CERT } });
  assert.equal(ok.success, true, ok.logs.join('\n'));
  assert.equal(valueOf(ok.m, 'probe_tls_version_info', { version: 'TLS 1.3' }), 1);
  assert.ok((valueOf(ok.m, 'probe_ssl_earliest_cert_expiry') ?? 0) > Date.now() / 1000);
  const unverified = await probe(target, { tls: true });
  assert.equal(unverified.success, false);
});

test('tcp prober: bad targets fail cleanly', async () => {
  // Targets off loopback (metadata addresses) are in target-policy.test.ts, inside a network namespace.
  for (const target of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', 'http://127.0.0.1:80/']) {
    const r = await probe(target);
    assert.equal(r.success, false, target);
  }
});

test('tcp prober: a silent server and an expect that never comes end at the deadline', async (t) => {
  const target = await startTcpTarget(t);
  const r = await probe(target, { query_response: [{ expect: '^NEVER' }] }, 0.3);
  assert.equal(r.success, false);
});
