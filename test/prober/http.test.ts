import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { spawnServer } from '../support/child.js';
import { BIG_BODY_BYTES, closedPort, parseExposition, probeModule, startHttpsTarget, startHttpTarget, TLS_CERT, valueOf, type ProbeResult } from './support.js';

const MAIN = fileURLToPath(new URL('../../prober/main.js', import.meta.url));

/** Runs one http probe with `http` as the module's section. */
function probe(target: string, http: Record<string, unknown> = {}, extra: { timeout?: string } = {}): Promise<ProbeResult> {
  return probeModule({ prober: 'http', ...(extra.timeout ? { timeout: extra.timeout } : {}), http }, target);
}

interface Case {
  readonly name: string;
  readonly path: string;
  readonly http?: Record<string, unknown>;
  readonly success: boolean;
  readonly expect: Readonly<Record<string, number>>;
}

const CASES: readonly Case[] = [
  { name: '200', path: '/', success: true, expect: { probe_http_status_code: 200, probe_http_content_length: 12, probe_http_uncompressed_body_length: 12, probe_http_redirects: 0, probe_http_ssl: 0, probe_http_version: 1.1, probe_failed_due_to_regex: 0, probe_ip_protocol: 4 } },
  { name: '404 without valid_status_codes', path: '/404', success: false, expect: { probe_http_status_code: 404, probe_http_uncompressed_body_length: 9 } },
  { name: '404 with valid_status_codes [404]', path: '/404', http: { valid_status_codes: [404] }, success: true, expect: { probe_http_status_code: 404 } },
  { name: 'redirect is followed', path: '/redirect', success: true, expect: { probe_http_status_code: 200, probe_http_redirects: 1, probe_http_content_length: 12 } },
  { name: 'redirect loop stops after 10', path: '/loop', success: false, expect: { probe_http_status_code: 302, probe_http_redirects: 11, probe_http_uncompressed_body_length: 0 } },
  { name: 'follow_redirects: false', path: '/redirect', http: { follow_redirects: false }, success: false, expect: { probe_http_status_code: 302, probe_http_redirects: 1 } },
  { name: 'follow_redirects: false, 302 valid', path: '/redirect', http: { follow_redirects: false, valid_status_codes: [302] }, success: true, expect: { probe_http_status_code: 302 } },
  { name: 'body must match: matches', path: '/body', http: { fail_if_body_not_matches_regexp: ['status: (healthy|ok)'] }, success: true, expect: { probe_failed_due_to_regex: 0 } },
  { name: 'body must not match: matches', path: '/body', http: { fail_if_body_matches_regexp: ['healthy'] }, success: false, expect: { probe_failed_due_to_regex: 1 } },
  { name: 'header must not match: matches', path: '/header', http: { fail_if_header_matches: [{ header: 'Server', regexp: '^nginx' }] }, success: false, expect: { probe_failed_due_to_regex: 1 } },
  { name: 'header must match: matches', path: '/header', http: { fail_if_header_not_matches: [{ header: 'X-Version', regexp: '^2\\.' }] }, success: true, expect: { probe_failed_due_to_regex: 0 } },
  { name: 'header must match: missing, allowed', path: '/', http: { fail_if_header_not_matches: [{ header: 'X-Version', regexp: '^2', allow_missing: true }] }, success: true, expect: {} },
  { name: 'header must match: missing', path: '/', http: { fail_if_header_not_matches: [{ header: 'X-Version', regexp: '^2' }] }, success: false, expect: { probe_failed_due_to_regex: 1 } },
  { name: 'HEAD', path: '/only-head', http: { method: 'HEAD' }, success: true, expect: { probe_http_status_code: 200, probe_http_content_length: 12, probe_http_uncompressed_body_length: 0 } },
  { name: 'GET where only HEAD is allowed', path: '/only-head', success: false, expect: { probe_http_status_code: 405 } },
  { name: 'POST with body', path: '/post', http: { method: 'POST', body: 'ping' }, success: true, expect: { probe_http_status_code: 200, probe_http_uncompressed_body_length: 4 } },
  { name: 'big body', path: '/big', success: true, expect: { probe_http_content_length: BIG_BODY_BYTES, probe_http_uncompressed_body_length: BIG_BODY_BYTES } },
  { name: 'big body over body_size_limit', path: '/big', http: { body_size_limit: '1KB' }, success: false, expect: { probe_http_content_length: BIG_BODY_BYTES } },
  { name: 'chunked body with Last-Modified', path: '/chunked', success: true, expect: { probe_http_content_length: -1, probe_http_uncompressed_body_length: 20, probe_http_last_modified_timestamp_seconds: 1445412480 } },
  { name: 'gzip compression', path: '/gzip', http: { compression: 'gzip' }, success: true, expect: { probe_http_uncompressed_body_length: 23 } },
  { name: 'fail_if_not_ssl on http', path: '/', http: { fail_if_not_ssl: true }, success: false, expect: { probe_http_ssl: 0, probe_http_status_code: 200 } },
  {
    name: 'headers, auth and User-Agent are sent',
    path: '/echo-headers',
    http: {
      headers: { 'X-Test': 'yes' },
      basic_auth: { username: 'u', password: 'p' },
      fail_if_body_not_matches_regexp: ['"x-test":"yes"', '"authorization":"Basic dTpw"', '"user-agent":"hello-prober'],
    },
    success: true,
    expect: { probe_failed_due_to_regex: 0 },
  },
];

