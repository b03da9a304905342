import { configDefaults, defineConfig } from 'vitest/config';

// Two projects:
// - unit: every *.test.ts outside test/integration; runs first, files in parallel.
// - integration: test/integration, against the real Synapse and PostgreSQL that `npm test`
//   (test/run.sh) starts. One file at a time (they share one Synapse), after the unit project.
// `npm test` runs both; `npm run test:unit` runs `vitest run --project unit` without servers.
const exclude = [
  ...configDefaults.exclude,
  '**/dist/**',
  '**/.peers/**',
  '**/.demo/**',
  '**/coverage/**',
];

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'src/**/*.test.ts',
            'bridges/**/*.test.ts',
            'bench/**/*.test.ts',
            'test/**/*.test.ts',
          ],
          exclude: [...exclude, 'test/integration/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude,
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
