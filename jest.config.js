/** Jest runs TypeScript through swc (no type-check: `npm run typecheck` does that). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // Snapshots are YAML-ish and long; keep them readable in review.
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};
