/**
 * `npm run schemas`: regenerates the committed schema bundle in `schemas/` from the pinned upstream
 * files: read from `SCHEMA_SOURCE` (a folder laid out like ../shared/schemas, the default when it
 * exists), else downloaded. Nothing in `schemas/` changes unless every file could be made.
 */
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from '../repo-root';
import { bundle, KindsByFile, writeBundle } from './schema-bundle';
import { downloadSources, pinnedSources } from './schema-store';

async function run(): Promise<number> {
  const root = repoRoot();
  const { generate, validate } = JSON.parse(fs.readFileSync(path.join(root, 'scripts', 'crd-kinds.json'), 'utf8')) as Record<string, KindsByFile>;
  // The kinds we emit, and those a team writes beside them (validated, no classes generated).
  const kinds = Object.fromEntries(
    [...new Set([...Object.keys(generate), ...Object.keys(validate)])].map((f) => [f, [...(generate[f] ?? []), ...(validate[f] ?? [])]]),
  );
  const sources = pinnedSources();
  const local = process.env.SCHEMA_SOURCE ?? path.resolve(root, '../shared/schemas');
  const texts = fs.existsSync(local)
    ? new Map(sources.map((s) => [s.file, fs.readFileSync(path.join(local, s.file), 'utf8')]))
    : await downloadSources(sources);
  const files = bundle(sources, (s) => texts.get(s.file)!, kinds);
  writeBundle(path.join(root, 'schemas'), files);
  const size = files.reduce((n, f) => n + f.content.length, 0);
  console.log(`schemas/ written from ${fs.existsSync(local) ? local : 'the pinned upstream URLs'}: ${files.length} files, ${(size / 1e6).toFixed(1)} MB`);
  return 0;
}

run().then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    console.error(`schemas: ${err.message}`);
    process.exitCode = 1;
  },
);
