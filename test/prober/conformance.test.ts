/**
 * Side by side with the real blackbox exporter (Debian `prometheus-blackbox-exporter`): both
 * start with the same config, probe the same loopback targets, and must agree on metric
 * families, types, label names, probe_success and every discrete value. Durations may differ.
 * Deliberate differences are listed in docs/PROBER.md and in DELIBERATE below.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { spawnServer } from '../support/child.js';
import { requireTool } from '../support/tools.js';
import { closedPort, parseExposition, startHttpsTarget, startHttpTarget, startTcpTarget, TLS_CERT, type Family } from './support.js';

const MAIN = fileURLToPath(new URL('../../prober/main.js', import.meta.url));

/** Values compared exactly (durations and timings are not). */
const DISCRETE = [
  'probe_success',
  'probe_http_status_code',
  'probe_http_redirects',
  'probe_http_ssl',
  'probe_http_version',
  'probe_failed_due_to_regex',
  'probe_http_content_length',
  'probe_http_uncompressed_body_length',
  'probe_http_last_modified_timestamp_seconds',
  'probe_ip_protocol',
  'probe_ip_addr_hash',
  'probe_ssl_earliest_cert_expiry',
  'probe_ssl_last_chain_expiry_timestamp_seconds',
  'probe_ssl_last_chain_info',
  'probe_tls_version_info',
];

/** The config both run with: exporter syntax only. */
function config(): string {
  return `
modules:
  http_2xx:
    prober: http
  http_404_ok:
    prober: http
    http:
      valid_status_codes: [404]
  http_nofollow:
    prober: http
    http:
      follow_redirects: false
  http_body_must_match:
    prober: http
    http:
      fail_if_body_not_matches_regexp: ["status: healthy"]
  http_body_must_not_match:
    prober: http
    http:
      fail_if_body_matches_regexp: ["healthy"]
  http_header_must_not_match:
    prober: http
    http:
      fail_if_header_matches:
        - header: Server
          regexp: "^nginx"
  http_header_must_match:
    prober: http
    http:
      fail_if_header_not_matches:
        - header: X-Version
          regexp: "^2"
  http_head:
    prober: http
    http:
      method: HEAD
  http_post:
    prober: http
    http:
      method: POST
      body: ping
  http_insecure:
    prober: http
    http:
      tls_config:
        insecure_skip_verify: true
  http_ca:
    prober: http
    http:
      tls_config:
        ca_file: ${TLS_CERT}
  http_fail_if_not_ssl:
    prober: http
    http:
      fail_if_not_ssl: true
  http_short:
    prober: http
    timeout: 1s
  http_gzip:
    prober: http
    http:
      compression: gzip
  http_gzip_asked:
    prober: http
    http:
      compression: gzip
      headers:
        Accept-Encoding: gzip
  http_body_limit:
    prober: http
    http:
      body_size_limit: 1KB
  tcp_connect:
    prober: tcp
  tcp_query:
    prober: tcp
    tcp:
      query_response:
        - expect: "^220"
        - send: "PING"
        - expect: "^PONG"
  tcp_query_mismatch:
    prober: tcp
    tcp:
      query_response:
        - expect: "^220"
        - send: "QUIT"
        - expect: "^PONG"
  tcp_tls:
    prober: tcp
    tcp:
      tls: true
      tls_config:
        ca_file: ${TLS_CERT}
`;
}

/** Families or values that differ on purpose (see docs/PROBER.md). Empty means none. */
const DELIBERATE: Readonly<Record<string, readonly string[]>> = {
  // The exporter 0.23 does not ask for gzip unless the module sets Accept-Encoding itself, gets
  // a plain body and fails decoding it. We ask for the configured compression and accept a
  // plain answer.
  'gzip compression, Accept-Encoding not set': ['probe_success', 'probe_http_content_length', 'probe_http_uncompressed_body_length'],
};

async function startExporter(t: TestContext, binary: string, file: string): Promise<string> {
  const port = await closedPort();
  const child = spawn(binary, [`--config.file=${file}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  t.after(() => {
    child.kill('SIGKILL');
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/-/healthy`)).ok) return url;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`blackbox exporter did not start: ${stderr}`);
}

function describe(families: Map<string, Family>): { names: string[]; types: Record<string, string>; labels: Record<string, string[]> } {
  const names = [...families.keys()].sort();
  const types: Record<string, string> = {};
  const labels: Record<string, string[]> = {};
  for (const name of names) {
    const f = families.get(name)!;
    types[name] = f.type;
    labels[name] = [...new Set(f.samples.flatMap((s) => Object.keys(s.labels)))].sort();
  }
  return { names, types, labels };
}

function discrete(families: Map<string, Family>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of DISCRETE) {
    const f = families.get(name);
    if (!f) continue;
    out[name] = f.samples
      .map((s) => `${JSON.stringify(Object.entries(s.labels).sort())}=${s.value}`)
      .sort()
      .join(' ');
  }
  return out;
}

