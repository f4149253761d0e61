/**
 * Jest runs TypeScript through ts-jest in transpile-only mode (tsconfig `isolatedModules`), so
 * tests do not type-check: `npm run typecheck` does that once, for everything.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The fixture platform is synthesized once per run and shared read-only (test/helpers.ts fixtureTree).
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  // Snapshots are YAML-ish and long; keep them readable in review.
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};
