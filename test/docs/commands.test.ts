/**
 * Docs that are true: every command in a fenced shell block of README.md and docs/*.md either runs
 * here, offline, or is skipped for a reason written in RULES below. A command no rule matches
 * fails the first test, so a new page cannot add commands that nothing checks.
 *
 * The commands run as a reader would paste them: `bash -c` in a copy of the repository (built
 * with `npm run build`, node_modules linked), with the PATH of a shell outside npm (no
 * node_modules/.bin), inside a network namespace of the test's own: nothing in the repository
 * changes, nothing reaches the network, and the fixed ports the docs use (8080, 9115) are free.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { insideTestNetns, rerunInNetns } from '../prober/support.js';
import { requireTool } from '../support/tools.js';
import { extractCommands, untaggedCommandBlocks, type DocCommand } from './shell-blocks.js';

/** What the test does with a command. */
type Handling =
  /** (a) runs offline here and must exit 0. */
  | 'runs'
  /** (b) a server: started, must print its URL (or log "listening"), then stopped with Ctrl-C. */
  | 'server'
  /** (a) talks to hello on :8080 and the prober on :9115: runs while the docs' `npm start` runs. */
  | 'client'
  /** (c) cannot run offline or here: `reason` says why. */
  | 'skipped';

interface Rule {
  readonly match: RegExp;
  readonly handling: Handling;
  readonly reason: string;
  /**
   * System tools the command needs: skipped without them locally, a failure under CI=true; their
   * directories (the tool cache too) go on the command's PATH.
   */
  readonly tools?: readonly string[];
  /** A server whose run also runs the client commands (it is hello on :8080 plus the prober on :9115). */
  readonly servesClients?: boolean;
}

