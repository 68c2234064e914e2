// Lint guards the architecture of DESIGN.md: import boundaries between parts, the `node:`
// prefix, no runtime dependency in hello/, and process.exit only in entry points.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const bareBuiltins = builtinModules.filter((m) => !m.startsWith('_') && !m.startsWith('node:'));
const nodePrefix = { paths: bareBuiltins.map((name) => ({ name, message: `import 'node:${name}' (house style: node: prefix)` })) };

// Parts talk to each other only through index.ts; contract.ts files are the one exception, and in
// common/: config-file.ts (YAML reading, kept out of common/index.ts so hello/ stays
// dependency-free) and node-version.ts (the entry points check the Node version before importing
// anything else).
const viaIndexOnly = (part) => {
  const open = part === 'common' ? ['config-file.js', 'node-version.js'] : [];
  const allowed = ['index.js', 'contract.js', ...open];
  return {
    group: [`../${part}/*`, `../../${part}/*`, ...allowed.flatMap((f) => [`!../${part}/${f}`, `!../../${part}/${f}`])],
    message: `import ${part}/ through its index.ts (or contract.ts${open.length ? ', config-file.ts, node-version.ts' : ''})`,
  };
};
const forbidden = (part, why) => ({ group: [`../${part}/*`, `../../${part}/*`], message: why });
const restrict = (...patterns) => ['error', { ...nodePrefix, patterns }];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'infra/imports/**', 'test/fixtures/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      'no-restricted-imports': restrict(),
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'process.exit belongs in entry points (main.ts) only' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['common/**/*.ts'],
    ignores: ['common/config-file.ts'],
    rules: {
      'no-restricted-imports': restrict({ regex: '^(?!node:|\\./)', message: 'common/ imports nothing but node: and itself' }),
    },
  },
  {
    files: ['common/config-file.ts'],
    rules: {
      'no-restricted-imports': restrict({ regex: '^(?!node:|\\./|yaml$)', message: 'common/config-file.ts imports only node:, yaml and common/' }),
    },
  },
  {
    files: ['hello/**/*.ts'],
    rules: {
      // The hello image carries hello/ and common/ only: no package, no other part.
      'no-restricted-imports': restrict({ regex: '^(?!node:|\\./|\\.\\./common/(index|node-version)\\.js$)', message: 'hello/ has no runtime dependency: node: built-ins, hello/ and common/ (index.js, node-version.js) only' }),
    },
  },
  {
    files: ['prober/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        forbidden('infra', 'prober/ never imports infra/'),
        forbidden('bench', 'prober/ never imports bench/'),
        forbidden('cli', 'prober/ never imports cli/'),
        forbidden('hello', 'prober/ never imports hello/'),
        viaIndexOnly('common'),
      ),
    },
  },
  {
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        forbidden('infra', 'bench/ never imports infra/'),
        forbidden('cli', 'bench/ never imports cli/'),
        viaIndexOnly('hello'),
        viaIndexOnly('prober'),
        viaIndexOnly('common'),
      ),
    },
  },
  {
    files: ['infra/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        forbidden('cli', 'infra/ never imports cli/'),
        { group: ['../hello/*', '!../hello/contract.js', '../../hello/*', '!../../hello/contract.js'], message: 'infra/ takes facts about hello from hello/contract.ts only' },
        { group: ['../prober/*', '!../prober/contract.js', '../../prober/*', '!../../prober/contract.js'], message: 'infra/ takes facts about the prober from prober/contract.ts only' },
        { group: ['../bench/*', '!../bench/contract.js', '../../bench/*', '!../../bench/contract.js'], message: 'infra/ reads the bench results format (bench/contract.ts) and nothing else of bench/' },
        viaIndexOnly('common'),
      ),
    },
  },
  {
    files: ['cli/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        viaIndexOnly('hello'),
        viaIndexOnly('prober'),
        viaIndexOnly('infra'),
        viaIndexOnly('bench'),
        viaIndexOnly('common'),
      ),
    },
  },
  {
    // Entry points may end the process (process.ts files hold a workload's process wiring:
    // signals and exit codes); tests and scripts may too.
    files: ['**/main.ts', '**/process.ts', 'test/**/*.ts', '**/scripts/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
