/**
 * The layers, as DESIGN.md draws them: config (load and check) → constructs (charts/) and host files
 * (bootstrap/) → the composition root (app/) → main.ts; lib/ at the bottom; the validator (lib/validate/)
 * reads synthesized trees and imports nothing of the layers that make them, nor does the diff (lib/diff/), which
 * builds on it. No import cycles.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './helpers';

type Layer = 'lib' | 'validate' | 'diff' | 'config' | 'charts' | 'bootstrap' | 'app' | 'imports' | 'main';

/** What each layer may import (besides itself and node_modules). */
const ALLOWED: Record<Layer, readonly Layer[]> = {
  imports: [],
  lib: ['imports'],
  validate: ['lib'],
  // `npm run diff` reads two trees as the validator does and shares its upgrade rules.
  diff: ['lib', 'validate'],
  config: ['lib'],
  // Constructs take flat props only: a team uses them without the config loader.
  charts: ['lib', 'imports'],
  // ClusterBootstrap checks its hand-written ClusterSpec by the config's own rules (config/load.ts
  // resolveCluster), so the host files and the config file cannot disagree on what a valid cluster is.
  bootstrap: ['lib', 'config'],
  app: ['lib', 'imports', 'config', 'charts', 'bootstrap', 'diff'],
  main: ['lib', 'config', 'app'],
};

function layerOf(file: string): Layer | undefined {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  if (rel === 'main.ts') return 'main';
  if (rel.startsWith('lib/validate/')) return 'validate';
  if (rel.startsWith('lib/diff/')) return 'diff';
  const top = rel.split('/')[0];
  return (['lib', 'config', 'charts', 'bootstrap', 'app', 'imports'] as const).find((l) => l === top);
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Relative imports of a file, resolved to files (`import … from`, `export … from`, `import type`). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)].map((m) => m[1]);
  return specs.flatMap((spec) => {
    const base = path.resolve(path.dirname(file), spec);
    const found = [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
    return found ? [found] : [];
  });
}

const FILES = [path.join(ROOT, 'main.ts'), ...['lib', 'config', 'charts', 'bootstrap', 'app'].flatMap((d) => sources(path.join(ROOT, d)))];
const GRAPH = new Map(FILES.map((f) => [f, importsOf(f)]));
const rel = (f: string) => path.relative(ROOT, f);

test('each layer imports only the layers below it', () => {
  const violations: string[] = [];
  for (const [file, targets] of GRAPH) {
    const from = layerOf(file)!;
    for (const target of targets) {
      const to = layerOf(target);
      if (to && to !== from && !ALLOWED[from].includes(to)) violations.push(`${rel(file)} (${from}) imports ${rel(target)} (${to})`);
    }
  }
  expect(violations).toEqual([]);
});

test('no import cycle', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, trail: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].map(rel).join(' → '));
      return;
    }
    state.set(file, 'open');
    for (const next of GRAPH.get(file) ?? []) if (GRAPH.has(next)) visit(next, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of [...GRAPH.keys()].sort()) visit(file, []);
  expect(cycles).toEqual([]);
});

test('the checks see the whole tree (a check that reads nothing cannot fail)', () => {
  expect(GRAPH.size).toBeGreaterThan(100);
  expect([...GRAPH.values()].flat().length).toBeGreaterThan(300);
});
