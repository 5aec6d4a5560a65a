import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src/**/*.test.ts',
      'emulator/**/*.test.ts',
      'test/**/*.test.ts',
      'web/src/**/*.test.ts',
    ],
    globalSetup: ['test/setup/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
