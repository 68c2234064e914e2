/**
 * A bounded, seeded fuzz of the prober's config loader: a rich good config, mutated (wrong
 * types, huge numbers, bad regexps, deleted, renamed and duplicated keys, aliases, cycles, bombs,
 * deep nesting, non-UTF-8 bytes). Every mutant either loads or is refused with a ConfigError
 * whose message starts with the field it names: never another error, never a stack trace. Many
 * cases go through the library; a sample goes through `hello-cli prober --config.check`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { isHelloEdgeError } from '../../common/index.js';
import { loadProberConfig } from '../../prober/index.js';
import { mutateConfig, seededRandom } from '../support/fuzz.js';
import { run } from '../support/run.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const SEED = 20_261_202;
const LIBRARY_CASES = 600;
const CLI_CASES = 12;

/** A config using most of what the loader knows, so mutations reach every schema. */
const GOOD = {
  modules: {
    http_2xx: {
      prober: 'http',
      timeout: '5s',
      http: {
        valid_status_codes: [200, 204],
        valid_http_versions: ['HTTP/1.1'],
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer x' },
        body: '{}',
        fail_if_body_not_matches_regexp: ['ok'],
        fail_if_header_matches: [{ header: 'Server', regexp: '^nginx', allow_missing: true }],
        tls_config: { insecure_skip_verify: true, server_name: 'example.test', min_version: 'TLS12' },
        preferred_ip_protocol: 'ip4',
        basic_auth: { username: 'u', password: 'p' },
        compression: 'gzip',
        body_size_limit: '1MB',
      },
    },
    smtp: { prober: 'tcp', tcp: { query_response: [{ expect: '^220 ' }, { send: 'EHLO prober' }, { starttls: true }], preferred_ip_protocol: 'ip6' } },
    dns: { prober: 'dns', dns: { query_name: 'example.com', query_type: 'A', valid_rcodes: ['NOERROR'], validate_answer_rrs: { fail_if_not_matches_regexp: ['.*'] } } },
    icmp: { prober: 'icmp', icmp: { ttl: 64 } },
  },
  target_policy: { allow: ['127.0.0.0/8', '*.svc.cluster.local'], deny: ['10.0.0.0/8'], block_link_local: true },
  limits: { max_concurrent_probes: 5, retry_after_seconds: 2 },
  targets: [{ target: 'http://127.0.0.1:8080/', module: 'http_2xx', interval: '30s', labels: { app: 'hello' } }, { target: '127.0.0.1:25', module: 'smtp' }],
};

function writeMutant(dir: string, i: number, text: string | Buffer): string {
  const file = join(dir, `case-${i}.yml`);
  writeFileSync(file, text);
  return file;
}

test(`fuzz: ${LIBRARY_CASES} mutants of a good config load or are refused naming a field (seed ${SEED})`, () => {
  const random = seededRandom(SEED);
  const dir = mkdtempSync(join(tmpdir(), 'prober-fuzz-'));
  let refused = 0;
  for (let i = 0; i < LIBRARY_CASES; i++) {
    const mutant = mutateConfig(GOOD, random);
    const file = writeMutant(dir, i, mutant.text);
    try {
      loadProberConfig(file);
    } catch (error) {
      refused += 1;
      const where = `case ${i} (${mutant.what}): ${String((error as Error)?.stack ?? error)}`;
      assert.ok(isHelloEdgeError(error) && error.code === 'HELLO_ERR_CONFIG', where);
      const field = (error as { field?: unknown }).field;
      assert.ok(typeof field === 'string' && field !== '' && error.message.startsWith(`${field}: `), where);
      assert.equal(error.exitCode, 2, where);
      assert.doesNotMatch(error.message, /\n/, where);
    }
  }
  // Most mutants break something: a fuzzer whose cases all load tests nothing.
  assert.ok(refused > LIBRARY_CASES / 2, `only ${refused} of ${LIBRARY_CASES} mutants were refused`);
});

test(`fuzz: ${CLI_CASES} mutants through hello-cli prober --config.check: exit 0, or exit 2 with one line naming a field (seed ${SEED + 1})`, async () => {
  const random = seededRandom(SEED + 1);
  const dir = mkdtempSync(join(tmpdir(), 'prober-fuzz-cli-'));
  for (let i = 0; i < CLI_CASES; i++) {
    const mutant = mutateConfig(GOOD, random);
    const result = await run(process.execPath, [CLI, 'prober', '--config.check', '--config.file', writeMutant(dir, i, mutant.text)]);
    const where = `case ${i} (${mutant.what}): exit ${result.code}: ${result.stderr}`;
    if (result.code === 0) continue;
    assert.equal(result.code, 2, where);
    assert.doesNotMatch(result.stderr, /\n\s+at /, where);
    assert.match(result.stderr, /^hello-cli: [^\s:][^\n]*?: [^\n]+\n$/, where);
  }
});
