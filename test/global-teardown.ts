/** Removes the shared fixture tree of test/global-setup.ts. */
import * as fs from 'fs';
import { FIXTURE_TREE_ENV, setWritable } from './helpers';

export default function globalTeardown(): void {
  const root = process.env[FIXTURE_TREE_ENV];
  if (!root) return;
  setWritable(root, true);
  fs.rmSync(root, { recursive: true, force: true });
}
