import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';
import { resolve } from 'node:path';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/data/**', 'bench/.work/**', 'bin/**', 'examples/*/scripts/**', 'src/transport/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { [resolve('tools/eslint-ts-resolver.cjs')]: {} }, 'import/parsers': { '@typescript-eslint/parser': ['.ts'] } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import/no-cycle': 'error',
    },
  },
  {
    // DESIGN §11: a component's index.ts is its only public surface.
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '^(\\.\\./)+(src/)?(commons|config|integrations|site|scripts|central|transport|runner|cli)/(?!index\\.js$).+',
          message: 'Import another component through its index.ts only (DESIGN §11).',
        }],
      }],
    },
  },
  {
    // DESIGN §11: edges that must never exist between components.
    files: ['src/**/*.ts'],
    rules: {
      'import/no-restricted-paths': ['error', {
        zones: [
          { target: './src/site', from: './src/central', message: 'site ↛ central: they meet only through the transport contract (DESIGN §11).' },
          { target: './src/central', from: './src/site', message: 'central ↛ site: they meet only through the transport contract (DESIGN §11).' },
          { target: './src/scripts', from: ['./src/site', './src/central'], message: 'scripts ↛ site, central: the sandbox knows no node (DESIGN §11).' },
          { target: './src/transport', from: ['./src/site', './src/central'], message: 'transport ↛ site, central (DESIGN §11).' },
          { target: './src/integrations', from: ['./src/site', './src/central'], message: 'integrations ↛ site, central: clients are shared (DESIGN §11).' },
          { target: './src/runner', from: './src/central', message: 'runner ↛ central: HTTP and JetStream only (DESIGN §11).' },
          { target: './src/commons', from: './src', except: ['./commons'], message: 'commons ↛ any other component (DESIGN §11).' },
          { target: ['./src/central', './src/commons', './src/config', './src/integrations', './src/scripts', './src/site', './src/transport', './src/validate'], from: './src/cli', message: 'nothing ↛ cli (DESIGN §11).' },
        ],
      }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', exports: 'writable', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
