/**
 * Offline schema validation of synthesized objects: core kinds against the Kubernetes OpenAPI
 * definitions kept in test/fixtures/infra (extracted from k8s.io/kubernetes, see its `source`),
 * custom resources against the `openAPIV3Schema` of the CRD files in infra/crds/. Stricter than
 * the API server in one way, like `kubeconform -strict`: unknown fields are errors.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../infra/index.js';
import { repoPath } from './support.js';
import type { Json } from './support.js';

// ajv-formats is CommonJS with a default export; under NodeNext its namespace object is what we get.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** File of the extracted Kubernetes definitions. */
export const K8S_OPENAPI_FILE = 'test/fixtures/infra/k8s-openapi-v1.35.4.json';

/** Validates objects by apiVersion + kind; unknown kinds are reported as errors. */
export class SchemaValidator {
  private readonly byKind = new Map<string, ValidateFunction>();

  constructor() {
    const ajv = new Ajv({ strict: false, allErrors: true, logger: false, code: { regExp: goRegExp } });
    addFormats(ajv);
    const spec = JSON.parse(readFileSync(repoPath(K8S_OPENAPI_FILE), 'utf8')) as { definitions: Record<string, Json> };
    const definitions = strictCore(spec.definitions);
    ajv.addSchema({ $id: 'k8s', definitions });
    for (const [name, def] of Object.entries(definitions)) {
      for (const gvk of (def['x-kubernetes-group-version-kind'] ?? []) as { group: string; version: string; kind: string }[]) {
        const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
        if (!def.properties?.metadata) continue;
        this.byKind.set(`${apiVersion}/${gvk.kind}`, ajv.compile({ $ref: `k8s#/definitions/${name}` }));
      }
    }
    const crdDir = repoPath('infra', 'crds');
    for (const file of readdirSync(crdDir).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(crdDir, file), 'utf8'))) {
        const crd = doc.toJS() as Json;
        if (crd?.kind !== 'CustomResourceDefinition') continue;
        for (const version of crd.spec.versions) {
          const schema = strictCrd(structuredClone(version.schema.openAPIV3Schema));
          // metadata of a custom resource is validated like any ObjectMeta.
          schema.properties.metadata = { $ref: 'k8s#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' };
          this.byKind.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(schema));
        }
      }
    }
  }

  /** Error messages for one object (empty when valid). */
  validate(object: KubeObject): string[] {
    const validate = this.byKind.get(`${object.apiVersion}/${object.kind}`);
    if (!validate) return [`no schema for ${object.apiVersion} ${object.kind}`];
    if (validate(object)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
  }

  /** The apiVersion/kind pairs known. */
  kinds(): string[] {
    return [...this.byKind.keys()];
  }
}

// CRD patterns are Go regular expressions; the one Go-only construct they use is the (?i) flag.
function goRegExp(pattern: string, flags: string): RegExp {
  return pattern.includes('(?i)') ? new RegExp(pattern.replaceAll('(?i)', ''), `${flags}i`) : new RegExp(pattern, flags);
}
goRegExp.code = 'goRegExp';

// Kubernetes' swagger: IntOrString and Quantity are declared as strings but take numbers too;
// objects with declared properties get additionalProperties: false (unknown fields are errors).
function strictCore(definitions: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [name, def] of Object.entries(definitions)) {
    if (name === 'io.k8s.apimachinery.pkg.util.intstr.IntOrString') out[name] = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
    else if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') out[name] = { anyOf: [{ type: 'string' }, { type: 'number' }] };
    else out[name] = rewriteRefs(def.properties && def.additionalProperties === undefined ? { ...def, additionalProperties: false } : def);
  }
  return out;
}

function rewriteRefs(node: Json): Json {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/definitions/', 'k8s#/definitions/') : rewriteRefs(v);
    return out;
  }
  return node;
}

// CRD structural schemas: x-kubernetes-int-or-string means string or integer; objects with
// properties and no preserve-unknown-fields reject unknown fields.
function strictCrd(node: Json): Json {
  if (Array.isArray(node)) return node.map(strictCrd);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strictCrd(s)])) : strictCrd(v);
  if (out['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [{ type: 'string' }, { type: 'integer' }];
  }
  if (out.properties && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  return out;
}
