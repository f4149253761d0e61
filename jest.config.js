/**
 * Jest runs TypeScript through ts-jest in transpile-only mode (tsconfig `isolatedModules`), so
 * tests do not type-check: `npm run typecheck` does that once, for everything.
 */
// A 64 MB young generation (V8's default semi-space is 16 MB) for the workers and every process the tests start: the
// tests build and parse whole trees, and scavenging them cost about 3 s of a 48 s run on 2 cores (bench/README.md).
// V8 code caches are kept per set of flags (scripts/run.js V8_TAG), so this never spoils the caches of a plain run.
const YOUNG_GENERATION = '--max-semi-space-size=64';
if (!(process.env.NODE_OPTIONS ?? '').includes(YOUNG_GENERATION))
  process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, YOUNG_GENERATION].filter(Boolean).join(' ');

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
