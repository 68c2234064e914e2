import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, ProbeRequestError } from '../../common/index.js';
import { silentLogger } from '../../common/index.js';
import { buildConfig, loadProberConfig, parseProberConfig, runProbe, testRegexp, DEFAULT_HTTP_PROBE, DEFAULT_LIMITS } from '../../prober/index.js';
import { FIXTURES, TLS_CERT, TLS_KEY } from './support.js';

// One fixture per validation rule, each with the exact message a user sees.
const INVALID: readonly (readonly [string, string])[] = [
  ["invalid-auth-both.yml", "modules.http_2xx.http.bearer_token: basic_auth and bearer_token are mutually exclusive"],
  ["invalid-body-and-body-file.yml", "modules.http_post.http.body_file: setting body and body_file both is not allowed"],
  ["invalid-body-size-limit.yml", "modules.http_2xx.http.body_size_limit: \"lots\" is not a size; use bytes or a unit (B, KB, MB, GB), e.g. \"1MB\""],
  ["invalid-ca-file.yml", "modules.https.http.tls_config.ca_file: cannot read \"does-not-exist.pem\" (ENOENT); relative names are resolved from the config file's directory"],
  ["invalid-compression.yml", "modules.http_gzip.http.compression: \"zip\" is not allowed; use one of \"\", gzip, br, deflate, identity"],
  ["invalid-duplicate-key.yml", "yaml: Map keys must be unique at line 4, column 5"],
  ["invalid-header-match.yml", "modules.http_header.http.fail_if_header_matches[0].header: is required"],
  ["invalid-header-value.yml", "modules.http_2xx.http.headers.X-Test: a header value may not contain CR, LF or NUL"],
  ["invalid-http-on-tcp.yml", "modules.tcp_connect.http: is set but the prober is \"tcp\""],
  ["invalid-http-version.yml", "modules.http_2xx.http.valid_http_versions[0]: \"HTTP/3\" is not allowed; use one of HTTP/1.0, HTTP/1.1, HTTP/2.0"],
  ["invalid-ip-protocol.yml", "modules.http_2xx.http.preferred_ip_protocol: \"ipv4\" is not allowed; use ip4 or ip6"],
  ["invalid-limits.yml", "limits.max_concurrent_probes: 0 is not allowed; use a whole number from 1 to 100000"],
  ["invalid-method.yml", "modules.http_2xx.http.method: \"GET /\" is not an HTTP method; use e.g. GET, HEAD or POST"],
  ["invalid-missing-prober.yml", "modules.http_2xx.prober: is required; use http or tcp (dns, icmp, grpc, unix, websocket modules load but cannot be probed here)"],
  ["invalid-modules-list.yml", "modules: must be a map, got a list"],
  ["invalid-policy-cidr.yml", "target_policy.allow[0]: \"10.0.0.0/33\" has a bad prefix length; use 0 to 32"],
  ["invalid-policy-pattern.yml", "target_policy.deny[0]: \"http://metadata/\" is neither a CIDR (10.0.0.0/8, ::1/128) nor a host pattern (example.com, *.example.com)"],
  ["invalid-prober.yml", "modules.ping.prober: \"ping\" is not a prober; use http or tcp (dns, icmp, grpc, unix, websocket modules load but cannot be probed here)"],
  ["invalid-query-response.yml", "modules.smtp.tcp.query_response[1].sned: unknown key (did you mean send?); allowed here: expect, send, starttls"],
  ["invalid-regexp.yml", "modules.http_body.http.fail_if_body_not_matches_regexp[0]: \"(unclosed\" is not a valid regular expression: error parsing regexp: missing closing ): `(unclosed`"],
  ["invalid-section-mismatch.yml", "modules.icmp.tcp: is set but the prober is \"icmp\""],
  ["invalid-target-scheme.yml", "targets[0].target: \"ftp://127.0.0.1/file\" is not an http(s) URL, which the http prober needs"],
  ["invalid-target-unimplemented.yml", "targets[0].module: \"icmp\" uses the icmp prober, which cannot be scheduled here (http and tcp only)"],
  ["invalid-ssl-both.yml", "modules.http_2xx.http.fail_if_not_ssl: fail_if_ssl and fail_if_not_ssl are both true, so every probe would fail"],
  ["invalid-status-code.yml", "modules.http_2xx.http.valid_status_codes[1]: 1000 is not an HTTP status code; use a whole number from 100 to 599"],
  ["invalid-target-duplicate.yml", "targets[1]: target \"http://127.0.0.1:8080/\" with module \"http_2xx\" is listed twice"],
  ["invalid-target-interval.yml", "targets[0].interval: \"100ms\" is too short; use at least 1s"],
  ["invalid-target-label.yml", "targets[0].labels: \"module\" is not allowed as a label name; use [a-zA-Z_][a-zA-Z0-9_]*, not target, module, le or a __ name"],
  ["invalid-target-unknown-module.yml", "targets[0].module: \"http_3xx\" is not a module of this config; known: http_2xx"],
  ["invalid-timeout.yml", "modules.http_2xx.timeout: 5 is not a duration; use a number with a unit (ms, s, m, h), e.g. \"250ms\", \"5s\" or \"1m30s\""],
  ["invalid-tls-version.yml", "modules.https.http.tls_config.min_version: \"TLS1.2\" is not allowed; use one of TLS10, TLS11, TLS12, TLS13"],
  ["invalid-unknown-http-key.yml", "modules.http_2xx.http.valid_status_code: unknown key (did you mean valid_status_codes?); allowed here: valid_status_codes, valid_http_versions, method, headers, body, body_file, follow_redirects, fail_if_ssl, fail_if_not_ssl, fail_if_body_matches_regexp, fail_if_body_not_matches_regexp, fail_if_header_matches, fail_if_header_not_matches, tls_config, preferred_ip_protocol, ip_protocol_fallback, basic_auth, bearer_token, compression, body_size_limit"],
  ["invalid-unknown-module-key.yml", "modules.http_2xx.timout: unknown key (did you mean timeout?); allowed here: prober, timeout, http, tcp, dns, icmp, grpc, unix, websocket"],
  ["invalid-unknown-tls-key.yml", "modules.https.http.tls_config.insecure: unknown key; allowed here: insecure_skip_verify, ca_file, cert_file, key_file, server_name, min_version, max_version"],
  ["invalid-unknown-top-key.yml", "modles: unknown key (did you mean modules?); allowed here: modules, target_policy, limits, targets"],
  ["invalid-yaml.yml", "yaml: All mapping items must start at the same column at line 4, column 1"],
];

