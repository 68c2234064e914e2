/** Shared helpers of the infra tests: example configs, synthesized objects, temp dirs, helm renderings. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import assert from 'node:assert/strict';
import { run as runWithInput } from '../support/run.js';
import {
  type FleetConfig, type FleetManifests, type KubeObject, loadFleetConfig, parseFleetConfig, synthesizeFleet, writeHelmChart,
} from '../../infra/index.js';

/** The repository root (tests run from dist/test/infra/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Path of a file in the repository. */
export function repoPath(...parts: string[]): string {
  return join(ROOT, ...parts);
}

/** The parsed example config `examples/<name>.yaml`. */
export function exampleConfig(name: 'one-app' | 'fleet-20'): FleetConfig {
  return loadFleetConfig(repoPath('examples', `${name}.yaml`));
}

/** A minimal valid config input with one app, overridable. */
export function minimalInput(overrides: Record<string, unknown> = {}, app: Record<string, unknown> = {}): Record<string, unknown> {
  return { fleet: 'test', apps: [{ name: 'web', host: 'web.example.com', image: 'ghcr.io/acme/hello:1.2.3', ...app }], ...overrides };
}

/** Synthesizes a config input (parsed first). */
export function synth(input: Record<string, unknown>): FleetManifests {
  return synthesizeFleet(parseFleetConfig(input));
}

/** Every object of every file. */
export function allObjects(manifests: FleetManifests): KubeObject[] {
  return manifests.files.flatMap((f) => f.objects);
}

/** Synthesized objects are plain JSON; tests read deep fields without restating the k8s types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** The one object of `kind` (and `name`, when given); fails when there is not exactly one. */
export function findOne(objects: readonly KubeObject[], kind: string, name?: string): Json {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
}

/** A temporary directory removed after the test. */
export function tempDir(t: TestContext, prefix = 'hello-edge-infra-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** execFile as a promise. */
export const run = promisify(execFile);

/** How to get helm and kube-score, for requireTool. */
export const TOOLS_HINT = 'built by bash test/cluster/build.sh tools into $HELLO_EDGE_CACHE/bin';

/** Kinds of the objects a chart renders only when it creates its namespaces. */
export const NAMESPACE_KINDS: readonly string[] = ['Namespace', 'LimitRange', 'ResourceQuota'];

/** `helm template` of the chart in `dir` with `args`, as objects. */
export async function helmTemplate(helm: string, dir: string, args: readonly string[] = []): Promise<KubeObject[]> {
  const { stdout } = await run(helm, ['template', 'release', dir, ...args], { maxBuffer: 64 * 2 ** 20 });
  return parseAllDocuments(stdout).map((d) => d.toJS() as KubeObject).filter((o) => o !== null);
}

/** The error output of a `helm template` that must fail; throws when it succeeds. */
export async function helmFailure(helm: string, dir: string, args: readonly string[]): Promise<string> {
  const result = await run(helm, ['template', 'release', dir, ...args], { maxBuffer: 64 * 2 ** 20 })
    .catch((e: { code: number; stderr: string }) => e);
  if (!('code' in result) || result.code === 0) throw new Error(`helm template ${args.join(' ')} succeeded; it must fail`);
  return result.stderr;
}

/** The environments of the example values files, `examples/values/<example>-<environment>.yaml`. */
export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;

/** One rendering of an example's chart: helm arguments naming the release namespace and values file. */
export interface ChartRendering {
  readonly name: string;
  readonly example: 'one-app' | 'fleet-20';
  readonly args: readonly string[];
}

/**
 * Every chart rendering the linters check: each example's chart with its default values (a
 * one-app chart creating its namespace, so those objects are checked too) and with each
 * environment's values file.
 */
export function chartRenderings(): ChartRendering[] {
  return (['one-app', 'fleet-20'] as const).flatMap((example) => [undefined, ...ENVIRONMENTS].map((env) => {
    const namespace = example === 'one-app' ? ['--namespace', `hello-${env ?? 'default-values'}`] : [];
    const values = env ? ['--values', repoPath('examples', 'values', `${example}-${env}.yaml`)] : ['--set', example === 'one-app' ? 'namespace.create=true' : 'namespaces.create=true'];
    return { name: `${example} chart, ${env ? `${env} values` : 'default values'}`, example, args: [...namespace, ...values] };
  }));
}

/** The objects of a chart rendering: the example's chart, written into a temporary directory, rendered by helm. */
export async function renderChart(t: TestContext, helm: string, rendering: ChartRendering): Promise<KubeObject[]> {
  const dir = tempDir(t, 'hello-edge-chart-');
  writeHelmChart(exampleConfig(rendering.example), dir);
  return helmTemplate(helm, dir, rendering.args);
}

/** The repository's kube-linter config: every built-in check but the listed exclusions. */
export const KUBE_LINTER_CONFIG = repoPath('.kube-linter.yaml');

export interface KubeLinterReport {
  readonly Check: string;
  readonly Diagnostic: { readonly Message: string };
  readonly Object: { readonly K8sObject: { readonly Namespace: string; readonly Name: string; readonly GroupVersionKind: { readonly Kind: string } } };
}

export interface KubeLinterOutput {
  readonly Checks: readonly { readonly name: string }[];
  readonly Reports: readonly KubeLinterReport[] | null;
}

/** kube-linter with the repository's config on `target` (a directory, or "-" to read `input`). */
export async function kubeLinter(binary: string, target: string, input?: string): Promise<KubeLinterOutput> {
  const result = await runWithInput(binary, ['lint', '--config', KUBE_LINTER_CONFIG, '--format', 'json', target], { input });
  // 0: no finding; 1: findings, listed in the JSON; anything else (or no JSON) is kube-linter failing.
  assert.ok(result.code === 0 || result.code === 1, `kube-linter exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as KubeLinterOutput;
}

/** One line per finding: check, object and kube-linter's message. */
export function findings(output: KubeLinterOutput): string[] {
  return (output.Reports ?? []).map((r) => {
    const o = r.Object.K8sObject;
    return `${r.Check}: ${o.GroupVersionKind.Kind} ${o.Namespace}/${o.Name}: ${r.Diagnostic.Message}`;
  });
}