/** First match wins: the skips come first, so a placeholder in a runnable command still skips it. */
const RULES: readonly Rule[] = [
  { match: /OWNER\/REPO|<[a-z][\w -]*[a-z]>/i, handling: 'skipped', reason: "needs the user's value (a placeholder such as OWNER/REPO or <server pid>)" },
  { match: /^npm ci\b/, handling: 'skipped', reason: 'installs node_modules from the npm registry; this test runs on the tree npm ci made' },
  { match: /^npm test\b/, handling: 'skipped', reason: 'the whole suite (about 5 minutes), which runs this test' },
  { match: /^apt-get\b/, handling: 'skipped', reason: 'installs system packages (root and a Debian mirror)' },
  { match: /\bdocker\b/, handling: 'skipped', reason: 'needs Docker with BuildKit (not installed here); test/images builds the same Dockerfiles with buildah' },
  { match: /\b(buildah|docker|skopeo|helm|podman) (push|login)\b|pin-base-digests\.sh/, handling: 'skipped', reason: "talks to a registry (push, login, or the base images' current digests)" },
  { match: /^git diff Dockerfile/, handling: 'skipped', reason: 'shows what pin-base-digests.sh (a registry, above) rewrote' },
  { match: /^(VERSION|REVISION|SOURCE_DATE_EPOCH|REPO)=/, handling: 'skipped', reason: 'sets variables for the release image builds that follow (Docker, or buildah and a registry)' },
  { match: /\bnode(_modules\/\.bin\/node)? --test\b/, handling: 'skipped', reason: 'test files that npm test runs too, some for minutes (image builds, a control plane)' },
  { match: /\bbuildah bud\b|test\/images\/[\w-]+\.sh|npm run images:/, handling: 'skipped', reason: "builds images into buildah's storage, minutes each; npm test runs the test/images tier" },
  {
    match: /--context\b|\bhello-cli (deploy|diff|destroy)\b|\bkubectl\b|\bhelm (install|upgrade|uninstall|rollback)\b/,
    handling: 'skipped',
    reason: 'needs a Kubernetes cluster; test/infra/deploy runs deploy, diff and destroy against a local control plane',
  },
  { match: /\bhello-cli check-monitoring\b.*--prometheus\b/, handling: 'skipped', reason: 'needs a Prometheus that scrapes the fleet' },
  { match: /(\bhello-cli|\bnode dist\/cli\/main\.js) bench\b.*--(compare|from)\b/, handling: 'skipped', reason: 'reads the results files of earlier bench runs (the bench commands write them)' },
  {
    match: /\bnpm run bench\b|(\bhello-cli|\bnode dist\/cli\/main\.js) bench\b/,
    handling: 'skipped',
    reason: 'a measurement: 1-10 minutes of both cores, and its verdict needs a quiet machine; test/bench covers the pipeline',
  },
  { match: /\/etc\/hello-prober\//, handling: 'skipped', reason: "the image's entry point: its config path exists inside the prober image, where test/images runs it" },
  { match: /(^|\s)(-c|--config|--config\.file)(\s+|=)(?!examples\/)[^-\s]/, handling: 'skipped', reason: "needs the user's config file (the repository ships examples/)" },

  { match: /^npm run build$/, handling: 'runs', reason: 'compiles to dist/' },
  { match: /^(npx )?hello-cli (synth|cost)\b/, handling: 'runs', reason: 'reads examples/, writes manifests or prints a report' },
  { match: /^(npx )?hello-cli prober\b.*--config\.check\b/, handling: 'runs', reason: 'checks a config and exits' },
  { match: /^(npx )?hello-cli\b.*\s(--help|--version)\b/, handling: 'runs', reason: 'prints and exits' },
  {
    match: /^(helm (lint|template)|kube-score score|kube-linter lint)\b/,
    handling: 'runs',
    tools: ['helm', 'kube-score', 'kube-linter'],
    reason: 'lints or renders what synth wrote, offline (bash test/cluster/build.sh builds the three)',
  },

  { match: /^npm start$|^(npx )?hello-cli dev\b/, handling: 'server', servesClients: true, reason: 'hello on :8080 and the prober on :9115 until Ctrl-C' },
  { match: /^(npx )?hello-cli (serve|prober)\b/, handling: 'server', reason: 'a server until Ctrl-C' },

  { match: /^curl\b.*\b(127\.0\.0\.1|localhost):(8080|9115)\b/, handling: 'client', tools: ['curl'], reason: 'asks hello or the prober' },
  { match: /^(npx )?hello-cli probe https?:\/\/(127\.0\.0\.1|localhost):8080\//, handling: 'client', reason: 'probes hello' },
];

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const PAGES = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const markdown = (page: string): string => readFileSync(join(REPO, page), 'utf8');
const COMMANDS = PAGES.flatMap((page) => extractCommands(page, markdown(page)));

const classify = (text: string): Rule | undefined => RULES.find((rule) => rule.match.test(text));
const where = (command: DocCommand): string => `${command.file}:${command.line}`;

/** The distinct commands a rule handles this way, each with every place it appears. */
function commandsHandled(handling: Handling): { text: string; rule: Rule; places: DocCommand[] }[] {
  const byText = new Map<string, { text: string; rule: Rule; places: DocCommand[] }>();
  for (const command of COMMANDS) {
    const rule = classify(command.text);
    if (rule?.handling !== handling) continue;
    const entry = byText.get(command.text) ?? { text: command.text, rule, places: [] };
    entry.places.push(command);
    byText.set(command.text, entry);
  }
  return [...byText.values()];
}

const title = ({ text, places }: { text: string; places: DocCommand[] }): string => {
  const oneLine = text.replaceAll('\n', ' ⏎ ');
  return `${places.map(where).join(', ')}: ${oneLine.length > 110 ? `${oneLine.slice(0, 107)}...` : oneLine}`;
};

test('every command in a shell block of README.md and docs/ has a rule', (t) => {
  assert.ok(COMMANDS.length > 20, `only ${COMMANDS.length} commands found: is the extraction broken?`);
  const unclassified = COMMANDS.filter((command) => !classify(command.text)).map((command) => `${where(command)}: ${command.text}`);
  assert.deepEqual(unclassified, [], 'add a rule to RULES in test/docs/commands.test.ts: runs, server, client, or skipped with its reason');
  const untagged = PAGES.flatMap((page) => untaggedCommandBlocks(page, markdown(page))).map((b) => `${b.file}:${b.line}: ${b.firstCommand}`);
  assert.deepEqual(untagged, [], 'fence these blocks as ```sh (or ```text when they are not to be run)');
  for (const entry of commandsHandled('skipped')) t.diagnostic(`not run: ${title(entry)} -- ${entry.rule.reason}`);
});

// ---- running them ----

/**
 * The environment of a shell outside npm: no node_modules/.bin on PATH, no npm or test-runner
 * variables; `toolDirs` go first on PATH.
 */
function userShellEnv(toolDirs: readonly string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(npm_|NODE_TEST_CONTEXT$|INIT_CWD$|HELLO_EDGE_TEST_NETNS$)/.test(name)) env[name] = value;
  }
  const shellPath = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !/node_modules[\\/]\.bin|node-gyp-bin/.test(dir));
  env.PATH = [...new Set([...toolDirs, ...shellPath])].join(delimiter);
  return env;
}