for (const [file, message] of INVALID) {
  test(`config: ${file} is refused with a message naming the key`, () => {
    assert.throws(
      () => loadProberConfig(join(FIXTURES, file)),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `ConfigError expected, got ${String(error)}`);
        assert.equal(error.code, 'HELLO_ERR_CONFIG');
        assert.equal(error.exitCode, 2);
        assert.equal(error.message, message);
        return true;
      },
    );
  });
}

test('config: module names are own keys only: "toString" is not a module, "__proto__" is one like any other', () => {
  assert.throws(
    () => buildConfig({ modules: { http_2xx: { prober: 'http' } }, targets: [{ target: 'http://127.0.0.1/', module: 'toString' }] }),
    { message: 'targets[0].module: "toString" is not a module of this config; known: http_2xx' },
  );
  const config = parseProberConfig('modules:\n  __proto__:\n    prober: tcp\ntargets:\n  - target: 127.0.0.1:80\n    module: __proto__\n');
  assert.deepEqual(Object.keys(config.modules), ['__proto__']);
  assert.equal(Object.getPrototypeOf(config.modules), Object.prototype);
  assert.equal(config.targets[0]?.module, '__proto__');
});

test('config: an exporter blackbox.yml loads with the exporter defaults applied and is frozen', () => {
  const config = parseProberConfig(`
modules:
  http_2xx:
    prober: http
  http_post_2xx:
    prober: http
    timeout: 5s
    http:
      method: POST
      valid_status_codes: [200, 201]
      headers: {Content-Type: application/json}
      body: '{}'
      fail_if_body_not_matches_regexp: ["ok"]
      fail_if_header_matches:
        - header: Server
          regexp: "^nginx"
          allow_missing: true
      tls_config: {insecure_skip_verify: true, server_name: example.test, min_version: TLS12}
      preferred_ip_protocol: ip4
      ip_protocol_fallback: false
      basic_auth: {username: u, password: p}
      compression: gzip
      body_size_limit: 1MB
  tcp_connect:
    prober: tcp
  smtp_starttls:
    prober: tcp
    tcp:
      query_response:
        - expect: "^220 "
        - send: "EHLO prober"
        - expect: "^250-STARTTLS"
        - send: "STARTTLS"
        - expect: "^220"
        - starttls: true
`);
  const get = config.modules.http_2xx!;
  assert.equal(get.prober, 'http');
  assert.equal(get.timeoutMs, 0);
  assert.deepEqual(get.http.validStatusCodes, []);
  assert.equal(get.http.method, 'GET');
  assert.equal(get.http.followRedirects, true);
  assert.equal(get.http.preferredIpProtocol, 'ip6');
  assert.equal(get.http, DEFAULT_HTTP_PROBE);
  const post = config.modules.http_post_2xx!;
  assert.equal(post.timeoutMs, 5000);
  assert.deepEqual(post.http.validStatusCodes, [200, 201]);
  assert.equal(post.http.headers['Content-Type'], 'application/json');
  assert.equal(post.http.bodySizeLimit, 1024 * 1024);
  assert.equal(post.http.tlsConfig.minVersion, 'TLS12');
  assert.equal(post.http.failIfHeaderMatches[0]!.allowMissing, true);
  assert.equal(config.modules.smtp_starttls!.tcp.queryResponse.length, 6);
  assert.equal(config.modules.smtp_starttls!.tcp.queryResponse[5]!.starttls, true);
  assert.deepEqual(config.limits, DEFAULT_LIMITS);
  assert.deepEqual(config.targets, []);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(post.http) && Object.isFrozen(post.http.validStatusCodes));
  assert.throws(() => {
    (post.http.validStatusCodes as number[]).push(500);
  }, TypeError);
});

