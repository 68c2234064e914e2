/**
 * Synth time of a fleet of N apps (a benchmark, not a test): in-process parse + synthesize +
 * render to YAML, median of repeated runs after one warm-up, plus the Helm chart; and the whole
 * `hello-cli synth` process for examples/fleet-20.yaml (cold start included).
 *
 * Usage: npm run bench:synth [-- 20 100]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFleetConfig, renderHelmChart, renderYaml, synthesizeFleet } from '../index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUNS = 5;

function fleetInput(n: number): Record<string, unknown> {
  return { fleet: 'bench', apps: Array.from({ length: n }, (_, i) => ({ name: `app-${i}`, host: `app-${i}.example.com`, image: 'ghcr.io/hello-edge/hello:0.1.0' })) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function time(fn: () => unknown): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const n of sizes.length ? sizes : [20, 100]) {
  const input = fleetInput(n);
  const yaml = () => {
    const m = synthesizeFleet(parseFleetConfig(input));
    return m.files.map((f) => renderYaml(f.objects)).join('');
  };
  const helm = () => renderHelmChart(parseFleetConfig(input));
  yaml();
  const yamlMs = Array.from({ length: RUNS }, () => time(yaml));
  helm();
  const helmMs = Array.from({ length: RUNS }, () => time(helm));
  process.stdout.write(`${n} apps: yaml median ${median(yamlMs).toFixed(0)} ms (min ${Math.min(...yamlMs).toFixed(0)}, max ${Math.max(...yamlMs).toFixed(0)}); helm median ${median(helmMs).toFixed(0)} ms (min ${Math.min(...helmMs).toFixed(0)}, max ${Math.max(...helmMs).toFixed(0)}) over ${RUNS} runs\n`);
}

const out = mkdtempSync(join(tmpdir(), 'bench-synth-'));
try {
  const cli = join(ROOT, 'dist', 'cli', 'main.js');
  const cold = Array.from({ length: RUNS }, () => time(() => execFileSync(process.execPath, [cli, 'synth', '--config', join(ROOT, 'examples', 'fleet-20.yaml'), '--out', out], { stdio: 'ignore' })));
  process.stdout.write(`hello-cli synth examples/fleet-20.yaml (whole process): median ${median(cold).toFixed(0)} ms (min ${Math.min(...cold).toFixed(0)}, max ${Math.max(...cold).toFixed(0)}) over ${RUNS} runs\n`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
