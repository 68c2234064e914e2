// A bounded, seeded fuzz of the fleet config loader (issue 12): mutated types, deleted and
// duplicated keys, huge numbers, bad regexps, anchors and aliases, deep nesting, non-UTF-8 bytes.
// Every input either loads into a config whose manifests are sound, or is refused with one
// ConfigError line naming a field; never another error, never a stack trace, and from the CLI
// exit 2. Seeds are fixed: a failure names its case, which replays.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';
import { ConfigError } from '../../common/index.js';
import { type KubeObject, loadFleetConfig, parseFleetConfig, synthesizeFleet } from '../../infra/index.js';
import { run } from '../support/run.js';
import { mulberry32, mutations, textMutation } from '../support/fuzz.js';
import { repoPath, tempDir } from './support.js';

const SEED = 20_261_126;
const EXAMPLES = ['one-app', 'fleet-20'].map((name) => readFileSync(repoPath('examples', `${name}.yaml`), 'utf8'));

/** Kubernetes' canonical quantity forms as synth prints them (no exponent, no fraction). */
const QUANTITY = /^\d+(m|Ki|Mi|Gi|Ti)?$/;

/** Every resource quantity of the synthesized objects (container resources, LimitRanges, quotas). */
function quantities(objects: readonly KubeObject[]): string[] {
  const found: string[] = [];
  const walk = (node: unknown, key: string): void => {
    if (typeof node === 'string' && /^(cpu|memory|ephemeral-storage|(requests|limits)\.(cpu|memory|ephemeral-storage))$/.test(key)) found.push(node);
    else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, k);
  };
  objects.forEach((o) => walk(o, ''));
  return found;
}

/** Either a sound config (its manifests synthesize, with canonical quantities) or a ConfigError naming a field. */
function checkOutcome(load: () => ReturnType<typeof parseFleetConfig>, label: string): 'accepted' | 'refused' {
  try {
    const config = load();
    const objects = synthesizeFleet(config).files.flatMap((f) => f.objects);
    for (const q of quantities(objects)) assert.match(q, QUANTITY, `${label}: quantity ${q} is not canonical`);
    return 'accepted';
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    assert.ok(error instanceof ConfigError, `${label}: ${error instanceof Error ? error.stack : String(error)}`);
    assert.ok(error.field.length > 0 && error.message.startsWith(`${error.field}: `), `${label}: no field in ${error.message}`);
    assert.doesNotMatch(error.message, /\n/, `${label}: more than one line`);
    return 'refused';
  }
}

test('fuzz: mutated fleet documents load soundly or are refused naming a field', () => {
  const rng = mulberry32(SEED);
  const counts = { accepted: 0, refused: 0 };
  for (const [e, text] of EXAMPLES.entries()) {
    for (const [i, doc] of mutations(parseYaml(text), rng, 300).entries()) {
      counts[checkOutcome(() => parseFleetConfig(doc), `example ${e} case ${i}: ${JSON.stringify(doc).slice(0, 300)}`)]++;
    }
  }
  // Both outcomes happen: the mutations neither all miss nor all break the config.
  assert.ok(counts.accepted > 25 && counts.refused > 250, JSON.stringify(counts));
});

test('fuzz: mutated fleet files (duplicate keys, aliases, bombs, nesting, bad bytes) load soundly or are refused naming a field', (t) => {
  const dir = tempDir(t);
  const rng = mulberry32(SEED + 1);
  for (const [e, text] of EXAMPLES.entries()) {
    for (let i = 0; i < 60; i++) {
      const bytes = textMutation(text, rng);
      const file = join(dir, `case-${e}-${i}.yaml`);
      writeFileSync(file, bytes);
      const label = `file case ${e}/${i}`;
      const outcome = checkOutcome(() => loadFleetConfig(file), label);
      // A file that is not UTF-8 is never read as something else.
      if (!isUtf8(bytes)) assert.equal(outcome, 'refused', `${label}: non-UTF-8 bytes were accepted`);
    }
  }
});

test('fuzz through the CLI: hello-cli synth exits 2 with one line naming a field, no stack trace', async (t) => {
  const dir = tempDir(t);
  const rng = mulberry32(SEED + 2);
  const docs = mutations(parseYaml(EXAMPLES[0]!), rng, 12);
  let refused = 0;
  for (const [i, doc] of docs.entries()) {
    const file = join(dir, `cli-${i}.yaml`);
    // Every third file is the valid example saved as Latin-1 with "café" in a comment: never read as UTF-8.
    const latin1 = Buffer.concat([Buffer.from('# owner: caf\xe9\n', 'latin1'), Buffer.from(EXAMPLES[0]!)]);
    writeFileSync(file, i % 3 === 2 ? latin1 : stringify(doc, { aliasDuplicateObjects: false }));
    const result = await run(process.execPath, [repoPath('dist', 'cli', 'main.js'), 'synth', '--config', file, '--out', join(dir, `out-${i}`)]);
    const notUtf8 = i % 3 === 2;
    if (result.code === 0 && !notUtf8) continue;
    refused++;
    assert.equal(result.code, 2, `case ${i}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, `case ${i}: stack trace`);
    assert.match(result.stderr, /^hello-cli: [^\s:]+: .+\n$/, `case ${i}: not one line naming a field: ${result.stderr}`);
  }
  assert.ok(refused >= 4, `refused ${refused}`);
});

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
