/**
 * A picture of each environment and of the cluster, drawn from what synthesis rendered and the
 * host inventory: `dist/pictures/<environment>.svg` and `dist/pictures/cluster.svg`. They sit
 * beside the synthesized folders, never inside one an Argo CD Application or `kubectl apply -R
 * dist/<folder>/` reads, and the validator reads only YAML.
 */
import { byOrdinal } from '../lib/order';
import { ProtectedService } from '../lib/exposure';
import { ExtraFile } from '../lib/atomic-write';
import { pictureDot } from './picture-dot';
import { PictureBuilder } from './picture-graph';
import { renderDots } from './picture-render';

export const PICTURES_DIR = 'pictures';

export interface PictureHost {
  readonly name: string;
  readonly address: string;
  readonly roles: readonly string[];
  readonly cephDisks: readonly string[];
}

export interface PictureSources {
  /** Each synthesized folder's objects (`cluster`, `<environment>/<app>`, …). */
  readonly byUnit: ReadonlyMap<string, readonly any[]>;
  /** Services that hold data (drawn as databases). */
  readonly dataServices: readonly ProtectedService[];
  readonly clusterName: string;
  readonly hosts: readonly PictureHost[];
  /** The control-plane VIP. @default - none (a single control plane) */
  readonly vip?: string;
}

/** DOT text of every picture, by its path under the output folder. */
export function pictureDots(src: PictureSources): { path: string; dot: string }[] {
  const data = new Set(src.dataServices.map((s) => `${s.namespace}/${s.name}`));
  const envs = new Map<string, any[]>();
  for (const [dir, objects] of src.byUnit) {
    const [env, app] = dir.split('/');
    if (app) envs.set(env, [...(envs.get(env) ?? []), ...objects]);
  }
  const pictures = [...envs.keys()].sort(byOrdinal).map((env) => ({
    path: `${PICTURES_DIR}/${env}.svg`,
    dot: pictureDot(new PictureBuilder(`environment ${env} (dist/${env}/)`, envs.get(env)!, data).routes().connections().build()),
  }));
  return [...pictures, { path: `${PICTURES_DIR}/cluster.svg`, dot: pictureDot(clusterPicture(src, data)) }];
}

/** The SVG files, rendered (or reused from `previousDir` where the graph is unchanged). */
export function platformPictures(src: PictureSources, previousDir?: string): ExtraFile[] {
  return renderDots(pictureDots(src), previousDir);
}

function clusterPicture(src: PictureSources, data: ReadonlySet<string>) {
  const objects = src.byUnit.get('cluster') ?? [];
  const b = new PictureBuilder(`cluster ${src.clusterName} (dist/cluster/)`, objects, data).routes().connections();
  b.group('hosts', 'hosts');
  if (src.vip) b.node({ id: 'h:vip', label: `control-plane VIP\n${src.vip}`, shape: 'ellipse', namespace: 'hosts' });
  for (const h of src.hosts) {
    const disks = h.cephDisks.length ? `Ceph: ${h.cephDisks.join(', ')}` : 'no Ceph disk';
    b.node({ id: `h:${h.name}`, label: `${h.name}\n${h.address}\n${h.roles.join(', ')}\n${disks}`, shape: 'box3d', namespace: 'hosts' });
    if (src.vip && h.roles.includes('control-plane')) b.edge({ from: 'h:vip', to: `h:${h.name}`, label: 'API :6443', kind: 'route' });
  }
  // What Argo CD syncs: each add-on's pinned chart into its namespace, each environment's folder.
  const argocd = 'x:argocd';
  b.node({ id: argocd, label: 'Argo CD', shape: 'component', namespace: 'argocd' });
  for (const app of objects.filter((o) => o.kind === 'Application').sort((x, y) => byOrdinal(x.metadata.name, y.metadata.name))) {
    const source = app.spec?.source ?? {};
    const wave = app.metadata?.annotations?.['argocd.argoproj.io/sync-wave'] ?? '0';
    const id = `a:${app.metadata.name}`;
    if (source.path && source.path !== '.') {
      b.node({ id, label: `Application ${app.metadata.name}\n${source.path}/`, shape: 'folder' });
    } else {
      // An OCI chart's name is the last part of its repository URL (charts/addon-application.ts).
      const chart =
        source.chart ??
        String(source.repoURL ?? '')
          .split('/')
          .pop();
      b.node({ id, label: `${app.metadata.name}\nchart ${chart} ${source.targetRevision}`, shape: 'component', namespace: app.spec?.destination?.namespace });
    }
    b.edge({ from: argocd, to: id, label: `wave ${wave}`, kind: 'sync' });
  }
  return b.build();
}