test('config: our sections (target_policy, limits, targets) with defaults', () => {
  const config = buildConfig({
    modules: { http_2xx: { prober: 'http' } },
    target_policy: { allow: ['127.0.0.0/8', '*.svc.cluster.local'], block_link_local: false },
    limits: { max_concurrent_probes: 5 },
    targets: [{ target: 'http://127.0.0.1:8080/', labels: { app: 'hello' } }, { target: 'http://127.0.0.1:8080/healthz', interval: '30s' }],
  });
  assert.deepEqual(config.targetPolicy, { allow: ['127.0.0.0/8', '*.svc.cluster.local'], deny: [], blockLinkLocal: false });
  assert.deepEqual(config.limits, { maxConcurrentProbes: 5, retryAfterSeconds: 1 });
  assert.deepEqual(config.targets[0], { target: 'http://127.0.0.1:8080/', module: 'http_2xx', intervalMs: 15000, labels: { app: 'hello' } });
  assert.equal(config.targets[1]!.intervalMs, 30000);
});

test('config: relative files resolve from the config file directory; an empty file is refused (a reload would drop every module)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prober-config-'));
  writeFileSync(join(dir, 'body.json'), '{"ping":true}');
  writeFileSync(join(dir, 'prober.yml'), 'modules:\n  post:\n    prober: http\n    http:\n      body_file: body.json\n');
  assert.equal(loadProberConfig(join(dir, 'prober.yml')).modules.post!.http.body, '{"ping":true}');
  writeFileSync(join(dir, 'empty.yml'), '');
  assert.throws(() => loadProberConfig(join(dir, 'empty.yml')), { message: '(top level): the config is empty; give at least one module under modules' });
  assert.throws(() => loadProberConfig(join(dir, 'missing.yml')), { code: 'HELLO_ERR_NOT_FOUND', message: /missing\.yml" cannot be read \(ENOENT\)/ });
});

test("config: the exporter's stock Debian blackbox.yml loads as is; its grpc and icmp modules are refused at /probe", async () => {
  // test/fixtures/prober/debian-blackbox.yml is /etc/prometheus/blackbox.yml of prometheus-blackbox-exporter 0.23.0.
  const config = loadProberConfig(join(FIXTURES, 'debian-blackbox.yml'));
  assert.deepEqual(Object.keys(config.modules), ['http_2xx', 'http_post_2xx', 'tcp_connect', 'pop3s_banner', 'grpc', 'grpc_plain', 'ssh_banner', 'irc_banner', 'icmp', 'icmp_ttl5']);
  // RE2 accepts the quantified anchor in "^+OK".
  const expect = config.modules.pop3s_banner!.tcp.queryResponse[0]!.expect!;
  assert.equal(await testRegexp(expect, 'OK ready', new AbortController().signal), true);
  assert.equal(config.modules.irc_banner!.tcp.queryResponse[2]!.send, 'PONG ${1}');
  await assert.rejects(
    runProbe(config, { target: '127.0.0.1', module: 'icmp' }, silentLogger),
    (e: unknown) => e instanceof ProbeRequestError && e.status === 400 && e.message === 'Module "icmp" uses the icmp prober, which this prober does not implement (http and tcp only)',
  );
});

/** The message `buildConfig(raw)` is refused with (a ConfigError), for the tables below. */
function refusal(raw: unknown, baseDir?: string): string {
  try {
    buildConfig(raw, baseDir === undefined ? undefined : { baseDir });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `ConfigError expected, got ${String(error)}`);
    return error.message;
  }
  return 'accepted';
}

