/**
 * Side by side with the real blackbox exporter (Debian `prometheus-blackbox-exporter`): both
 * start with the same config, probe the same loopback targets, and must agree on metric
 * families, types, label names, probe_success, every discrete value and which phase timings are
 * zero. Durations may differ. Deliberate differences are listed in docs/PROBER.md and in
 * DELIBERATE below. The file runs inside a network namespace of its own (`unshare -n -m`), whose
 * /etc/hosts (HOSTS) gives names of one family or both, for the IP protocol cases; it also
 * checks that both accept and refuse the same regular expressions.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { parseProberConfig } from '../../prober/index.js';
import { spawnServer } from '../support/child.js';
import { requireTool } from '../support/tools.js';
import { closedPort, insideTestNetns, parseExposition, rerunInNetns, startHttpsTarget, startHttpTarget, startTcpTarget, TLS_CERT, type Family } from './support.js';

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
  tcp_expand:
    prober: tcp
    tcp:
      query_response:
        - expect: '^220 (?P<name>\\S+) (r)eady'
          send: 'ECHO \${name}-$2-$2x-$$'
        - expect: '^hello-edge-r--\\$$'
  http_304_ok:
    prober: http
    http:
      valid_status_codes: [304]
  http_empty_body_must_match:
    prober: http
    http:
      fail_if_body_not_matches_regexp: ["."]
  http_empty_body_must_not_match:
    prober: http
    http:
      fail_if_body_matches_regexp: ["."]
  http_put:
    prober: http
    http:
      method: PUT
      body: payload
      fail_if_body_not_matches_regexp: ["^PUT payload$"]
  http_options:
    prober: http
    http:
      method: OPTIONS
  http_delete:
    prober: http
    http:
      method: DELETE
      fail_if_body_not_matches_regexp: ["^DELETE $"]
  http_post_then_get:
    prober: http
    http:
      method: POST
      body: ping
      fail_if_body_not_matches_regexp: ["^GET $"]
  http_post_kept:
    prober: http
    http:
      method: POST
      body: ping
      fail_if_body_not_matches_regexp: ["^POST ping$"]
${BODY_REGEXPS.map((re, i) => `  http_body_re_${i}:\n    prober: http\n    http:\n      fail_if_body_not_matches_regexp: [${JSON.stringify(re)}]\n`).join('')}${ipModules()}`;
}

/** Body regexps whose answer depends on RE2's rules (anchors, newlines, classes), against `/body`. */
const BODY_REGEXPS = [
  '^version',
  '(?m)^version: 1\\.2\\.3$',
  'healthy$',
  '3\\n\\z',
  'healthy.version',
  '(?s)healthy.version',
  '(?i)STATUS: HEALTHY',
  '\\pL+: \\d',
  '[[:digit:]]\\.[[:digit:]]',
  '(?P<major>\\d+)\\.(\\d+)',
  '^+status',
  '\\Qversion: 1.2.3\\E',
];

const IP_PROTOCOLS = ['ip4', 'ip6'] as const;
const FALLBACKS = [true, false] as const;
const ipModuleName = (prober: string, protocol: string, fallback: boolean): string => `${prober}_${protocol}_${fallback ? 'fallback' : 'strict'}`;

/** One module per prober x preferred_ip_protocol x ip_protocol_fallback. */
function ipModules(): string {
  let out = '';
  for (const prober of ['http', 'tcp']) {
    for (const protocol of IP_PROTOCOLS) {
      for (const fallback of FALLBACKS) {
        out += `  ${ipModuleName(prober, protocol, fallback)}:\n    prober: ${prober}\n    timeout: 5s\n    ${prober}:\n      preferred_ip_protocol: ${protocol}\n      ip_protocol_fallback: ${fallback}\n`;
      }
    }
  }
  return out;
}

/** Names for the IP protocol cases (the namespace's /etc/hosts). */
const HOSTS = `127.0.0.1 localhost
::1 localhost
127.0.0.1 v4only.test
::1 v6only.test
`;

/** Targets for the IP protocol cases: literals of each family (and a mapped one) and names. */
const IP_TARGET_HOSTS = ['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', 'localhost', 'v4only.test', 'v6only.test', 'nowhere.invalid'];

/** Families or values that differ on purpose (see docs/PROBER.md). Empty means none. */
const DELIBERATE: Readonly<Record<string, readonly string[]>> = {
  // The exporter 0.23 does not ask for gzip unless the module sets Accept-Encoding itself, gets
  // a plain body and fails decoding it. We ask for the configured compression and accept a
  // plain answer.
  'gzip compression, Accept-Encoding not set': ['probe_success', 'probe_http_content_length', 'probe_http_uncompressed_body_length'],
  // undici (our HTTP client) refuses a 100 Continue it did not ask for as a bad response
  // (nodejs/undici#197); Go skips it. The probe fails here.
  '100 Continue, not asked for, before the answer': [
    'probe_success',
    'probe_http_status_code',
    'probe_http_content_length',
    'probe_http_uncompressed_body_length',
    'probe_http_version',
    'probe_http_duration_seconds',
  ],
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

/** Which phases of probe_http_duration_seconds are exactly zero (the durations themselves differ). */
function zeroPhases(families: Map<string, Family>): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const s of families.get('probe_http_duration_seconds')?.samples ?? []) out[s.labels.phase ?? ''] = s.value === 0;
  return out;
}

