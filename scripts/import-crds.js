#!/usr/bin/env node
// Regenerates the typed CRD classes in imports/ with `cdk8s import`, keeping only the
// kinds our constructs use (some upstream CRD files are several MB of generated code) and,
// for the kinds in crd-kinds.json's `classes`, only the spec fields the constructs set.
// Reads the CRD files from SCHEMA_LOCATION (default ../shared/schemas) when present,
// otherwise downloads the pinned upstream URLs listed in cdk8s.yaml.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const yaml = require('js-yaml');

const ROOT = path.resolve(__dirname, '..');
const SCHEMAS = process.env.SCHEMA_LOCATION ?? path.resolve(ROOT, '../shared/schemas');

/**
 * The kinds our constructs emit, by CRD file (the file names of shared/schemas/crds): the classes
 * generated here, and the CRD schemas `npm run schemas` bundles for the validator.
 */
/** And `classes`: kind → the spec paths its class gets typed fields for; other kinds keep every field. */
const { generate: SOURCES, classes: CLASSES } = require('./crd-kinds.json');

/**
 * The spec schema with only the listed paths ("a.b.c"): a listed path keeps its whole subtree, each parent keeps only
 * the children that lead to one. A path that names no field is an error, so a typo never silently drops a field.
 */
function keepPaths(schema, paths, kind, prefix = 'spec') {
  const children = new Map();
  for (const p of paths) {
    const [head, ...rest] = p.split('.');
    if (!children.has(head)) children.set(head, []);
    if (rest.length) children.get(head).push(rest.join('.'));
    else children.get(head).whole = true;
  }
  for (const name of children.keys()) {
    if (!schema.properties?.[name]) throw new Error(`${kind}: crd-kinds.json classes names ${prefix}.${name}, which the CRD does not have`);
  }
  // In the schema's order: the generated toJson writes fields in it, so the manifests stay byte-identical.
  const properties = {};
  for (const [name, sub] of Object.entries(schema.properties)) {
    const rest = children.get(name);
    if (rest) properties[name] = rest.whole ? sub : keepPaths(sub, rest, kind, `${prefix}.${name}`);
  }
  const { required, ...rest } = schema;
  const kept = (required ?? []).filter((r) => r in properties);
  return { ...rest, properties, ...(kept.length ? { required: kept } : {}) };
}

/** Upstream URLs by CRD file, from cdk8s.yaml's `imports` (a file may have several). */
function upstreamUrls(file) {
  const config = yaml.load(fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8'));
  const stem = {
    'argo-cd.yaml': 'argoproj/argo-cd',
    'gateway-api.yaml': 'gateway-api',
    'envoy-gateway.yaml': 'envoyproxy/gateway',
    'cert-manager.yaml': 'cert-manager/cert-manager',
    'rook-ceph.yaml': 'rook/rook',
    'eck.yaml': 'cloud-on-k8s',
    'prometheus-operator.yaml': 'prometheus-operator/prometheus-operator',
    'volume-snapshots.yaml': 'external-snapshotter',
    'sealed-secrets.yaml': 'bitnami-labs/sealed-secrets',
    'cloudnative-pg.yaml': 'cloudnative-pg/cloudnative-pg',
    'barman-cloud-plugin.yaml': 'cloudnative-pg/plugin-barman-cloud',
  }[file];
  return config.imports.filter((url) => url.includes(stem));
}

async function readSource(file) {
  const local = path.join(SCHEMAS, 'crds', file);
  if (fs.existsSync(local)) return fs.readFileSync(local, 'utf8');
  const texts = [];
  for (const url of upstreamUrls(file)) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    texts.push(await res.text());
  }
  return texts.join('\n---\n');
}

async function main() {
  // `cdk8s import <file>` appends the file to cdk8s.yaml's imports; keep the pinned list as written.
  const cdk8sYaml = fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crds-'));
  const out = path.join(ROOT, 'imports');
  // Generate beside imports/ and swap it in only when every file generated: a failed import
  // (offline, a missing CRD) leaves the committed imports/ as it was.
  const staging = path.join(ROOT, `.imports.tmp-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    await generate(staging, tmp);
    const old = path.join(ROOT, `.imports.old-${process.pid}`);
    if (fs.existsSync(out)) fs.renameSync(out, old);
    fs.renameSync(staging, out);
    fs.rmSync(old, { recursive: true, force: true });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.writeFileSync(path.join(ROOT, 'cdk8s.yaml'), cdk8sYaml);
  }
}

async function generate(out, tmp) {
  for (const [file, kinds] of Object.entries(SOURCES)) {
    const docs = yaml.loadAll(await readSource(file)).filter((d) => d && d.kind === 'CustomResourceDefinition');
    const wanted = docs.filter((d) => kinds.includes(d.spec.names.kind));
    const missing = kinds.filter((k) => !wanted.some((d) => d.spec.names.kind === k));
    if (missing.length) throw new Error(`${file}: no CRD for ${missing.join(', ')}`);
    for (const d of wanted) {
      const paths = CLASSES[d.spec.names.kind];
      if (!paths) continue;
      for (const v of d.spec.versions) {
        const root = v.schema.openAPIV3Schema;
        root.properties.spec = keepPaths(root.properties.spec, paths, d.spec.names.kind);
        delete root.properties.status;
      }
    }
    const filtered = path.join(tmp, file);
    fs.writeFileSync(filtered, wanted.map((d) => yaml.dump(d, { noRefs: true, lineWidth: -1 })).join('---\n'));
    execFileSync(path.join(ROOT, 'node_modules/.bin/cdk8s'), ['import', filtered, '--no-check-upgrade', '--language', 'typescript', '--output', out], {
      stdio: 'inherit',
    });
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
