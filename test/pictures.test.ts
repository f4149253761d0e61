/**
 * The pictures of dist/ (app/pictures.ts): drawn from what synthesis rendered, rasterized as a
 * user would see them, holding every component, route, data service and namespace of the fixture.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { Resvg } from '@resvg/resvg-js';
import { environments } from '../config/model';
import { PictureBuilder } from '../app/picture-graph';
import { pictureDot } from '../app/picture-dot';
import { renderDots, renderSvgs } from '../app/picture-render';
import { cacheRoot } from '../lib/user-cache';
import { PICTURES_DIR } from '../app/pictures';
import { fixtureTree, parsedConfig, readManifests, tmpDir } from './helpers';

/** The text Graphviz drew: every `<text>` element's content, entities decoded. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#45;/g, '-')
      .replace(/&amp;/g, '&'),
  );
}

/** The value a PNG scanline filter adds back, from the bytes left (a), above (b) and above-left (c). */
function predictor(filter: number, a: number, b: number, c: number): number {
  switch (filter) {
    case 0:
      return 0;
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >> 1;
    case 4: {
      const p = a + b - c;
      return Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
    }
    default:
      throw new Error(`PNG scanline filter ${filter} is not one of 0-4`);
  }
}

/** Decodes an 8-bit RGBA PNG (what resvg writes): its size and pixels, scanline filters undone (RFC 2083 §6). */
function decodePng(png: Buffer): { width: number; height: number; pixels: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect([body[8], body[9]]).toEqual([8, 6]); // 8 bits, RGBA
    }
    if (type === 'IDAT') data.push(body);
    offset += 12 + length;
  }
  const raw = zlib.inflateSync(Buffer.concat(data));
  const stride = width * 4;
  expect(raw.length).toBe(height * (stride + 1));
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= 4 ? pixels[y * stride + x - 4] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= 4 && y > 0 ? pixels[(y - 1) * stride + x - 4] : 0;
      pixels[y * stride + x] = (v + predictor(filter, a, b, c)) & 0xff;
    }
  }
  return { width, height, pixels };
}

describe('the pictures of the fixture platform', () => {
  const { dist } = fixtureTree();
  const config = parsedConfig();
  const production = fs.readFileSync(path.join(dist, PICTURES_DIR, 'production.svg'), 'utf8');

  test('production renders to a PNG of readable size with a drawing on it', () => {
    const png = new Resvg(production, { background: 'white', fitTo: { mode: 'width', value: 1600 }, font: { loadSystemFonts: true } }).render().asPng();
    const { width, height, pixels } = decodePng(png);
    expect(width).toBe(1600);
    expect(height).toBeGreaterThan(200);
    let inked = 0;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 200 || pixels[i + 1] < 200 || pixels[i + 2] < 200) inked++;
    // Lines, boxes and text: a blank or almost blank picture fails.
    expect(inked / (width * height)).toBeGreaterThan(0.01);
  });

  test('each environment picture names every component, route (host + path), data service and namespace', () => {
    for (const env of environments(config)) {
      const texts = new Set(svgTexts(fs.readFileSync(path.join(dist, PICTURES_DIR, `${env.name}.svg`), 'utf8')));
      for (const appEnv of env.apps) {
        expect(texts).toContain(`namespace ${appEnv.namespace}`);
        for (const c of appEnv.components) {
          expect(texts).toContain(c.name);
          for (const p of c.paths) expect(texts).toContain(`${appEnv.host}${p}`);
        }
        const data = appEnv.config.data;
        for (const service of [data.postgres ? 'postgres' : undefined, data.redis ? 'redis' : undefined].filter(Boolean))
          if (appEnv.ownsData) expect([...texts].some((t) => t.startsWith('data: Service') && t.includes(service!))).toBe(true);
      }
    }
  });

  test('the cluster picture shows every host with its roles and Ceph disks, and every add-on chart at its version', () => {
    const texts = svgTexts(fs.readFileSync(path.join(dist, PICTURES_DIR, 'cluster.svg'), 'utf8'));
    for (const h of config.cluster.hosts) {
      expect(texts).toContain(h.name);
      expect(texts).toContain(h.roles.join(', '));
      if (h.cephDisks.length) expect(texts).toContain(`Ceph: ${h.cephDisks.join(', ')}`);
    }
    const addons = readManifests(dist).filter(
      ({ object }) => object.kind === 'Application' && object.spec.source.targetRevision && !object.spec.source.path?.startsWith('dist'),
    );
    expect(addons.length).toBeGreaterThan(3);
    for (const { object } of addons) expect(texts.some((t) => t.startsWith('chart ') && t.endsWith(` ${object.spec.source.targetRevision}`))).toBe(true);
  });

  test('they lie outside every folder an Application syncs, and hold no YAML', () => {
    const files = fs.readdirSync(path.join(dist, PICTURES_DIR));
    expect(files.every((f) => f.endsWith('.svg'))).toBe(true);
    const synced = readManifests(dist)
      .filter(({ object }) => object.kind === 'Application' && object.spec.source.path?.startsWith('dist'))
      .map(({ object }) => object.spec.source.path);
    expect(synced.length).toBeGreaterThan(0);
    for (const p of synced) expect(`dist/${PICTURES_DIR}/`.startsWith(`${p}/`)).toBe(false);
  });
});