/** The two servers under comparison. */
interface Servers {
  readonly exporter: string;
  readonly ours: string;
}

/** Both servers on loopback with {@link config}, stopped in `t.after`. */
async function startServers(t: TestContext, binary: string): Promise<Servers> {
  const file = join(mkdtempSync(join(tmpdir(), 'prober-conformance-')), 'blackbox.yml');
  writeFileSync(file, config());
  return {
    exporter: await startExporter(t, binary, file),
    ours: (await spawnServer(t, MAIN, {}, ['--config.file', file, '--web.listen-address', '127.0.0.1:0'])).url,
  };
}

/** Probes `target` with `module` on both and compares what conformance promises. */
async function compareProbe({ exporter, ours }: Servers, name: string, module: string, target: string): Promise<void> {
  const q = `/probe?module=${module}&target=${encodeURIComponent(target)}`;
  const [theirs, mine] = await Promise.all([fetch(`${exporter}${q}`), fetch(`${ours}${q}`)]);
  assert.equal(mine.status, theirs.status);
  const a = parseExposition(await theirs.text());
  const b = parseExposition(await mine.text());
  assert.ok(a.has('probe_success') && a.size >= 2, `exporter output parsed: ${[...a.keys()].join(', ')}`);
  for (const n of DELIBERATE[name] ?? []) {
    a.delete(n);
    b.delete(n);
  }
  const da = describe(a);
  const db = describe(b);
  assert.deepEqual(db.names, da.names, 'families');
  assert.deepEqual(db.types, da.types, 'types');
  assert.deepEqual(db.labels, da.labels, 'label names');
  assert.deepEqual(discrete(b), discrete(a), 'discrete values');
  assert.deepEqual(zeroPhases(b), zeroPhases(a), 'phases that are zero');
}

/** Regexps for the syntax check: what Go's regexp (the exporter's) accepts and refuses. */
const SYNTAX = [
  '(?i)abc', '\\pL+', '\\p{Greek}', '\\PL', '\\pZ', '[[:alpha:]]+', '[[:word:]]', 'abc\\z', 'abc\\Z', '(?P<n>a)', '(?<n>a)',
  '(?P<n>a)(?P<n>b)', '(?<=a)b', '(?=a)', '(?!a)', '(a)\\1', '^+OK', '$+', 'a**', 'a++', 'a{1000}', 'a{1001}', 'x{2,1}', '\\Qa.b\\E',
  '\\C', '(?U)a+', '(?s-m:.)', '[z-a]', '\\8', '\\x{10FFFF}', '\\x{110000}', '\\h', '(?#c)', '\\e', '\\cA', '\\u0041', '\\_',
  '(?', 'a|', '()', '(unclosed', 'unopened)', '[[:nope:]]', '\\p{Nope}', '',
];

/** Patterns accepted or refused differently on purpose (see docs/PROBER.md). */
const DELIBERATE_SYNTAX: Readonly<Record<string, string>> = {
  '(?<n>a)': 'Go 1.22 and later (newer exporter builds) accept (?<name>...), the Debian build (Go 1.19) does not; re2js does',
};

/** Does the exporter's `--config.check` accept `re` in a body regexp? Its error when not. */
function exporterAccepts(binary: string, dir: string, re: string): { ok: boolean; text: string } {
  const file = join(dir, 'syntax.yml');
  writeFileSync(file, syntaxConfig(re));
  const run = spawnSync(binary, ['--config.check', `--config.file=${file}`], { encoding: 'utf8' });
  return { ok: run.status === 0, text: `${run.stdout}${run.stderr}` };
}

const syntaxConfig = (re: string): string => `modules:\n  m:\n    prober: http\n    http:\n      fail_if_body_matches_regexp: [${JSON.stringify(re)}]\n`;

