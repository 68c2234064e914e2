import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderYaml } from '../../infra/index.js';
import { requireTool } from '../support/tools.js';
import { SchemaValidator } from './schema-validator.js';
import { TOOLS_HINT, chartRenderings, findings, kubeLinter, renderChart, run, tempDir } from './support.js';

const validator = new SchemaValidator();

// What helm renders from the examples' charts, with their defaults and each environment's values
// file, passes the same checks as the YAML output: a values file cannot make the chart unsafe.
for (const rendering of chartRenderings()) {
  test(`chart rendering passes kube-score, kube-linter and the API schemas: ${rendering.name}`, async (t) => {
    const helm = requireTool(t, 'helm', TOOLS_HINT);
    const kubeScore = requireTool(t, 'kube-score', TOOLS_HINT);
    const kubeLinterBinary = requireTool(t, 'kube-linter', TOOLS_HINT);
    if (!helm || !kubeScore || !kubeLinterBinary) return;
    const objects = await renderChart(t, helm, rendering);
    assert.ok(objects.some((o) => o.kind === 'Deployment'), 'helm rendered the app');

    const file = join(tempDir(t), 'rendered.yaml');
    writeFileSync(file, renderYaml(objects));
    const score = await run(kubeScore, ['score', '--output-format', 'ci', file]).catch((e: { code: number; stdout: string; stderr: string }) => e);
    const scoreFindings = score.stdout.split('\n').filter((l) => /^\[(CRITICAL|WARNING)\]/.test(l));
    assert.deepEqual(scoreFindings, [], `kube-score findings:\n${scoreFindings.join('\n')}`);
    assert.ok(!('code' in score) || score.code === 0, `kube-score exited ${'code' in score ? score.code : 0}: ${score.stderr}`);

    assert.deepEqual(findings(await kubeLinter(kubeLinterBinary, file)), [], 'kube-linter');
    const problems = objects.flatMap((o) => validator.validate(o).map((e) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}: ${e}`));
    assert.deepEqual(problems, [], 'Kubernetes OpenAPI / CRD schemas');
  });
}