test('conformance with the blackbox exporter: same families, labels, probe_success and discrete values', async (t) => {
  const binary = requireTool(t, 'prometheus-blackbox-exporter', 'apt-get install prometheus-blackbox-exporter');
  if (!binary) return;
  const http = await startHttpTarget(t);
  const https = await startHttpsTarget(t);
  const tcp = await startTcpTarget(t);
  const dead = await closedPort();
  const dir = mkdtempSync(join(tmpdir(), 'prober-conformance-'));
  const file = join(dir, 'blackbox.yml');
  writeFileSync(file, config());
  const exporter = await startExporter(t, binary, file);
  const ours = (await spawnServer(t, MAIN, {}, ['--config.file', file, '--web.listen-address', '127.0.0.1:0'])).url;

  const cases: [string, string, string][] = [
    ['200', 'http_2xx', `${http}/`],
    ['404 without valid_status_codes', 'http_2xx', `${http}/404`],
    ['404 with valid_status_codes', 'http_404_ok', `${http}/404`],
    ['redirect', 'http_2xx', `${http}/redirect`],
    ['redirect loop', 'http_2xx', `${http}/loop`],
    ['follow_redirects: false', 'http_nofollow', `${http}/redirect`],
    ['slow answer (250 ms)', 'http_2xx', `${http}/slow?ms=250`],
    ['body must match', 'http_body_must_match', `${http}/body`],
    ['body must not match', 'http_body_must_not_match', `${http}/body`],
    ['header must not match', 'http_header_must_not_match', `${http}/header`],
    ['header must match', 'http_header_must_match', `${http}/header`],
    ['header must match, missing', 'http_header_must_match', `${http}/`],
    ['HEAD', 'http_head', `${http}/only-head`],
    ['POST with body', 'http_post', `${http}/post`],
    ['big body', 'http_2xx', `${http}/big`],
    ['big body over body_size_limit', 'http_body_limit', `${http}/big`],
    ['chunked body', 'http_2xx', `${http}/chunked`],
    ['gzip compression, Accept-Encoding set', 'http_gzip_asked', `${http}/gzip`],
    ['gzip compression, Accept-Encoding not set', 'http_gzip', `${http}/gzip`],
    ['TLS self-signed, default module', 'http_2xx', `${https}/`],
    ['TLS self-signed, insecure_skip_verify', 'http_insecure', `${https}/`],
    ['TLS self-signed, ca_file', 'http_ca', `${https}/`],
    ['fail_if_not_ssl on http', 'http_fail_if_not_ssl', `${http}/`],
    ['fail_if_not_ssl on https', 'http_fail_if_not_ssl', `${https}/`],
    ['closed port', 'http_2xx', `http://127.0.0.1:${dead}/`],
    ['never answers, 1s timeout', 'http_short', `${http}/never`],
    ['tcp open', 'tcp_connect', tcp],
    ['tcp closed', 'tcp_connect', `127.0.0.1:${dead}`],
    ['tcp query_response', 'tcp_query', tcp],
    ['tcp query_response mismatch', 'tcp_query_mismatch', tcp],
    ['tcp tls', 'tcp_tls', https.slice('https://'.length)],
  ];
  const q = (module: string, target: string): string => `/probe?module=${module}&target=${encodeURIComponent(target)}`;
  const mismatches: string[] = [];
  for (const [name, module, target] of cases) {
    await t.test(name, async () => {
      const [theirs, mine] = await Promise.all([fetch(`${exporter}${q(module, target)}`), fetch(`${ours}${q(module, target)}`)]);
      assert.equal(mine.status, theirs.status);
      const a = parseExposition(await theirs.text());
      const b = parseExposition(await mine.text());
      assert.ok(a.has('probe_success') && a.size >= 6, `exporter output parsed: ${[...a.keys()].join(', ')}`);
      const skip = new Set(DELIBERATE[name] ?? []);
      for (const n of skip) {
        a.delete(n);
        b.delete(n);
      }
      const da = describe(a);
      const db = describe(b);
      try {
        assert.deepEqual(db.names, da.names, 'families');
        assert.deepEqual(db.types, da.types, 'types');
        assert.deepEqual(db.labels, da.labels, 'label names');
        assert.deepEqual(discrete(b), discrete(a), 'discrete values');
      } catch (error) {
        mismatches.push(name);
        throw error;
      }
    });
  }
  assert.deepEqual(mismatches, []);

  await t.test('400 answers match', async () => {
    for (const path of ['/probe?module=http_2xx', '/probe?module=nope&target=x', '/probe?target=']) {
      const [theirs, mine] = await Promise.all([fetch(`${exporter}${path}`), fetch(`${ours}${path}`)]);
      assert.equal(mine.status, theirs.status, path);
      assert.equal((await mine.text()).trim(), (await theirs.text()).trim(), path);
    }
  });
});