/** A copy of the repository's source (no .git, dist or outputs) with node_modules linked; removed after `t`. */
function copyRepository(t: TestContext): string {
  const copy = mkdtempSync(join(tmpdir(), 'hello-edge-doc-commands-'));
  t.after(() => rmSync(copy, { recursive: true, force: true }));
  const leftOut = new Set(['.git', 'node_modules', 'dist', 'out', 'bench-results', '.cache'].map((name) => join(REPO, name)));
  cpSync(REPO, copy, { recursive: true, filter: (source) => !leftOut.has(source.replace(/[\\/]$/, '')) });
  symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

/** A command started as `bash -c` in its own process group (as a terminal runs it), with its output. */
interface Shell {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  output(): string;
}

function startShell(t: TestContext, text: string, cwd: string, toolDirs: readonly string[] = []): Shell {
  const child = spawn('bash', ['-c', text], { cwd, env: userShellEnv(toolDirs), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  t.after(() => signalGroup(child, 'SIGKILL'));
  return { child, exited, output: () => output };
}

/** Sends `signal` to the command's whole process group, as Ctrl-C does; false when the group is gone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-child.pid!, signal);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with the exit code, or undefined when `ms` passed first. */
async function exitWithin(shell: Shell, ms: number): Promise<number | string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([shell.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const tail = (text: string): string => (text.length > 4000 ? `...${text.slice(-4000)}` : text);

/** Runs a command to completion: it must exit 0 within `ms`. */
async function runsToZero(t: TestContext, text: string, cwd: string, ms = 120_000, toolDirs: readonly string[] = []): Promise<void> {
  const shell = startShell(t, text, cwd, toolDirs);
  const code = await exitWithin(shell, ms);
  assert.equal(code, 0, `\`${text}\` ${code === undefined ? `did not finish within ${ms / 1000}s` : `exited ${code}`}:\n${tail(shell.output())}`);
}

// A URL in what a server prints, or hello's and the prober's "listening" log line.
const READY = /"msg":"listening"|https?:\/\/[\w.[\]:-]+/;

/**
 * Starts a server command, waits for its URL, runs `whileUp`, then stops it with Ctrl-C (SIGINT to
 * its process group): every process of it must be gone within 30 s (hello drains first), having
 * exited 0 or, as npm and npx do on Ctrl-C, by SIGINT (130 from a shell).
 */
async function serveWhile(t: TestContext, text: string, cwd: string, toolDirs: readonly string[], whileUp: () => Promise<void>): Promise<void> {
  const shell = startShell(t, text, cwd, toolDirs);
  const deadline = Date.now() + 90_000;
  while (!READY.test(shell.output()) && Date.now() < deadline && shell.child.exitCode === null && shell.child.signalCode === null) {
    await sleep(100);
  }
  assert.match(shell.output(), READY, `\`${text}\` printed no URL (exit ${shell.child.exitCode ?? 'none yet'}):\n${tail(shell.output())}`);
  await whileUp();
  signalGroup(shell.child, 'SIGINT');
  const code = await exitWithin(shell, 30_000);
  assert.ok(code === 0 || code === 130 || code === 'SIGINT', `\`${text}\` after Ctrl-C: ${code === undefined ? 'still running after 30s' : `exit ${code}`}:\n${tail(shell.output())}`);
  for (let i = 0; i < 50 && signalGroup(shell.child, 0); i++) await sleep(100);
  assert.equal(signalGroup(shell.child, 0), false, `\`${text}\` left processes running after Ctrl-C`);
}

/** Runs each command as a subtest named for where the docs show it, once its rule's tools are found. */
async function runEach(t: TestContext, handling: Handling, body: (t: TestContext, text: string, toolDirs: string[]) => Promise<void>): Promise<void> {
  for (const entry of commandsHandled(handling)) {
    await t.test(title(entry), async (t) => {
      const toolDirs: string[] = [];
      for (const tool of entry.rule.tools ?? []) {
        const found = requireTool(t, tool, 'bash test/cluster/build.sh, or apt-get install');
        if (!found) return;
        toolDirs.push(dirname(found));
      }
      await body(t, entry.text, toolDirs);
    });
  }
}

async function runTheDocs(t: TestContext): Promise<void> {
  const copy = copyRepository(t);
  // The README: "After `npm run build`, run it as `npx hello-cli ...`".
  await runsToZero(t, 'npm run build', copy, 300_000);
  await runEach(t, 'runs', (t, text, toolDirs) => runsToZero(t, text, copy, 120_000, toolDirs));
  let clientsRan = false;
  await runEach(t, 'server', (t, text, toolDirs) =>
    serveWhile(t, text, copy, toolDirs, async () => {
      if (clientsRan || !classify(text)?.servesClients) return;
      clientsRan = true;
      await runEach(t, 'client', (t, text, toolDirs) => runsToZero(t, text, copy, 30_000, toolDirs));
    }),
  );
  assert.ok(clientsRan || commandsHandled('client').length === 0, 'the docs show client commands (curl, hello-cli probe) but no `npm start` for them to talk to');
}

if (insideTestNetns()) {
  test('the documented commands run offline', { timeout: 600_000 }, runTheDocs);
} else {
  test('the documented commands run offline, in a network namespace of their own', (t) => rerunInNetns(t, import.meta.url, '127.0.0.1 localhost\n::1 localhost\n'));
}