describe('PictureBuilder', () => {
  const pod = (ns: string, name: string) => ({
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: { template: { metadata: { labels: { 'app.kubernetes.io/name': name } } } },
  });
  const objects = [
    { kind: 'Namespace', metadata: { name: 'shop' } },
    pod('shop', 'api'),
    pod('shop', 'db'),
    { kind: 'Service', metadata: { name: 'db', namespace: 'shop' }, spec: { selector: { 'app.kubernetes.io/name': 'db' } } },
    {
      kind: 'NetworkPolicy',
      metadata: { name: 'ingress-db-from-api', namespace: 'shop' },
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'db' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'api' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }],
      },
    },
  ];

  test('draws an allowed connection between the pods a NetworkPolicy names, and a data service as a database', () => {
    const p = new PictureBuilder('t', objects, new Set(['shop/db'])).connections().build();
    expect(p.edges.get('w:shop/Deployment/api->w:shop/Deployment/db')).toMatchObject({ label: 'TCP 5432', kind: 'connection' });
    expect(p.nodes.get('w:shop/Deployment/db')).toMatchObject({ shape: 'cylinder' });
    expect(pictureDot(p)).toContain('subgraph "cluster_shop"');
  });

  test('the same graph gives the same SVG; an unchanged graph is reused, a changed one drawn again', () => {
    const dot = pictureDot(new PictureBuilder('t', objects, new Set()).connections().build());
    const dir = tmpDir('pictures-');
    // Graphviz itself is deterministic: two drawings of one graph are the same bytes.
    const [a] = renderSvgs([dot]);
    expect(renderSvgs([dot])[0]).toBe(a);
    const [first] = renderDots([{ path: 'p.svg', dot }]);
    expect(first.content).toContain('<svg');
    // Kept in the per-user cache by digest, so a later synthesis elsewhere need not draw it again.
    const cached = fs.readdirSync(path.join(cacheRoot(), 'pictures')).map((f) => fs.readFileSync(path.join(cacheRoot(), 'pictures', f), 'utf8'));
    expect(cached).toContain(first.content);
    expect(renderDots([{ path: 'p.svg', dot }])[0].content).toBe(first.content);
    fs.writeFileSync(path.join(dir, 'p.svg'), `${first.content}<!-- kept -->`);
    expect(renderDots([{ path: 'p.svg', dot }], dir)[0].content).toContain('<!-- kept -->');
    const changed = dot.replace('label="t"', 'label="u"');
    expect(changed).not.toBe(dot);
    expect(renderDots([{ path: 'p.svg', dot: changed }], dir)[0].content).not.toContain('<!-- kept -->');
  });
});
