/**
 * The Node.js major every entry point needs. Checked before anything else is imported: on an
 * older Node, undici fails while loading (a TypeError about zstd) before any code of ours runs.
 */

/** Oldest Node.js major the toolkit runs on (undici 8 and commander 14 need it). */
export const REQUIRED_NODE_MAJOR = 24;

/**
 * Returns the one-line message to print when this Node.js is too old for `program`, or undefined
 * when it is new enough.
 */
export function nodeTooOld(program: string, version: string = process.version): string | undefined {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
  if (major >= REQUIRED_NODE_MAJOR) return undefined;
  return `${program}: Node.js ${REQUIRED_NODE_MAJOR} or newer is required, this is ${version}. Run it through npm (npm ci brings Node ${REQUIRED_NODE_MAJOR}) or install Node ${REQUIRED_NODE_MAJOR}.`;
}