test("config: the exporter's other probers' sections are checked key by key, like http and tcp", () => {
  const module = (prober: string, section: unknown): unknown => ({ modules: { m: { prober, [prober]: section } } });
  const table: [unknown, string][] = [
    [module('dns', { query_nam: 'example.com' }), 'modules.m.dns.query_nam: unknown key (did you mean query_name?); allowed here: preferred_ip_protocol, ip_protocol_fallback, dns_over_tls, tls_config, source_ip_address, transport_protocol, query_class, query_name, query_type, recursion_desired, valid_rcodes, validate_answer_rrs, validate_authority_rrs, validate_additional_rrs'],
    [module('dns', { query_type: 'A' }), 'modules.m.dns.query_name: is required'],
    [module('dns', { query_name: 'example.com', transport_protocol: 'quic' }), 'modules.m.dns.transport_protocol: "quic" is not allowed; use udp or tcp'],
    [module('dns', { query_name: 'example.com', validate_answer_rrs: { fail_if_matches_regexp: ['(x'] } }), 'modules.m.dns.validate_answer_rrs.fail_if_matches_regexp[0]: "(x" is not a valid regular expression: error parsing regexp: missing closing ): `(x`'],
    [module('icmp', { ttl: 300 }), 'modules.m.icmp.ttl: 300 is not allowed; use a whole number from 0 to 255'],
    [module('icmp', { preferred_ip_protocol: 'ipv4' }), 'modules.m.icmp.preferred_ip_protocol: "ipv4" is not allowed; use ip4 or ip6'],
    [module('grpc', { servce: 'x' }), 'modules.m.grpc.servce: unknown key (did you mean service?); allowed here: preferred_ip_protocol, ip_protocol_fallback, service, tls, tls_config, metadata'],
    [module('unix', { query_response: [{ expct: 'x' }] }), 'modules.m.unix.query_response[0].expct: unknown key (did you mean expect?); allowed here: expect, send, starttls'],
    [module('websocket', { http_config: { basic_auth: { pasword: 'x' } } }), 'modules.m.websocket.http_config.basic_auth.pasword: unknown key (did you mean password?); allowed here: username, username_file, username_ref, password, password_file, password_ref'],
    [module('dns', { query_name: 'example.com', recursion_desired: true }), 'accepted'],
  ];
  for (const [raw, message] of table) assert.equal(refusal(raw), message);
  // Their credentials are secrets like any other: the module source shows <secret>.
  const config = buildConfig(module('websocket', { http_config: { basic_auth: { username: 'u', password: 'ws-password' }, bearer_token_file: '/t' } }));
  assert.doesNotMatch(JSON.stringify(config.modules.m?.source), /ws-password/);
});

test('config: an empty config, files that hold no PEM, a bearer token with CR/LF and a sub-millisecond timeout are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prober-config-'));
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  writeFileSync(join(dir, 'not.pem'), 'hello\n');
  writeFileSync(join(dir, 'other-key.pem'), other);
  const tls = (tls_config: unknown): unknown => ({ modules: { https: { prober: 'http', http: { tls_config } } } });
  const table: [unknown, string][] = [
    [{ modules: {} }, 'modules: has no module; give at least one (e.g. http_2xx: {prober: http})'],
    [{ limits: { max_concurrent_probes: 5 } }, 'modules: is required'],
    [tls({ ca_file: 'not.pem' }), 'modules.https.http.tls_config.ca_file: "not.pem" holds no PEM certificate; use a file of -----BEGIN CERTIFICATE----- blocks'],
    [tls({ cert_file: TLS_CERT, key_file: 'not.pem' }), 'modules.https.http.tls_config.key_file: "not.pem" holds no PEM private key; use a file with a -----BEGIN PRIVATE KEY----- block'],
    [tls({ cert_file: TLS_CERT, key_file: 'other-key.pem' }), `modules.https.http.tls_config.key_file: "other-key.pem" is not the key of cert_file ${JSON.stringify(TLS_CERT)}`],
    [{ modules: { a: { prober: 'http', http: { bearer_token: 'token-value\r\nX-Injected: 1' } } } }, 'modules.a.http.bearer_token: a bearer token may not contain CR, LF or NUL'],
    [{ modules: { a: { prober: 'http', timeout: '0.0001ms' } } }, 'modules.a.timeout: "0.0001ms" is not allowed; use whole milliseconds (at least 1ms)'],
    [tls({ ca_file: TLS_CERT, cert_file: TLS_CERT, key_file: TLS_KEY }), 'accepted'],
  ];
  for (const [raw, message] of table) assert.equal(refusal(raw, dir), message);
});
