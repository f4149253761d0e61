/**
 * `npm run pins:manifests [-- --check]`: downloads each manifest of config/versions.yaml from its
 * pinned URL and writes its SHA-256 and image list back (config/manifest-pins.ts verifies the new
 * bytes first); `--check` only reports pins whose bytes differ. Online; Renovate runs it after it
 * bumps a manifest's tag (renovate.json postUpgradeTasks).
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadVersions } from '../config/versions';
import { refreshManifestPin } from '../config/manifest-pins';
import { repoRoot } from '../lib/repo-root';

async function main(args: string[]): Promise<number> {
  const check = args.includes('--check');
  const file = path.join(repoRoot(), 'config', 'versions.yaml');
  let text = fs.readFileSync(file, 'utf8');
  let failed = false;
  for (const [name, pin] of Object.entries(loadVersions(file).manifests)) {
    const response = await fetch(pin.url).catch((err: Error) => err);
    if (response instanceof Error) {
      console.error(`manifests.${name}: cannot download ${pin.url}: ${(response.cause as Error | undefined)?.message ?? response.message}`);
      failed = true;
      continue;
    }
    if (!response.ok) {
      console.error(`manifests.${name}: ${pin.url} answered ${response.status}; is the tag published?`);
      failed = true;
      continue;
    }
    const refreshed = refreshManifestPin(text, name, await response.text());
    for (const p of refreshed.problems) console.error(p);
    if (refreshed.problems.length) failed = true;
    else if (refreshed.changed) {
      console.log(`manifests.${name}: sha256 ${refreshed.sha256}, images ${refreshed.images.join(', ')}`);
      if (check) failed = true;
      else text = refreshed.text;
    }
  }
  if (!check) fs.writeFileSync(file, text);
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code));
