// ESLint flat config: typescript-eslint recommended (not type-aware, to stay fast) plus Nx module boundaries on two
// tag axes, type:* and scope:* (project.json "tags"). See docs/adr and ../shared/STYLE.md §G practice 24.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import { createProjectGraphAsync } from '@nx/devkit';
import prettier from 'eslint-config-prettier';

// @nx/enforce-module-boundaries reads the *cached* project graph (.nx/workspace-data) and silently skips itself
// (printing only a warning) when there is none, e.g. on a fresh CI checkout where no nx command ran yet. Building
// the graph here writes that cache and keeps it current, so the rule can never be skipped; it also gives us the
// projects' tags and roots for the rules below. A broken graph fails the lint run instead of disabling the rule.
const graph = await createProjectGraphAsync({ exitOnError: false });
const projects = Object.values(graph.nodes).map((n) => ({ root: n.data.root, tags: n.data.tags ?? [] }));
const rootsTagged = (tag) => projects.filter((p) => p.tags.includes(tag)).map((p) => p.root);

const TYPES = ['contracts', 'domain', 'adapter', 'platform', 'app', 'cli', 'testing'];
const type = (...names) => names.map((n) => `type:${n}`);

/** Pure layers: no framework, no transport, no database, no Node built-ins. */
const PURE_BANS = ['@nestjs/*', '@nats-io/*', 'kysely', 'pg', 'node:*', '@electric-sql/*'];

const scopes = new Set(['api', 'projector', 'demo', 'projections']);
for (const p of projects) for (const t of p.tags) if (t.startsWith('scope:') && t !== 'scope:shared') scopes.add(t.slice(6));

/**
 * depConstraints for @nx/enforce-module-boundaries. `specs: true` is the variant for spec files and test/ folders,
 * which may also use type:testing.
 */
function depConstraints({ specs }) {
  const testing = specs ? type('testing') : [];
  return [
    // type axis: which layer may use which
    { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [...type('contracts'), ...testing], bannedExternalImports: PURE_BANS },
    { sourceTag: 'type:domain', onlyDependOnLibsWithTags: [...type('contracts', 'domain'), ...testing], bannedExternalImports: PURE_BANS },
    {
      sourceTag: 'type:adapter',
      onlyDependOnLibsWithTags: [...type('contracts', 'domain', 'adapter', 'platform'), ...testing],
      bannedExternalImports: ['@nestjs/*'],
    },
    { sourceTag: 'type:platform', onlyDependOnLibsWithTags: [...type('contracts', 'adapter', 'platform'), ...testing] },
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: [...type('contracts', 'domain', 'adapter', 'platform'), ...testing] },
    { sourceTag: 'type:cli', onlyDependOnLibsWithTags: [...type('app', 'contracts', 'domain', 'adapter', 'platform'), ...testing] },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: type('contracts', 'domain', 'adapter', 'platform', 'testing') },
    // scope axis: shared code depends only on shared code; a scoped project may use domain libs of its own scope
    // (or the shared kernel) only. Everything that is not type:domain stays usable across scopes.
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
    ...[...scopes].sort().map((s) => ({
      sourceTag: `scope:${s}`,
      onlyDependOnLibsWithTags: [`scope:${s}`, 'scope:shared', ...type(...TYPES.filter((t) => t !== 'domain'))],
    })),
  ];
}

const boundaries = (specs, extra = {}) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    // "Static imports of lazy-loaded libraries" is a bundle-splitting check for browsers. In these Node apps a
    // dynamic import() only orders start-up (telemetry before instrumented modules), so it does not apply.
    checkDynamicDependenciesExceptions: ['@distillery/*'],
    depConstraints: depConstraints({ specs }),
    ...extra,
  },
];

const SPEC_FILES = ['**/*.spec.ts', '**/test/**'];
const TS_FILES = ['**/*.ts', '**/*.mts', '**/*.cts'];

// The CLI dispatches to the apps, which the rule otherwise forbids outright ("Imports of apps are forbidden")
// whatever the tags say; for type:cli projects the app aliases are allowed (the tag rule above still limits them).
const cliRoots = rootsTagged('type:cli');
const APP_ALIAS = '^@distillery/app-[a-z0-9-]+$';

// bannedExternalImports cannot see Node built-ins (they are not nodes of the project graph), so ban them here too.
const pureRoots = [...rootsTagged('type:contracts'), ...rootsTagged('type:domain')];
const builtinBan = {
  paths: builtinModules.filter((m) => !m.startsWith('_')).map((name) => ({ name, message: 'contracts and domain code stays free of Node built-ins (no I/O).' })),
  patterns: [{ group: ['node:*'], message: 'contracts and domain code stays free of Node built-ins (no I/O).' }],
};

const nodeGlobals = Object.fromEntries(
  [
    'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'setTimeout', 'clearTimeout', 'setInterval',
    'clearInterval', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'structuredClone', 'fetch',
    'AbortController', 'AbortSignal', 'TextEncoder', 'TextDecoder', 'performance', 'globalThis',
  ].map((g) => [g, 'readonly']),
);

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.nx/**', 'coverage/**', 'tmp/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: nodeGlobals },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: TS_FILES,
    plugins: { '@nx': nx },
    rules: { '@nx/enforce-module-boundaries': boundaries(false) },
  },
  ...cliRoots.map((root) => ({
    files: [`${root}/**/*.ts`],
    rules: { '@nx/enforce-module-boundaries': boundaries(false, { allow: [APP_ALIAS] }) },
  })),
  {
    files: SPEC_FILES,
    rules: { '@nx/enforce-module-boundaries': boundaries(true) },
  },
  {
    // An app's integration/e2e tests may boot sibling apps in-process to exercise a whole flow.
    files: ['apps/**/*.spec.ts', 'apps/*/test/**'],
    rules: { '@nx/enforce-module-boundaries': boundaries(true, { allow: [APP_ALIAS] }) },
  },
  ...(pureRoots.length > 0
    ? [{ files: pureRoots.map((root) => `${root}/src/**/*.ts`), rules: { 'no-restricted-imports': ['error', builtinBan] } }]
    : []),
  {
    // Named exports only in library and app code (STYLE §G 25); config files such as jest.config.js live outside src/.
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports (no default exports in apps/libs src).' },
        {
          selector: 'ExportNamedDeclaration > ExportSpecifier[exported.name="default"]',
          message: 'Use named exports (no default exports in apps/libs src).',
        },
      ],
    },
  },
  prettier,
);
