// Snapshots name pins, not their values: every string that holds a value of config/versions.yaml
// (a chart version, an image, a manifest URL or checksum, the Kubernetes release) is printed with
// `<charts.NAME.version>`, `<images.KEY>`, … in its place, so a bump of a pin changes no snapshot
// (what uses the pin is still checked: a construct that ignored it would print the old value).
'use strict';
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');

const versions = yaml.load(fs.readFileSync(path.join(__dirname, '..', 'config', 'versions.yaml'), 'utf8'), { schema: yaml.CORE_SCHEMA });
const names = new Map();
const add = (value, name) => {
  if (typeof value === 'string' && value.length >= 5 && !names.has(value)) names.set(value, name);
};
for (const key of Object.keys(versions.images).sort()) add(versions.images[key], `images.${key}`);
for (const [key, pin] of Object.entries(versions.charts)) add(pin.version, `charts.${key}.version`);
for (const [key, pin] of Object.entries(versions.manifests)) {
  add(pin.url, `manifests.${key}.url`);
  add(pin.sha256, `manifests.${key}.sha256`);
  for (const [i, image] of (pin.images || []).entries()) add(image, `manifests.${key}.images[${i}]`);
}
add(versions.kubernetes.release, 'kubernetes.release');

const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Longest first, so an image wins over the version inside it; not inside a longer number.
const alternatives = [...names.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1)).map(escapeRegex);
const source = `(?<![0-9.])(?:${alternatives.join('|')})(?![0-9]|\\.[0-9])`;
const once = new RegExp(source);
const all = new RegExp(source, 'g');

module.exports = {
  test: (value) => typeof value === 'string' && once.test(value),
  serialize: (value, config, indentation, depth, refs, printer) =>
    printer(
      value.replace(all, (m) => `<${names.get(m)}>`),
      config,
      indentation,
      depth,
      refs,
    ),
};
