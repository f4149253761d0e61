/** The validator reads a synthesized tree as a consumer: what it declares beside it comes from dist/externals.json. */
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../lib/validate/cli';
import { fixtureTree, manifestFolders, runCli, setWritable, tmpDir } from './helpers';

const run = (args: string[]) => runCli(main, args);

describe('dist/externals.json', () => {
  let dist: string;
  beforeAll(() => (dist = fixtureTree().dist));

  test('lists the Secrets the manifests need but never hold, and the cluster release', () => {
    const externals = JSON.parse(fs.readFileSync(path.join(dist, 'externals.json'), 'utf8'));
    expect(externals.secrets).toContain('berkeleytime-production/postgres-credentials');
    expect(externals.kubernetesRelease).toMatch(/^1\.[0-9]+\.[0-9]+$/);
  });

  test('the validator takes them from beside the tree; without the file, those Secrets are findings', async () => {
    expect((await run([...manifestFolders(dist), '--skip-charts'])).code).toBe(0);
    const bare = path.join(tmpDir(), 'dist');
    fs.cpSync(dist, bare, { recursive: true });
    setWritable(bare, true);
    fs.rmSync(path.join(bare, 'externals.json'));
    const result = await run([...manifestFolders(bare), '--skip-charts']);
    expect(result.code).toBe(1);
    expect(result.out.join('\n')).toContain('Secret "berkeleytime-production/postgres-credentials" is not in the documents and not declared external');
  });
});
