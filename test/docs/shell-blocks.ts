/**
 * The command lines of a Markdown page: what a reader would paste from its fenced shell blocks
 * (```sh, ```bash, ```shell, ```console). Continuation lines (`\`) are joined, trailing
 * `# comments` dropped, blank and comment-only lines skipped, a `for ... done` (or `if ... fi`)
 * kept as one command; in ```console blocks only `$ ` lines are commands, the rest is output.
 */

/** One command as a reader would paste it. */
export interface DocCommand {
  /** Path of the page, as given. */
  readonly file: string;
  /** 1-based line of the command's first line in the page. */
  readonly line: number;
  /** The command without comments; a compound command keeps its lines, joined by newlines. */
  readonly text: string;
}

/** A fenced block without a language whose lines look like commands: it escapes the extraction. */
export interface UntaggedCommandBlock {
  readonly file: string;
  readonly line: number;
  readonly firstCommand: string;
}

const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console']);
const FENCE = /^\s*(```+|~~~+)\s*([\w+-]*)/;
// What a shell command in these docs starts with, unindented; a diagram line never does.
const COMMAND_START = /^(\$ )?(npm|npx|node|hello-cli|curl|kubectl|helm|docker|buildah|git|bash|apt-get|test\/\S+\.sh)\s/;
const OPENS_COMPOUND = /^(for|while|until|if|case)\b/;
const CLOSES_COMPOUND = /(^|;\s*)(done|fi|esac)\b/;

interface Fence {
  readonly language: string;
  readonly line: number;
  readonly body: { readonly text: string; readonly line: number }[];
}

/** The fenced blocks of a page, with their language (empty when none) and body lines. */
function fencedBlocks(markdown: string): Fence[] {
  const blocks: Fence[] = [];
  let open: { marker: string; fence: Fence } | undefined;
  markdown.split('\n').forEach((text, index) => {
    const fence = FENCE.exec(text);
    if (open) {
      if (fence && fence[1]!.startsWith(open.marker) && fence[2] === '') {
        blocks.push(open.fence);
        open = undefined;
      } else open.fence.body.push({ text, line: index + 1 });
    } else if (fence) open = { marker: fence[1]!, fence: { language: fence[2]!.toLowerCase(), line: index + 1, body: [] } };
  });
  return blocks;
}

/**
 * `line` without its trailing comment: a `#` at the start or after whitespace, outside quotes
 * (so `'...#anchor'` and `$#` stay).
 */
export function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && quote !== "'") i++;
    else if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

/** The commands of one shell block, lines joined across `\` and compound statements. */
function blockCommands(file: string, fence: Fence): DocCommand[] {
  const commands: DocCommand[] = [];
  let pending: { line: number; parts: string[]; depth: number; continued: boolean } | undefined;
  for (const { text: raw, line } of fence.body) {
    let text = raw;
    if (fence.language === 'console' && !pending) {
      if (!raw.startsWith('$ ')) continue;
      text = raw.slice(2);
    }
    text = stripComment(text).trim();
    if (!pending && text === '') continue;
    const continued = text.endsWith('\\');
    if (continued) text = text.slice(0, -1).trimEnd();
    if (pending?.continued) pending.parts[pending.parts.length - 1] += ` ${text}`;
    else if (pending) pending.parts.push(text);
    else pending = { line, parts: [text], depth: 0, continued };
    pending.continued = continued;
    if (!continued) {
      const logical = pending.parts[pending.parts.length - 1]!;
      if (OPENS_COMPOUND.test(logical)) pending.depth++;
      if (CLOSES_COMPOUND.test(logical)) pending.depth--;
    }
    if (!pending.continued && pending.depth <= 0) {
      commands.push({ file, line: pending.line, text: pending.parts.filter((p) => p !== '').join('\n') });
      pending = undefined;
    }
  }
  if (pending) commands.push({ file, line: pending.line, text: pending.parts.join('\n') });
  return commands;
}

/** Every command of the page's shell blocks, in page order. */
export function extractCommands(file: string, markdown: string): DocCommand[] {
  return fencedBlocks(markdown)
    .filter((fence) => SHELL_LANGUAGES.has(fence.language))
    .flatMap((fence) => blockCommands(file, fence));
}

/** Blocks fenced without a language that hold a line starting like a command. */
export function untaggedCommandBlocks(file: string, markdown: string): UntaggedCommandBlock[] {
  return fencedBlocks(markdown).flatMap((fence) => {
    const first = fence.language === '' ? fence.body.find(({ text }) => COMMAND_START.test(text)) : undefined;
    return first ? [{ file, line: fence.line, firstCommand: first.text.trim() }] : [];
  });
}
