/**
 * A bounded, seeded fuzz of the prober's config loader (test/support/fuzz.ts): a rich good
 * config, mutated as a document (wrong types, huge numbers, bad regexps, deleted and duplicated
 * keys, deep nesting) and as a file (duplicate keys, cyclic aliases, alias bombs, deep nesting,
 * bytes that are not UTF-8, a cut file). Every mutant either loads or is refused with a
 * ConfigError whose message starts with the field it names: never another error, never a stack
 * trace. Many cases go through the library; a sample through `hello-cli prober --config.check`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { isUtf8 } from 'node:buffer';
import { stringify } from 'yaml';
import { isHelloEdgeError } from '../../common/index.js';
import { buildConfig, loadProberConfig } from '../../prober/index.js';
import { mulberry32, mutations, textMutation } from '../support/fuzz.js';
import { run } from '../support/run.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const SEED = 20_261_202;
const DOCUMENT_CASES = 500;
const FILE_CASES = 150;
const CLI_CASES = 16;

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
const GOOD_TEXT = stringify(GOOD);

/** Loads one case: a config or a ConfigError whose message starts with the field it names, one line. */
function checkOutcome(load: () => unknown, label: string): 'accepted' | 'refused' {
  try {
    load();
    return 'accepted';
  } catch (error) {
    const where = `${label}: ${String((error as Error)?.stack ?? error)}`;
    assert.ok(isHelloEdgeError(error) && error.code === 'HELLO_ERR_CONFIG', where);
    const field = (error as { field?: unknown }).field;
    assert.ok(typeof field === 'string' && field !== '' && error.message.startsWith(`${field}: `), where);
    assert.equal(error.exitCode, 2, where);
    assert.doesNotMatch(error.message, /\n/, where);
    return 'refused';
  }
}

test(`fuzz: ${DOCUMENT_CASES} mutated documents load or are refused naming a field (seed ${SEED})`, () => {
  const counts = { accepted: 0, refused: 0 };
  for (const [i, doc] of mutations(GOOD, mulberry32(SEED), DOCUMENT_CASES).entries()) {
    counts[checkOutcome(() => buildConfig(doc), `case ${i}: ${JSON.stringify(doc).slice(0, 300)}`)]++;
  }
  // Both outcomes happen: the mutations neither all miss nor all break the config.
  assert.ok(counts.accepted > 10 && counts.refused > DOCUMENT_CASES / 2, JSON.stringify(counts));
});

test(`fuzz: ${FILE_CASES} mutated files (duplicate keys, aliases, cycles, bombs, nesting, bad bytes) load or are refused naming a field (seed ${SEED + 1})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'prober-fuzz-'));
  const rng = mulberry32(SEED + 1);
  for (let i = 0; i < FILE_CASES; i++) {
    const bytes = textMutation(GOOD_TEXT, rng);
    const file = join(dir, `case-${i}.yml`);
    writeFileSync(file, bytes);
    const outcome = checkOutcome(() => loadProberConfig(file), `file case ${i}: ${bytes.toString('latin1').slice(0, 300)}`);
    // A file that is not UTF-8 is never read as something else.
    if (!isUtf8(bytes)) assert.equal(outcome, 'refused', `file case ${i}: non-UTF-8 bytes were accepted`);
  }
});

test(`fuzz through the CLI: ${CLI_CASES} mutants, hello-cli prober --config.check exits 0, or 2 with one line naming a field (seed ${SEED + 2})`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prober-fuzz-cli-'));
  const rng = mulberry32(SEED + 2);
  const cases = [...mutations(GOOD, rng, CLI_CASES / 2).map((doc) => Buffer.from(stringify(doc))), ...Array.from({ length: CLI_CASES / 2 }, () => textMutation(GOOD_TEXT, rng))];
  for (const [i, bytes] of cases.entries()) {
    const file = join(dir, `case-${i}.yml`);
    writeFileSync(file, bytes);
    const result = await run(process.execPath, [CLI, 'prober', '--config.check', '--config.file', file]);
    const where = `case ${i}: exit ${result.code}: ${result.stderr}`;
    if (result.code === 0 && isUtf8(bytes)) continue;
    assert.equal(result.code, 2, where);
    assert.doesNotMatch(result.stderr, /\n\s+at /, where);
    assert.match(result.stderr, /^hello-cli: [^\s:][^\n]*?: [^\n]+\n$/, where);
  }
});
