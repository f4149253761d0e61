/**
 * Synthesis renders each object once (issue 18): the whole-platform checks (exposure, quotas) and
 * the writer share one rendering, so synthesis grows linearly with apps and previews instead of
 * re-rendering the App per check.
 */
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import { DEFAULT_CONFIG_FILE, synthesizeWithSecrets, tmpDir } from './helpers';

test('synthesizing the fixture platform renders no object twice', () => {
  const renders = new Map<ApiObject, number>();
  const toJson = ApiObject.prototype.toJson;
  const spy = jest.spyOn(ApiObject.prototype, 'toJson').mockImplementation(function (this: ApiObject) {
    renders.set(this, (renders.get(this) ?? 0) + 1);
    return toJson.call(this);
  });
  try {
    const root = tmpDir('render-once-');
    synthesizeWithSecrets({ configFile: DEFAULT_CONFIG_FILE, outdir: path.join(root, 'dist'), secretsDir: path.join(root, 'secrets') });
  } finally {
    spy.mockRestore();
  }
  // Enough objects that the check means something, and the workloads the quotas are sized from among them.
  expect(renders.size).toBeGreaterThan(200);
  expect([...renders.keys()].filter((o) => o.kind === 'Deployment').length).toBeGreaterThan(3);
  const twice = [...renders].filter(([, n]) => n > 1).map(([o, n]) => `${o.kind}/${o.name} (${n}×)`);
  expect(twice).toEqual([]);
});
