/**
 * A small, seeded fuzzer for config loaders: a deterministic PRNG and mutators over a parsed
 * document (types changed, keys deleted or renamed, huge numbers, bad regexps, deep nesting) and
 * over its YAML text (duplicated keys, anchors and aliases, an alias bomb, non-UTF-8 bytes). The
 * same seed gives the same cases, so a failure names its case and can be replayed.
 */
import { createRandom } from '../../bench/index.js';

/** A PRNG returning numbers in [0, 1). */
export type Rng = () => number;

/** mulberry32 (bench's seeded PRNG): tiny, fast, good enough to pick mutations, and reproducible. */
export const mulberry32: (seed: number) => Rng = createRandom;

/** A random element of a non-empty list. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}

/** Values a mutated leaf may take: wrong types, edge numbers, strings that break parsers. */
export const HOSTILE_VALUES: readonly unknown[] = [
  null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, 1e20, Number.MAX_SAFE_INTEGER,
  '', ' ', '99999999999999999999', '1e+23m', '-5', 'NaN', 'Infinity', '9999999h', '0s', '1ms', '-1s',
  '(', '[a-', '*', '\\', '../../etc/passwd', '/..', 'a'.repeat(300), 'kube-system', 'default', '10.0.0.1', '999.0.0.0/99',
  '\u0000', '\u202e', 'ä', '__proto__', [], {}, [[[]]], { a: { b: { c: {} } } },
];

type Container = Record<string, unknown> | unknown[];

/** Every container in `doc` with the keys of its children, for picking a spot to mutate. */
function spots(doc: unknown): { parent: Container; key: string | number }[] {
  const found: { parent: Container; key: string | number }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach((child, i) => (found.push({ parent: node, key: i }), walk(child)));
    else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        found.push({ parent: node as Record<string, unknown>, key });
        walk(child);
      }
    }
  };
  walk(doc);
  return found;
}

/** Nests `value` `depth` levels deep in maps and lists. */
function nest(value: unknown, depth: number): unknown {
  let out = value;
  for (let i = 0; i < depth; i++) out = i % 2 === 0 ? { x: out } : [out];
  return out;
}

/** One structural mutation, applied in place. */
function mutateOnce(doc: unknown, rng: Rng): void {
  const all = spots(doc);
  if (all.length === 0) return;
  const { parent, key } = pick(rng, all);
  const target = parent as Record<string | number, unknown>;
  switch (Math.floor(rng() * 6)) {
    case 0: target[key] = structuredClone(pick(rng, HOSTILE_VALUES)); break;
    case 1: if (Array.isArray(parent)) parent.splice(key as number, 1); else delete target[key]; break;
    case 2: if (!Array.isArray(parent)) target[`${String(key)}x`] = target[key]; break; // a typo'd duplicate
    case 3: target[key] = nest(target[key], 1 + Math.floor(rng() * 200)); break;
    case 4: target[key] = typeof target[key] === 'string' ? (target[key] as string).repeat(1 + Math.floor(rng() * 50)) : String(target[key]); break;
    default: if (Array.isArray(parent)) parent.push(structuredClone(parent[key as number])); else target[key] = [target[key]]; break;
  }
}

/** `n` mutated copies of `doc`, each with one to three mutations. */
export function mutations(doc: unknown, rng: Rng, n: number): unknown[] {
  return Array.from({ length: n }, () => {
    const copy = structuredClone(doc);
    const times = 1 + Math.floor(rng() * 3);
    for (let i = 0; i < times; i++) mutateOnce(copy, rng);
    return copy;
  });
}

/**
 * One mutation of a YAML text, as bytes: a duplicated line (duplicate keys), an anchor and an
 * alias to its own ancestor, an alias bomb, deep flow nesting, invalid UTF-8, or a cut file.
 */
export function textMutation(text: string, rng: Rng): Buffer {
  const lines = text.split('\n');
  const at = Math.floor(rng() * lines.length);
  switch (Math.floor(rng() * 6)) {
    case 0: lines.splice(at, 0, lines[at] ?? ''); break;
    case 1: lines.push('cycle: &c', '  self: *c'); break;
    case 2: lines.unshift('a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 7 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)); break;
    case 3: lines.push(`deep: ${'['.repeat(5000)}${']'.repeat(5000)}`); break;
    case 4: {
      const bytes = Buffer.from(text, 'utf8');
      const cut = Math.floor(rng() * bytes.length);
      return Buffer.concat([bytes.subarray(0, cut), Buffer.from([pick(rng, [0xff, 0xc3, 0xe2, 0x80])]), bytes.subarray(cut)]);
    }
    default: return Buffer.from(text.slice(0, Math.floor(rng() * text.length)), 'utf8');
  }
  return Buffer.from(lines.join('\n'), 'utf8');
}
