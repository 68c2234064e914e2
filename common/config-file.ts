/**
 * Reading a config file (YAML or JSON) safely, for every loader: the prober's blackbox.yml, the
 * fleet config and the bench results. Not re-exported by common/index.ts: it needs the `yaml`
 * package, and hello/ (which imports common/) has no dependency.
 *
 * What a hostile or careless file can do, and what stops it here:
 * - bytes that are not UTF-8: refused, instead of silently becoming U+FFFD;
 * - YAML syntax errors: one line with the position;
 * - an alias to its own ancestor (`a: &a [*a]`): refused, instead of a cyclic object that makes
 *   every later walk overflow the stack;
 * - an alias bomb (a few lines that expand to billions of values): refused by the expanded size,
 *   not by a count of aliases, so an honest file with many small aliases loads;
 * - nesting deeper than any config needs: refused before a walker overflows the stack.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError, NotFoundError, describeError, quoteValue } from './errors.js';

/** Most values a config may hold once its aliases are expanded. The 20-app fleet example holds ~1,500. */
export const MAX_EXPANDED_VALUES = 200_000;

/** Deepest nesting a config may have. The deepest real config (a prober module) nests 6 levels. */
export const MAX_DEPTH = 64;

/**
 * Reads a config file as text.
 * @throws NotFoundError when it cannot be read; ConfigError when it is not UTF-8.
 */
export function readConfigText(file: string, what = 'config file'): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new NotFoundError(`${what} ${quoteValue(file)} cannot be read (${typeof code === 'string' ? code : describeError(error)})`, { cause: error });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError(file, 'is not valid UTF-8 text; save it as UTF-8');
  }
}

/**
 * Parses YAML (JSON is YAML) into plain data, refusing duplicate keys, cyclic aliases, alias bombs
 * and absurd nesting. Errors name the field `yaml` (syntax) or the dotted path of the problem.
 */
export function parseConfigYaml(text: string): unknown {
  let data: unknown;
  try {
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    const problem = doc.errors[0];
    if (problem) {
      const line = (problem.message.split('\n')[0] ?? problem.code).replace(/:$/, '');
      // yaml reports its own stack overflow on absurd nesting as a parse error; say what it means.
      throw new ConfigError('yaml', line.replace(/^Maximum call stack size exceeded/, `nested deeper than ${MAX_DEPTH} levels`));
    }
    // Aliases come back as shared references, not copies; checkShape bounds their expanded size.
    data = doc.toJS({ maxAliasCount: -1 });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // The parser's own recursion on absurd nesting, or an alias it cannot resolve.
    throw new ConfigError('yaml', error instanceof RangeError ? `nested deeper than ${MAX_DEPTH} levels` : describeError(error));
  }
  checkShape(data);
  return data ?? undefined;
}

/**
 * Walks `data` as the validators will (aliases expanded), refusing cycles, more than
 * {@link MAX_EXPANDED_VALUES} values and nesting past {@link MAX_DEPTH}.
 */
export function checkShape(data: unknown): void {
  let budget = MAX_EXPANDED_VALUES;
  const ancestors = new Set<object>();
  const walk = (value: unknown, path: string, depth: number): void => {
    if (--budget < 0) {
      throw new ConfigError(path || '(top level)', `expands to more than ${MAX_EXPANDED_VALUES} values through YAML aliases; a config this large is a mistake or an attack`);
    }
    if (value === null || typeof value !== 'object') return;
    if (ancestors.has(value)) throw new ConfigError(path || '(top level)', 'refers to itself through a YAML alias; an alias may only point to a node outside itself');
    if (depth > MAX_DEPTH) throw new ConfigError(path || '(top level)', `is nested deeper than ${MAX_DEPTH} levels`);
    ancestors.add(value);
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
    for (const [key, child] of entries) walk(child, Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${String(key)}` : String(key), depth + 1);
    ancestors.delete(value);
  };
  walk(data, '', 0);
}

/** Reads and parses a YAML or JSON config file: {@link readConfigText} then {@link parseConfigYaml}. */
export function loadConfigFile(file: string, what?: string): unknown {
  return parseConfigYaml(readConfigText(file, what));
}
