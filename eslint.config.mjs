import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-control-regex': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The domain is pure: no transport, no storage, no drivers, no Node APIs.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'crypto', 'http'], message: 'src/domain is pure: no Node APIs.' },
            {
              group: ['**/eventStore/**', '**/graphql/**', '**/application/**', '**/readModels/**', '**/server/**', '**/sqlite/**'],
              message: 'src/domain imports nothing from the outer layers.',
            },
            {
              group: ['graphql', 'type-graphql', 'better-sqlite3', '@eventstore/*', 'express', 'ws'],
              message: 'src/domain imports no drivers or frameworks.',
            },
          ],
        },
      ],
    },
  },
  {
    // Each driver lives in exactly one place.
    files: ['**/*.ts'],
    ignores: ['src/eventStore/eventstoredb/**', 'test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@eventstore/db-client', message: 'Only src/eventStore/eventstoredb talks to EventStoreDB.' }] },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    ignores: ['src/sqlite/**', 'test/**', 'bench/**', 'src/domain/**', 'src/eventStore/eventstoredb/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'better-sqlite3', message: 'Open SQLite through src/sqlite/database.ts.' }] }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { module: 'writable', require: 'readonly', process: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
