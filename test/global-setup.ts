/**
 * Synthesizes the test fixture platform once per `npm test`, into a temporary `<root>/dist` that
 * every suite reading the unmodified fixture shares (test/helpers.ts `fixtureTree()`). Suites run
 * in separate workers, so the tree is shared on disk; it is made read-only, so that a suite that
 * writes into it fails instead of changing what the others see.
 */
import * as path from 'path';
import { FIXTURE_TREE_ENV, setWritable, synthesizeFixture, tmpDir } from './helpers';

export default function globalSetup(): void {
  const root = tmpDir('platform-fixture-');
  synthesizeFixture(root, path.join(root, 'secrets'));
  setWritable(root, false);
  // Workers start after the global setup and inherit its environment.
  process.env[FIXTURE_TREE_ENV] = root;
  // The synthesis CLI the tests start never reads the example cluster's sealed/ inputs either.
  process.env.PLATFORM_SEALED_DIR = tmpDir('platform-cli-sealed-');
}
