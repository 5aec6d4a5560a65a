// One lint config for the whole repo. Pure modules (state machine, matching, naming, sanitizing,
// backoff, redaction) must not import I/O: the restricted-imports block below enforces that.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const ioModules = [
  'node:fs',
  'node:fs/promises',
  'fs',
  'fs/promises',
  'node:net',
  'node:http',
  'pg',
  'better-sqlite3',
  'kysely',
  'undici',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      'library/**',
      '.demo/**',
      'coverage/**',
      'web/dist/**',
      // The browser tests' build and screenshots.
      'test-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The web UI runs in the browser (its vite.config.ts runs in Node, as the rest of the repo).
    files: ['web/**/*.{ts,tsx}'],
    ignores: ['web/vite.config.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: [
      'src/downloads/download.ts',
      'src/downloads/error-codes.ts',
      'src/matching/**/*.ts',
      'src/library/sanitize.ts',
      'src/library/naming.ts',
      'src/library/naming-pattern.ts',
      'src/library/naming-tokens.ts',
      'src/naming/naming-preview.ts',
      'src/library/spectrum.ts',
      'src/queue/backoff.ts',
      'src/queue/time-windows.ts',
      'src/downloads/queue-order.ts',
      'src/settings/settings.definitions.ts',
      'src/log/redact.ts',
      'src/net/address-policy.ts',
      'src/library/tagging/tags.ts',
      'src/health/health-checks.ts',
      'src/session/csrf.ts',
      'src/session/login-limiter.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ioModules }],
      'no-restricted-globals': ['error', 'fetch'],
    },
  },
);
