// Copies into an image's node_modules exactly the packages that compiled code imports, with their
// dependencies as package-lock.json resolves them, from a node_modules that `npm ci` filled.
// Used by the build stage of Dockerfile.prober, so the runtime stage carries the prober's
// dependencies (undici, prom-client, yaml, re2js and theirs) and none of the package's others.
//
//   node copy-runtime-deps.mjs PROJECT_DIR DEST_NODE_MODULES COMPILED_DIR...
//
// The imported package names come from the compiled files' static and dynamic import specifiers;
// a package the lockfile marks dev-only is an error (it would be missing in production).
// TypeScript declarations, source maps and Markdown are left out; licences are kept.
import console from 'node:console';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';

const [projectDir, destDir, ...compiledDirs] = process.argv.slice(2);
if (!projectDir || !destDir || compiledDirs.length === 0) {
  console.error('usage: copy-runtime-deps.mjs PROJECT_DIR DEST_NODE_MODULES COMPILED_DIR...');
  process.exit(2);
}

// TypeScript's own scanner (a devDependency, present in the build stage) finds the static and
// dynamic import specifiers; a regular expression mistook text in template literals for imports.
const ts = createRequire(join(projectDir, 'package.json'))('typescript');

/** Package names imported by the .js files under `dir`. */
function importedPackages(dir) {
  const names = new Set();
  for (const file of readdirSync(dir, { recursive: true })) {
    if (!String(file).endsWith('.js')) continue;
    const text = readFileSync(join(dir, String(file)), 'utf8');
    for (const { fileName: spec } of ts.preProcessFile(text, true, true).importedFiles) {
      if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) continue;
      const parts = spec.split('/');
      names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
    }
  }
  return names;
}

const lock = JSON.parse(readFileSync(join(projectDir, 'package-lock.json'), 'utf8'));
const packages = lock.packages ?? {};

/** Lockfile key of `name` as Node would resolve it from the package at `fromKey` ("" = root). */
function resolve(name, fromKey) {
  let base = fromKey;
  for (;;) {
    const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!base) return undefined;
    const at = base.lastIndexOf('node_modules/');
    base = at <= 0 ? '' : base.slice(0, at - 1);
  }
}

const needed = new Map(); // lockfile key -> entry
const queue = [];
for (const dir of compiledDirs) {
  for (const name of importedPackages(dir)) queue.push({ name, from: '', optional: false, by: dir });
}
while (queue.length > 0) {
  const { name, from, optional, by } = queue.shift();
  const key = resolve(name, from);
  if (!key) {
    if (optional) continue;
    throw new Error(`${name} (needed by ${by || 'the compiled code'}) is not in package-lock.json`);
  }
  if (needed.has(key)) continue;
  const entry = packages[key];
  if (entry.dev) throw new Error(`${name} is imported at run time (by ${by}) but package-lock.json marks it dev-only`);
  needed.set(key, entry);
  const peerMeta = entry.peerDependenciesMeta ?? {};
  for (const dep of Object.keys(entry.dependencies ?? {})) queue.push({ name: dep, from: key, optional: false, by: key });
  for (const dep of Object.keys(entry.optionalDependencies ?? {})) queue.push({ name: dep, from: key, optional: true, by: key });
  for (const dep of Object.keys(entry.peerDependencies ?? {})) {
    queue.push({ name: dep, from: key, optional: Boolean(peerMeta[dep]?.optional), by: key });
  }
}

const SKIP = /(\.d\.[cm]?ts|\.map|\.md)$/i;
for (const key of [...needed.keys()].sort()) {
  const source = join(projectDir, key);
  if (!existsSync(source)) throw new Error(`${key} is in package-lock.json but not installed (run npm ci first)`);
  const target = join(destDir, key.slice('node_modules/'.length));
  cpSync(source, target, {
    recursive: true,
    // A package's own node_modules holds nested versions: those needed are copied by their own key.
    filter: (path) =>
      !(SKIP.test(path) && !/licen[cs]e/i.test(path)) && !path.slice(source.length).includes('/node_modules'),
  });
  console.log(`${key.slice('node_modules/'.length)}@${needed.get(key).version}`);
}
