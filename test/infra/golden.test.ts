import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderYaml, synthesizeFleet } from '../../infra/index.js';
import { exampleConfig, repoPath } from './support.js';

// Golden YAML of the examples. After an intended change, regenerate with
//   UPDATE_GOLDEN=1 node_modules/.bin/node --test dist/test/infra/golden.test.js
// and review the diff like code.
const update = process.env.UPDATE_GOLDEN === '1';

for (const example of ['one-app', 'fleet-20'] as const) {
  test(`golden YAML: examples/${example}.yaml`, () => {
    const dir = repoPath('test', 'fixtures', 'infra', 'golden', example);
    const files = synthesizeFleet(exampleConfig(example)).files;
    if (update) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const f of files) writeFileSync(join(dir, f.name), renderYaml(f.objects));
    }
    assert.ok(existsSync(dir), `${dir} is missing; run with UPDATE_GOLDEN=1 once`);
    assert.deepEqual(readdirSync(dir).sort(), files.map((f) => f.name).sort(), 'file list');
    for (const f of files) {
      assert.equal(renderYaml(f.objects), readFileSync(join(dir, f.name), 'utf8'), `${example}/${f.name} differs from the golden file`);
    }
  });
}