test('http prober: the exporter case table against a loopback target', async (t) => {
  const base = await startHttpTarget(t);
  for (const c of CASES) {
    await t.test(c.name, async () => {
      const { success, m, logs } = await probe(`${base}${c.path}`, c.http);
      assert.equal(success, c.success, logs.join('\n'));
      for (const [name, value] of Object.entries(c.expect)) assert.equal(valueOf(m, name), value, name);
      for (const phase of ['resolve', 'connect', 'tls', 'processing', 'transfer']) {
        assert.notEqual(valueOf(m, 'probe_http_duration_seconds', { phase }), undefined, `phase ${phase}`);
      }
    });
  }
});

test('http prober: TLS with a self-signed certificate', async (t) => {
  const base = await startHttpsTarget(t);
  const plain = await probe(`${base}/`);
  assert.equal(plain.success, false, 'the default module verifies and fails');
  assert.equal(valueOf(plain.m, 'probe_http_status_code'), 0);
  assert.equal(plain.m.has('probe_tls_version_info'), false);

  const insecure = await probe(`${base}/`, { tls_config: { insecure_skip_verify: true } });
  assert.equal(insecure.success, true);
  assert.equal(valueOf(insecure.m, 'probe_http_ssl'), 1);
  assert.ok((valueOf(insecure.m, 'probe_http_duration_seconds', { phase: 'tls' }) ?? 0) > 0);
  assert.equal(valueOf(insecure.m, 'probe_ssl_last_chain_expiry_timestamp_seconds'), -62135596800, "unverified: Go's zero time, as the exporter");

  const ca = await probe(`${base}/`, { tls_config: { ca_file: TLS_CERT } });
  assert.equal(ca.success, true, ca.logs.join('\n'));
  const expiry = valueOf(ca.m, 'probe_ssl_earliest_cert_expiry') ?? 0;
  assert.ok(expiry > Date.now() / 1000 + 86400 * 365, 'fixture certificate is valid for decades');
  assert.equal(valueOf(ca.m, 'probe_ssl_last_chain_expiry_timestamp_seconds'), expiry);
  const info = ca.m.get('probe_ssl_last_chain_info')!.samples[0]!.labels;
  assert.deepEqual(Object.keys(info).sort(), ['fingerprint_sha256', 'issuer', 'subject', 'subjectalternative']);
  assert.equal(info.subject, 'CN=localhost,O=hello-edge test');
  assert.equal(info.subjectalternative, 'localhost');
  assert.match(info.fingerprint_sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.equal(valueOf(ca.m, 'probe_tls_version_info', { version: 'TLS 1.3' }), 1);

  const failIfSsl = await probe(`${base}/`, { fail_if_ssl: true, tls_config: { ca_file: TLS_CERT } });
  assert.equal(failIfSsl.success, false);
  const notSsl = await probe(`${base}/`, { fail_if_not_ssl: true, tls_config: { ca_file: TLS_CERT } });
  assert.equal(notSsl.success, true);
});

test('http prober: closed port, unsupported scheme, no scheme, never-answering target', async (t) => {
  const port = await closedPort();
  const closed = await probe(`http://127.0.0.1:${port}/`);
  assert.equal(closed.success, false);
  assert.equal(valueOf(closed.m, 'probe_http_status_code'), 0);
  assert.equal(valueOf(closed.m, 'probe_http_duration_seconds', { phase: 'connect' }), 0);

  const ftp = await probe('ftp://127.0.0.1/');
  assert.equal(ftp.success, false);
  assert.ok(ftp.logs.some((l) => l.includes('Unsupported scheme')));

  const base = await startHttpTarget(t);
  const bare = await probe(base.replace('http://', ''));
  assert.equal(bare.success, true, 'a target without scheme is probed over http, as the exporter does');

  const never = await probe(`${base}/never`, {}, { timeout: '300ms' });
  assert.equal(never.success, false);
  assert.ok(never.seconds >= 0.29, `the probe ran until its deadline (${never.seconds}s)`);
  assert.ok(never.logs.some((l) => l.includes('deadline')), never.logs.join('\n'));
});

test('http prober: IPv6 loopback target', async (t) => {
  let base: string;
  try {
    base = await startHttpTarget(t, '::1');
  } catch {
    t.skip('no IPv6 loopback on this machine');
    return;
  }
  const r = await probe(`${base}/`);
  assert.equal(r.success, true, r.logs.join('\n'));
  assert.equal(valueOf(r.m, 'probe_ip_protocol'), 6);
});

test('http prober: a body regexp can neither stall the process nor keep a probe past its deadline', async (t) => {
  const base = await startHttpTarget(t);
  const file = join(mkdtempSync(join(tmpdir(), 'prober-redos-')), 'prober.yml');
  writeFileSync(
    file,
    `modules:
  backtracking_bomb:
    prober: http
    timeout: 2s
    http:
      fail_if_body_not_matches_regexp: ['^(\\w+\\s?)*$']
  linear_but_costly:
    prober: http
    timeout: 2s
    http:
      fail_if_body_not_matches_regexp: ['a[ab]{1000}(c|d)']
`,
  );
  const prober = (await spawnServer(t, MAIN, {}, ['--config.file', file, '--web.listen-address', '127.0.0.1:0'])).url;
  const deadlineSeconds = 2;
  const margin = 1.5;
  // The bomb is answered at once by RE2; the costly one runs in a worker until the deadline.
  for (const [module, path, slow] of [['backtracking_bomb', '/redos', false], ['linear_but_costly', '/ab', true]] as const) {
    await t.test(module, async () => {
      const started = performance.now();
      let probeDoneAt = 0;
      const probe = fetch(`${prober}/probe?module=${module}&target=${encodeURIComponent(`${base}${path}`)}`).then(async (r) => {
        probeDoneAt = performance.now();
        return parseExposition(await r.text());
      });
      // Asked while a slow probe runs (it has read the body well before 500 ms on loopback).
      await new Promise((r) => setTimeout(r, 500));
      const healthy = await fetch(`${prober}/-/healthy`);
      const healthyDoneAt = performance.now();
      assert.equal(healthy.status, 200);
      const m = await probe;
      const wall = (probeDoneAt - started) / 1000;
      assert.equal(valueOf(m, 'probe_success'), 0, 'no match: the probe fails');
      assert.ok((valueOf(m, 'probe_duration_seconds') ?? Infinity) <= deadlineSeconds + 0.1, `probe_duration_seconds ${valueOf(m, 'probe_duration_seconds')}`);
      assert.ok(wall < deadlineSeconds + margin, `the answer came ${wall.toFixed(2)} s after the request`);
      if (slow) assert.ok(healthyDoneAt < probeDoneAt, '/-/healthy answered while the probe was still matching');
      else assert.equal(valueOf(m, 'probe_failed_due_to_regex'), 1);
    });
  }
});
