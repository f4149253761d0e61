/** Refreshing a manifest pin after a tag bump (config/manifest-pins.ts): verified bytes only. */
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { loadVersions, manifestPin } from '../config/versions';
import { imageRepositoryOf, refreshManifestPin } from '../config/manifest-pins';
import { ROOT, tmpDir } from './helpers';

const VERSIONS_FILE = path.join(ROOT, 'config', 'versions.yaml');
const versionsText = fs.readFileSync(VERSIONS_FILE, 'utf8');
const calico = manifestPin(loadVersions(), 'calico');

/** A manifest like the pinned one, one release on: the same repositories at another tag. */
function bumpedManifest(images: readonly string[]): string {
  const containers = images.map((image, i) => `      - name: c${i}\n        image: ${image}`).join('\n');
  return `apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: calico-node\nspec:\n  template:\n    spec:\n      containers:\n${containers}\n`;
}
const nextTag = (images: readonly string[]) => images.map((i) => `${imageRepositoryOf(i)}:v99.0.0`);

describe('refreshManifestPin', () => {
  test('writes the new bytes’ SHA-256 and images into the entry, keeping everything else', () => {
    const images = nextTag(calico.images ?? []);
    const manifest = bumpedManifest(images);
    const refreshed = refreshManifestPin(versionsText, 'calico', manifest);
    expect(refreshed.problems).toEqual([]);
    expect(refreshed.changed).toBe(true);
    const file = path.join(tmpDir('pins-'), 'versions.yaml');
    fs.writeFileSync(file, refreshed.text);
    const pin = manifestPin(loadVersions(file), 'calico');
    expect(pin.sha256).toBe(createHash('sha256').update(manifest).digest('hex'));
    expect(pin.images).toEqual([...images].sort());
    // Only the calico entry changed: every other pin, and the comments, stay as they were.
    const changedLines = refreshed.text.split('\n').filter((l, i) => l !== versionsText.split('\n')[i]);
    expect(changedLines).toHaveLength(2);
    expect(refreshManifestPin(refreshed.text, 'calico', manifest).changed).toBe(false);
  });

  test('refuses an image from a repository the pin does not record, and bytes that are not Kubernetes objects', () => {
    const foreign = refreshManifestPin(versionsText, 'calico', bumpedManifest([...nextTag(calico.images ?? []), 'docker.io/someone/miner:1.0']));
    expect(foreign.problems.join('\n')).toContain('docker.io/someone/miner:1.0, from a repository the pin does not record');
    expect(foreign.text).toBe(versionsText);
    expect(refreshManifestPin(versionsText, 'calico', '<html>404</html>\n').problems.join('\n')).toContain('not a Kubernetes object');
    expect(refreshManifestPin(versionsText, 'nothing-such', bumpedManifest([])).problems.join('\n')).toContain('no url/sha256/images entry');
  });
});
