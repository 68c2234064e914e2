import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractCommands, stripComment, untaggedCommandBlocks } from './shell-blocks.js';

const page = (...lines: string[]): string => lines.join('\n');

test('extractCommands: what a reader would paste from each kind of block', () => {
  const cases: { name: string; markdown: string; expected: [number, string][] }[] = [
    {
      name: 'comments, blank lines and comment-only lines',
      markdown: page('text', '```sh', 'npm start   # hello + prober', '', '# a comment', "curl 'a#b' # c", '```'),
      expected: [[3, 'npm start'], [6, "curl 'a#b'"]],
    },
    {
      name: 'continuations joined, numbered by the first line',
      markdown: page('```bash', 'npm run bench:hello -- --a \\', '  --b="x y" \\', '  --c   # ~5 min', 'npx x', '```'),
      expected: [[2, 'npm run bench:hello -- --a --b="x y" --c'], [5, 'npx x']],
    },
    {
      name: 'a for loop is one command',
      markdown: page('```sh', 'for app in a b; do', '  build $app \\', '    --flag', '  push $app', 'done', 'echo after', '```'),
      expected: [[2, 'for app in a b; do\nbuild $app --flag\npush $app\ndone'], [7, 'echo after']],
    },
    {
      name: 'console blocks: $ lines only',
      markdown: page('```console', '$ npx hello-cli cost', 'output line', '$ echo ok', '```'),
      expected: [[2, 'npx hello-cli cost'], [4, 'echo ok']],
    },
    {
      name: 'other languages and untagged blocks are not shell',
      markdown: page('```yaml', 'npm start', '```', '```', 'npm test', '```', '```ts', 'x', '```'),
      expected: [],
    },
    {
      name: 'a longer fence holds a shorter one',
      markdown: page('````sh', 'echo a', '```', 'echo b', '````'),
      expected: [[2, 'echo a'], [3, '```'], [4, 'echo b']],
    },
  ];
  for (const { name, markdown, expected } of cases) {
    assert.deepEqual(extractCommands('p.md', markdown).map((c) => [c.line, c.text]), expected, name);
  }
});

test('stripComment: # starts a comment only after whitespace and outside quotes', () => {
  const cases: [string, string][] = [
    ['a # b', 'a'],
    ['# all', ''],
    ['url http://x/#frag', 'url http://x/#frag'],
    ['echo "a # b" # c', 'echo "a # b"'],
    ["echo 'it''s # x'", "echo 'it''s # x'"],
    ['echo \\# x', 'echo \\# x'],
  ];
  for (const [line, expected] of cases) assert.equal(stripComment(line), expected, line);
});

test('untaggedCommandBlocks: commands fenced without a language are found; diagrams are not', () => {
  const markdown = page('```', 'fleet -> synth', '   |  hello-cli synth / deploy', '```', '', '```', 'npm run bench', '```', '```text', 'npm start', '```');
  assert.deepEqual(untaggedCommandBlocks('p.md', markdown), [{ file: 'p.md', line: 6, firstCommand: 'npm run bench' }]);
});
