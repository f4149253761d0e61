/**
 * lib/yaml-emit.ts must write exactly what cdk8s's Yaml.stringify writes: on every object of the
 * synthesized fixture, and on scalars and keys chosen to trip a YAML 1.1 emitter.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import * as jsYaml from 'js-yaml';
import { manifestYaml } from '../lib/yaml-emit';
import { fixtureTree, manifestFolders } from './helpers';

function yamlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : e.name.endsWith('.yaml') ? [path.join(dir, e.name)] : []));
}

test('every manifest of the fixture is written as Yaml.stringify writes it', () => {
  const files = manifestFolders(fixtureTree().dist).flatMap(yamlFiles);
  expect(files.length).toBeGreaterThan(100);
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const object = jsYaml.load(text);
    expect({ file, yaml: manifestYaml(object) }).toEqual({ file, yaml: Yaml.stringify(object) });
    expect(text).toBe(Yaml.stringify(object));
  }
});

const TRICKY = [
  '',
  ' ',
  'x ',
  ' x',
  'yes',
  'No',
  'ON',
  'off',
  'y',
  'N',
  '~',
  'null',
  'Null',
  'true',
  'False',
  '1',
  '-1',
  '+1',
  '0x1F',
  '0o17',
  '017',
  '0b101',
  '1_000',
  '1:20',
  '190:20:30',
  '1.5',
  '.5',
  '1e3',
  '.inf',
  '-.Inf',
  '.NaN',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  'a: b',
  'a:b',
  'a #b',
  'a#b',
  '#x',
  '- x',
  '-x',
  '-',
  '? x',
  '?x',
  ':x',
  '*ref',
  '&anchor',
  '!tag',
  '%x',
  '@x',
  '`x',
  '|x',
  '>x',
  "'x'",
  '"x"',
  "it's",
  'a\tb',
  '{x}',
  '[x]',
  'x,y',
  '=',
  '<<',
  'http://x:80/y?z=1&w',
  'C:\\path',
  'ünïcödé',
  '日本',
  '\u00a0',
  '100m',
  '512Mi',
  '/api',
  '/',
  '_x',
  'x/',
  'a..b',
  'registry.example.com/app:1.2.3',
  'sha256:0123abcd',
];
const NUMBERS = [0, -0, 1, -5, 1.5, -0.25, 1e21, 2 ** 53, 2 ** 53 + 2, 1e-7, 3.0];

describe('tricky scalars and keys match Yaml.stringify', () => {
  const cases: [string, unknown][] = [];
  for (const s of TRICKY) {
    cases.push([`value ${JSON.stringify(s)}`, { kind: 'ConfigMap', data: { k: s } }]);
    cases.push([`list item ${JSON.stringify(s)}`, { kind: 'X', items: [s, { name: s }] }]);
    cases.push([`key ${JSON.stringify(s)}`, { kind: 'X', data: { [s]: 'v' } }]);
  }
  for (const n of NUMBERS) cases.push([`number ${n}`, { kind: 'X', spec: { n, list: [n] } }]);
  cases.push(['multi-line strings (block scalars)', { kind: 'ConfigMap', data: { a: 'one\ntwo\n', b: 'x\n', c: '  indented\nline', d: 'trailing\n\n' } }]);
  const MULTI = [
    'one\ntwo\n',
    'x\n',
    '\n',
    '\n\n',
    '\nleading blank',
    '  indented\nline',
    'trailing\n\n',
    'trailing spaces  \nnext',
    'tab\tinside\n\tleading tab\n',
    'windows\r\nline\r\n',
    '# comment\n- item\nkey: value\n',
    'quotes \' and " and \\\n',
    'ünïcödé\n日本\n',
    'blank\n\nmiddle\n',
    'ends without newline\nlast',
    'x'.repeat(200) + '\n' + 'y'.repeat(200),
  ];
  for (const m of MULTI) {
    const where = { kind: 'X', a: { b: { c: m } }, list: [{ first: m, second: m }, { nested: { deeper: m } }], top: m };
    cases.push([`multi-line ${JSON.stringify(m).slice(0, 40)} at every depth`, where]);
  }
  cases.push(['a multi-line sequence item', { kind: 'X', args: ['a\nb', 'c'] }]);
  cases.push(['nested and empty collections', { kind: 'X', a: [[1, 2], []], b: {}, c: [], d: [{}], e: [{ f: [{ g: [] }] }], h: null, i: true }]);
  cases.push(['an empty object', {}]);
  test.each(cases)('%s', (_name, object) => {
    expect(manifestYaml(object)).toBe(Yaml.stringify(object));
  });
});

test('plain manifests are laid out here, not handed to the yaml package', () => {
  const spy = jest.spyOn(Yaml, 'stringify');
  try {
    const yaml = manifestYaml({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' } },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 80 }], args: ['serve'] }] } } },
    });
    expect(spy).not.toHaveBeenCalled();
    expect(yaml).toBe(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: web',
        '  labels:',
        '    app.kubernetes.io/name: web',
        'spec:',
        '  replicas: 2',
        '  template:',
        '    spec:',
        '      containers:',
        '        - name: web',
        '          ports:',
        '            - containerPort: 80',
        '          args:',
        '            - serve',
        '',
      ].join('\n'),
    );
  } finally {
    spy.mockRestore();
  }
});
