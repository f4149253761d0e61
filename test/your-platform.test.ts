/**
 * Whatever config/platform.yaml holds, the Berkeleytime default or a team's own platform: it
 * synthesizes, identically twice, and every document validates; with the chart cache, its charts
 * render and it assembles. The other suites test the product with their own fixtures (test/fixtures/).
 */
import * as path from 'path';
import { formatFinding, validateTree } from '../lib/validate/index';
import { drainWarnings } from '../lib/warnings';
import { check, SynthesizedTree, synthTree } from './assembly-fixtures';
import { describeWithCharts } from './chart-cache';
import { manifestFolders, readTree, ROOT, TEST_SECRETS, tmpDir, synthesizeWithSecrets } from './helpers';

const CONFIG = path.join(ROOT, 'config', 'platform.yaml');

describe('config/platform.yaml', () => {
  test('synthesizes the same bytes twice, and every document validates', () => {
    const [a, b] = [tmpDir(), tmpDir()].map((d) => path.join(d, 'dist'));
    const result = synthesizeWithSecrets({ configFile: CONFIG, outdir: a, secretsDir: TEST_SECRETS });
    synthesizeWithSecrets({ configFile: CONFIG, outdir: b, secretsDir: TEST_SECRETS });
    drainWarnings();
    expect(readTree(b)).toEqual(readTree(a));
    const findings = validateTree(manifestFolders(a), { declared: { secrets: result.externalSecrets, storageClasses: result.externalStorageClasses } });
    expect(findings.map(formatFinding)).toEqual([]);
  });
});

describeWithCharts('config/platform.yaml on a fresh cluster', () => {
  let tree: SynthesizedTree;
  beforeAll(() => (tree = synthTree(CONFIG)));

  test('renders its charts and assembles with no finding', () => {
    const { messages, assembly } = check(tree);
    expect(messages).toEqual([]);
    expect(assembly.plan?.assembles).toBe(true);
  });
});
