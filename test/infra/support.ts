/** Shared helpers of the infra tests: example configs, synthesized objects, temp dirs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { type FleetConfig, type FleetManifests, type KubeObject, loadFleetConfig, parseFleetConfig, synthesizeFleet } from '../../infra/index.js';

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