if (!insideTestNetns()) {
  test('conformance with the blackbox exporter, in a network namespace of its own', (t) => {
    if (!requireTool(t, 'prometheus-blackbox-exporter', 'apt-get install prometheus-blackbox-exporter')) return;
    return rerunInNetns(t, import.meta.url, HOSTS);
  });
} else {
  test('conformance with the blackbox exporter: families, labels, probe_success, discrete values, zero phases', async (t) => {
    const binary = requireTool(t, 'prometheus-blackbox-exporter', 'apt-get install prometheus-blackbox-exporter');
    if (!binary) return;
    const http = await startHttpTarget(t);
    const https = await startHttpsTarget(t);
    const tcp = await startTcpTarget(t);
    const dead = await closedPort();
    const servers = await startServers(t, binary);

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
      ['tcp send expanded from the expect groups', 'tcp_expand', tcp],
      ['header must not match, missing', 'http_header_must_not_match', `${http}/`],
      // Bodiless answers and methods.
      ['204', 'http_2xx', `${http}/status?code=204`],
      ['204 declaring Content-Length: 5', 'http_2xx', `${http}/status?code=204&content-length=5`],
      ['204, body must match', 'http_empty_body_must_match', `${http}/status?code=204`],
      ['204, body must not match', 'http_empty_body_must_not_match', `${http}/status?code=204`],
      ['205', 'http_2xx', `${http}/status?code=205`],
      ['304 without valid_status_codes', 'http_2xx', `${http}/status?code=304`],
      ['304 valid, declaring Content-Length: 100', 'http_304_ok', `${http}/status?code=304&content-length=100`],
      ['103 Early Hints before the answer', 'http_2xx', `${http}/informational`],
      ['100 Continue, not asked for, before the answer', 'http_2xx', `${http}/informational?continue`],
      ['HEAD of a GET route (Content-Length 12)', 'http_head', `${http}/`],
      ['HEAD of a chunked route', 'http_head', `${http}/chunked`],
      ['HEAD of a 204', 'http_head', `${http}/status?code=204`],
      ['HEAD through a redirect', 'http_head', `${http}/redirect`],
      ['PUT with body', 'http_put', `${http}/method`],
      ['OPTIONS', 'http_options', `${http}/method`],
      ['DELETE', 'http_delete', `${http}/method`],
      ['POST through 302 becomes GET', 'http_post_then_get', `${http}/redirect-302`],
      ['POST through 303 becomes GET', 'http_post_then_get', `${http}/redirect-303`],
      ['POST through 307 stays POST with its body', 'http_post_kept', `${http}/redirect-307`],
      ...BODY_REGEXPS.map((re, i): [string, string, string] => [`body regexp ${re}`, `http_body_re_${i}`, `${http}/body`]),
    ];
    const mismatches: string[] = [];
    for (const [name, module, target] of cases) {
      await t.test(name, () => compareProbe(servers, name, module, target).catch((error: unknown) => {
        mismatches.push(name);
        throw error;
      }));
    }
    assert.deepEqual(mismatches, []);

    await t.test('400 answers match', async () => {
      for (const path of ['/probe?module=http_2xx', '/probe?module=nope&target=x', '/probe?target=']) {
        const [theirs, mine] = await Promise.all([fetch(`${servers.exporter}${path}`), fetch(`${servers.ours}${path}`)]);
        assert.equal(mine.status, theirs.status, path);
        assert.equal((await mine.text()).trim(), (await theirs.text()).trim(), path);
      }
    });
  });

  test('conformance: every preferred_ip_protocol x ip_protocol_fallback against literal and named targets', async (t) => {
    const binary = requireTool(t, 'prometheus-blackbox-exporter', 'apt-get install prometheus-blackbox-exporter');
    if (!binary) return;
    // Both families on one port: "::" takes IPv4 connections too.
    const httpPort = new URL(await startHttpTarget(t, '::')).port;
    const tcpPort = (await startTcpTarget(t, '::')).split(':').pop() ?? '';
    const servers = await startServers(t, binary);
    for (const host of IP_TARGET_HOSTS) {
      for (const protocol of IP_PROTOCOLS) {
        for (const fallback of FALLBACKS) {
          for (const [prober, target] of [['http', `http://${host}:${httpPort}/`], ['tcp', `${host}:${tcpPort}`]]) {
            const module = ipModuleName(prober as string, protocol, fallback);
            await t.test(`${module} ${host}`, () => compareProbe(servers, module, module, target as string));
          }
        }
      }
    }
  });

  test('conformance: the same regular expressions are accepted, and refused with the same reason', async (t) => {
    const binary = requireTool(t, 'prometheus-blackbox-exporter', 'apt-get install prometheus-blackbox-exporter');
    if (!binary) return;
    const dir = mkdtempSync(join(tmpdir(), 'prober-conformance-re-'));
    const differences: string[] = [];
    for (const re of SYNTAX) {
      const theirs = exporterAccepts(binary, dir, re);
      let mine: string | undefined;
      try {
        parseProberConfig(syntaxConfig(re));
      } catch (error) {
        mine = (error as Error).message;
      }
      if ((mine === undefined) !== theirs.ok) {
        if (DELIBERATE_SYNTAX[re] === undefined) differences.push(`${JSON.stringify(re)}: exporter ${theirs.ok ? 'accepts' : 'refuses'}, we ${mine === undefined ? 'accept' : 'refuse'}`);
        continue;
      }
      // Both refuse: Go's reason ("error parsing regexp: ...") is in both messages.
      const reason = /error parsing regexp: [^"\n]*?`[^`]*`/.exec(theirs.text)?.[0];
      if (mine !== undefined && reason !== undefined && !mine.includes(reason.replace(/\\\\/g, '\\'))) differences.push(`${JSON.stringify(re)}: exporter says ${reason}, we say ${mine}`);
    }
    assert.deepEqual(differences, []);
  });
}
