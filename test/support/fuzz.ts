/**
 * A small seeded fuzzer for the config loaders' tests: a replayable PRNG, and mutations of a
 * good config (as plain data) into the hostile shapes a loader must refuse in one line: values
 * of the wrong type, huge numbers, bad regular expressions, deleted, renamed and duplicated
 * keys, anchors and aliases (cyclic ones and bombs), deep nesting and bytes that are not UTF-8.
 * A failing case names its seed and mutation, so it can be replayed.
 */
import { Document, Pair, YAMLSeq, isMap, visit, type YAMLMap } from 'yaml';

/** A seeded source of randomness (mulberry32: small, fast, good enough to spread cases). */
export interface Random {
  /** A number in [0, 1). */
  next(): number;
  /** A whole number in [0, below). */
  int(below: number): number;
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number): number => Math.floor(next() * below);
  return { next, int, pick: (items) => items[int(items.length)] as (typeof items)[number] };
}

/** Values a loader meets where it expects something else: other types, extremes, bad patterns. */
export const ODD_VALUES: readonly unknown[] = [
  null, true, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, '', ' ', 'x'.repeat(5000), '(', '[z-a]', '(?<n>a)(?<n>b)', '*+',
  '\u0000\r\n', 'ünïcødé', '600h', '0.0001ms', '-5s', 'http://user:password@host/', [], [[]], [null], {}, { '': null }, JSON.parse('{"__proto__": 1}'),
];

/** One mutated config: its text (a Buffer when it is not UTF-8) and what was done, for the failure message. */
export interface Mutant {
  readonly text: string | Buffer;
  readonly what: string;
}

type Mutation = (doc: Document, random: Random) => string;

/** Every collection of the document (maps and lists), in document order. */
function collections(doc: Document): (YAMLMap | YAMLSeq)[] {
  const found: (YAMLMap | YAMLSeq)[] = [];
  visit(doc, { Map: (_, node) => void found.push(node), Seq: (_, node) => void found.push(node) });
  return found;
}

/** A map of the document with at least one key (the root when it is the only one). */
function someMap(doc: Document, random: Random): YAMLMap {
  const maps = collections(doc).filter((n): n is YAMLMap => isMap(n) && n.items.length > 0);
  return maps.length > 0 ? random.pick(maps) : (doc.contents as YAMLMap);
}

const MUTATIONS: Readonly<Record<string, Mutation>> = {
  'a value of another type': (doc, random) => {
    const node = random.pick(collections(doc));
    const item = node.items.length ? random.int(node.items.length) : 0;
    const value = doc.createNode(random.pick(ODD_VALUES));
    if (isMap(node) && node.items[item]) (node.items[item] as Pair).value = value;
    else node.items[item] = value as never;
    return `item ${item} of a ${node.constructor.name} set to ${JSON.stringify(value.toJSON())?.slice(0, 40)}`;
  },
  'a key deleted': (doc, random) => {
    const map = someMap(doc, random);
    const [pair] = map.items.splice(random.int(map.items.length), 1);
    return `key ${String(pair?.key)} deleted`;
  },
  'a key renamed': (doc, random) => {
    const pair = random.pick(someMap(doc, random).items) as Pair;
    const key = String(pair.key);
    pair.key = doc.createNode(`${key.slice(0, -1)}${key.slice(-1) === 's' ? '' : 's'}`);
    return `key ${key} renamed to ${String(pair.key)}`;
  },
  'a key duplicated': (doc, random) => {
    const map = someMap(doc, random);
    const pair = random.pick(map.items) as Pair;
    map.items.push(new Pair(doc.createNode(String(pair.key)), doc.createNode(random.pick(ODD_VALUES))));
    return `key ${String(pair.key)} duplicated`;
  },
  'an alias (maybe to an ancestor: a cycle)': (doc, random) => {
    // The alias goes in the source itself, inside it (a cycle) or after it: YAML wants the anchor first.
    const nodes = collections(doc);
    const at = random.int(nodes.length);
    const source = nodes[at] as YAMLMap | YAMLSeq;
    const targets = nodes.slice(at).filter((n): n is YAMLMap => isMap(n) && n.items.length > 0);
    if (targets.length === 0) return 'no map after the anchor';
    const target = random.pick(targets);
    (random.pick(target.items) as Pair).value = doc.createAlias(source);
    return `an alias of a ${source.constructor.name} put in ${target === source ? 'itself' : 'a later map'}`;
  },
  'an alias bomb': (doc, random) => {
    // Each level is ten aliases of the one before it, and every level is in the document, in
    // order, so each anchor comes before its aliases: the last one expands to 10^9 values.
    const levels = new YAMLSeq();
    let level: YAMLSeq = doc.createNode(Array.from({ length: 10 }, () => 'lol')) as YAMLSeq;
    levels.items.push(level);
    for (let i = 0; i < 8; i++) {
      const next = new YAMLSeq();
      // Named here: yaml names anchors from the document, which does not hold these levels yet.
      level.anchor = `bomb${i}x${random.int(1e9)}`;
      for (let j = 0; j < 10; j++) next.items.push(doc.createAlias(level));
      levels.items.push(next);
      level = next;
    }
    someMap(doc, random).items.push(new Pair(doc.createNode('bomb'), levels));
    return 'an alias bomb of 10^9 values';
  },
  'deep nesting': (doc, random) => {
    const pair = random.pick(someMap(doc, random).items) as Pair;
    let nested: unknown = 'deep';
    for (let i = 0; i < 200; i++) nested = [nested];
    pair.value = doc.createNode(nested);
    return `${String(pair.key)} nested 200 levels deep`;
  },
};

/**
 * Mutates `data` (a good config) once or twice and renders it as YAML; one case in ten also gets
 * a byte that is not UTF-8, one in twenty an undefined alias.
 */
export function mutateConfig(data: unknown, random: Random): Mutant {
  const doc = new Document(data);
  const done: string[] = [];
  for (let i = 1 + random.int(2); i > 0; i--) {
    const name = random.pick(Object.keys(MUTATIONS));
    done.push(`${name}: ${(MUTATIONS[name] as Mutation)(doc, random)}`);
  }
  let text: string;
  try {
    text = doc.toString({ lineWidth: 0 });
  } catch {
    // A later mutation dropped an anchored node: its alias is now undefined, a case of its own.
    return { text: `${new Document(data).toString()}dangling: *nowhere\n`, what: `${done.join('; ')}; an undefined alias` };
  }
  const tail = random.int(20);
  if (tail === 0) return { text: `${text}dangling: *nowhere\n`, what: `${done.join('; ')}; an undefined alias` };
  if (tail > 2) return { text, what: done.join('; ') };
  const at = random.int(text.length);
  const bytes = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([random.pick([0xff, 0xc3, 0x80, 0xfe])]), Buffer.from(text.slice(at))]);
  return { text: bytes, what: `${done.join('; ')}; a byte that is not UTF-8 at ${at}` };
}
