/**
 * Jest runs TypeScript through ts-jest in transpile-only mode (tsconfig `isolatedModules`), so
 * tests do not type-check: `npm run typecheck` does that once, for everything.
 */
module.exports = {
  testEnvironment: 'node',
  // Jest's default is one worker fewer than the cores: on the 2-core machines this project targets,
  // that is one worker for ~40 suites. The parent mostly waits, so use every core (bench/README.md).
  maxWorkers: '100%',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The fixture platform is synthesized once per run and shared read-only (test/helpers.ts fixtureTree).
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  transform: { '^.+\\.ts$': ['ts-jest', {}], '/node_modules/@marcbachmann/cel-js/.+\\.js$': '<rootDir>/test/esm-to-cjs.js' },
  transformIgnorePatterns: ['/node_modules/(?!@marcbachmann/cel-js/)'],
  // Snapshots are YAML-ish and long; keep them readable in review.
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
  // Pins print as their names (config/versions.yaml), so bumping one changes no snapshot.
  snapshotSerializers: ['<rootDir>/test/pin-serializer.js'],
};
