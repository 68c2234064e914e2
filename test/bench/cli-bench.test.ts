// hello-cli bench as a user runs it: argument errors exit 2 with a message naming the value;
// --compare reads results files and says whether they agree (text and --json).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SERVER_CPU_QUOTA_MILLICORES } from '../../bench/index.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../../test/fixtures/bench/results-v1.json', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, 'bench', ...args], { encoding: 'utf8', timeout: 30_000 });

test('bad arguments fail before any load and name the value', () => {
  // commander's own option errors exit 1 (as for every command); ours exit 2.
  const table: [string[], RegExp][] = [
    [['ftp://example'], /URL "ftp:\/\/example" is not allowed; use an http\(s\) URL/],
    [['--cpu-quota', 'lots'], /--cpu-quota "lots" is not allowed; use millicores like "500m"/],
    [['--slo-latency', '25'], /--slo-latency: "25" is not a duration/],
    [['--cpu-limit', 'half'], /--cpu-limit "half" is not allowed; use none, double or equal/],
    [['--growth', '-1'], /--growth "-1" is not allowed/],
  ];
  for (const [args, message] of table) {
    const r = cli(...args);
    assert.ok(r.status === 1 || r.status === 2, `${args.join(' ')}: status ${r.status}, ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '', 'nothing on stdout');
  }
});

test('--compare: a table and a verdict; --json for scripts', () => {
  const text = cli('--compare', SAMPLE, SAMPLE, SAMPLE);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /targetCPUUtilizationPercentage\s+65\s+65\s+65\s+65\s+0\.0%\s+yes/);
  assert.match(text.stdout, /The recommendations agree within 10%\./);
  const json = cli('--compare', SAMPLE, SAMPLE, '--json');
  assert.equal(json.status, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).agree, true);
  const missing = cli('--compare', '/nonexistent/run.json');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /bench results \/nonexistent\/run\.json: cannot read \(ENOENT\)/);
});

test('--help states the quota the bench really uses by default', () => {
  // The CLI loads bench/ only when the command runs, so its help text cannot read the constant.
  const help = cli('--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, new RegExp(`default:\\s+${DEFAULT_SERVER_CPU_QUOTA_MILLICORES}m;`));
});

test('--from: a new recommendation from an earlier run\'s measurements, with other inputs', () => {
  const quiet = JSON.parse(cli('--from', SAMPLE, '--peak-rps', '500', '--json').stdout) as { inputs: { peakRps: number }; recommendation: { resources: { cpuRequestMillicores: number }; hpa: { minReplicas: number; maxReplicas: number } } };
  const busy = JSON.parse(cli('--from', SAMPLE, '--peak-rps', '50000', '--json').stdout) as typeof quiet;
  assert.equal(quiet.inputs.peakRps, 500);
  assert.equal(busy.inputs.peakRps, 50_000);
  // The same measurements: the quiet service gets smaller pods, the busy one more of them.
  assert.ok(quiet.recommendation.resources.cpuRequestMillicores < busy.recommendation.resources.cpuRequestMillicores, JSON.stringify([quiet.recommendation, busy.recommendation]));
  assert.ok(quiet.recommendation.hpa.maxReplicas > quiet.recommendation.hpa.minReplicas);
  assert.ok(busy.recommendation.hpa.maxReplicas > quiet.recommendation.hpa.maxReplicas);
  const text = cli('--from', SAMPLE, '--peak-rps', '500');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /HPA: min \d+, max \d+, target CPU \d+%/);
});
