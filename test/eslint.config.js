// ESLint flat config for the whole repo (kept under test/ so the top level stays small).
import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import svelteConfig from '../svelte.config.js';

export default ts.config(
  {
    // test/fixtures/lint/ breaks the dependency rules on purpose, outside any tsconfig.
    ignores: [
      'dist/',
      'node_modules/',
      'test-results/',
      'playwright-report/',
      'test/fixtures/models/',
      'test/fixtures/lint/',
    ],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.worker, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "AssignmentExpression[left.property.name='innerHTML']", message: 'Never assign innerHTML.' },
      ],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { projectService: true, extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig },
    },
    // State classes keep some bookkeeping (controllers, URL maths) deliberately non-reactive.
    rules: { 'svelte/prefer-svelte-reactivity': 'off' },
  },
  {
    // Playwright fixtures must destructure their (possibly empty) dependencies.
    files: ['test/e2e/**'],
    rules: { 'no-empty-pattern': 'off' },
  },
  {
    // UI code reaches storage, workers and the network only through lib/state. dependency-cruiser checks the layers
    // too (test/dependency-cruiser.config.mjs) but cannot see a .svelte file's type-only imports, which this does.
    files: ['src/ui/**'],
    rules: {
      'no-restricted-globals': ['error', 'fetch', 'indexedDB', 'Worker', 'postMessage'],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!(svelte(/[\\w/.-]+)?|\\./[\\w.-]+\\.svelte|\\.\\./lib/state/[\\w.-]+)$)',
              message: 'src/ui imports only lib/state (helpers and types: lib/state/view), svelte and ./X.svelte.',
            },
          ],
        },
      ],
      'svelte/no-at-html-tags': 'error',
    },
  },
);
