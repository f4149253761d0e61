import { ApiObject, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { checkPostgresStorageClass, DataTier, postgresStorageClass } from '../charts/data-tier';
import { storage } from '../config/schema/storage';
import { declaredStorageClasses } from '../lib/storage-rules';
import { PodGroup } from '../lib/network-policy';
import { PlatformChart } from '../lib/platform-chart';
import { formatFinding, validateDocuments } from '../lib/validate';
import { drainWarnings } from '../lib/warnings';
import { containers, dataConfig, DELETE, find, NAMESPACE, POSTGRES, RETAIN, synthDataTier } from './data-tier-fixtures';

const backend: PodGroup = { name: 'backend', namespace: NAMESPACE, selector: { 'app.kubernetes.io/instance': NAMESPACE, 'app.kubernetes.io/name': 'backend' } };
const worker: PodGroup = { name: 'worker', namespace: NAMESPACE, selector: { 'app.kubernetes.io/instance': NAMESPACE, 'app.kubernetes.io/name': 'worker' } };
const PREVIEWS = { name: 'previews', namespaceLabels: { 'platform.campus/preview-of': 'berkeleytime' } };
const FULL = dataConfig({
  postgres: {
    ...POSTGRES,
    backups: {
      keep: 14,
      s3: { endpoint: 'https://s3.example.org', bucket: 'berkeleytime-backups', credentialsSecret: 'backup-s3' },
      restoreDrill: { enabled: true },
    },
  },
  redis: { maxMemory: '512mb', evictionPolicy: 'allkeys-lfu' },
});

/** The ingress peers admitted to the pods with `labels` on `port`, over every policy that selects them. */
function admitted(docs: any[], labels: Record<string, string>, port: number): any[] {
  const selects = (p: any) => Object.entries(p.spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return docs
    .filter((d) => d.kind === 'NetworkPolicy' && d.spec.policyTypes.includes('Ingress') && selects(d))
    .flatMap((d) => (d.spec.ingress ?? []).filter((rule: any) => rule.ports.some((p: any) => p.port === port)).flatMap((rule: any) => rule.from));
}

beforeEach(() => drainWarnings());

describe('DataTier', () => {
  describe('storage class of the database volume', () => {
    test('a StorageClass with reclaimPolicy Delete is refused, saying why', () => {
      expect(() => synthDataTier({ storageClass: DELETE })).toThrow(
        'DataTier berkeleytime-production: postgres volume would use StorageClass "ceph-block" (reclaimPolicy Delete): ' +
          'a deleted claim would delete the database; use a Retain class such as "ceph-block-retain"',
      );
    });

    test('a Delete class is fine when the tier has no database', () => {
      expect(() => synthDataTier({ postgres: undefined, storageClass: DELETE })).not.toThrow();
    });

    test('config check: the default class is accepted, a Delete or unknown class is refused', () => {
      const classes = [DELETE, RETAIN];
      const pg = (storageClass?: string) => dataConfig({ postgres: { ...POSTGRES, ...(storageClass ? { storageClass } : {}) } }).postgres!;
      expect(checkPostgresStorageClass(pg(), classes)).toBeUndefined();
      expect(checkPostgresStorageClass(pg('ceph-block-retain'), classes)).toBeUndefined();
      expect(checkPostgresStorageClass(pg('ceph-block'), classes)).toBe(
        'expected a StorageClass with reclaimPolicy Retain: "ceph-block-retain" (with "ceph-block", reclaimPolicy Delete, a deleted claim would delete the database)',
      );
      expect(checkPostgresStorageClass(pg('nfs'), classes)).toBe('expected a StorageClass of the platform with reclaimPolicy Retain: "ceph-block-retain"');
    });

    test('the volume class is the configured one, else the platform retained class', () => {
      const classes = declaredStorageClasses(storage.parse({}));
      const pg = (storageClass?: string) => dataConfig({ postgres: { ...POSTGRES, ...(storageClass ? { storageClass } : {}) } }).postgres!;
      expect(postgresStorageClass(pg(), classes)).toEqual(RETAIN);
      expect(postgresStorageClass(pg('ceph-block'), classes)).toEqual(DELETE);
      expect(() => postgresStorageClass(pg(), [DELETE])).toThrow(
        'no StorageClass with reclaimPolicy Retain for the database volume; declare one (storage.external) or enable Rook',
      );
    });
  });

  test('connection info: FQDN host (previews connect from other namespaces) and Secret references', () => {
    const { tier } = synthDataTier();
    expect(tier.postgres!.connectionEnv).toEqual([
      { name: 'POSTGRES_HOST', value: 'postgres.berkeleytime-production.svc.cluster.local' },
      { name: 'POSTGRES_PORT', value: '5432' },
      { name: 'POSTGRES_DB', value: 'berkeleytime' },
      { name: 'POSTGRES_USER', valueFrom: { secretKeyRef: { name: 'postgres-credentials', key: 'username' } } },
      { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-credentials', key: 'password' } } },
    ]);
    expect(tier.postgres!.secretNames).toEqual(['postgres-credentials']);
    expect(tier.redis!.connectionEnv).toEqual([{ name: 'REDIS_URL', value: 'redis://redis.berkeleytime-production.svc.cluster.local:6379/0' }]);
    expect(tier.redis!.secretNames).toEqual([]);
    expect(synthDataTier({ clusterDomain: 'hozer.internal' }).tier.redis!.connectionEnv[0].value).toBe(
      'redis://redis.berkeleytime-production.svc.hozer.internal:6379/0',
    );
  });

  test('staging and production get distinct data tiers', () => {
    const prod = synthDataTier({ namespace: 'berkeleytime-production' });
    const staging = synthDataTier({ namespace: 'berkeleytime-staging' });
    const ids = (docs: any[]) => docs.map((d) => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`);
    expect(ids(staging.docs).filter((id) => ids(prod.docs).includes(id))).toEqual([]);
    expect(staging.docs.every((d) => d.metadata.namespace === 'berkeleytime-staging')).toBe(true);
    expect(staging.tier.postgres!.connectionEnv[0].value).toBe('postgres.berkeleytime-staging.svc.cluster.local');
    expect(staging.tier.postgres!.connectionEnv[0].value).not.toBe(prod.tier.postgres!.connectionEnv[0].value);
  });

  test('staging sharing production data warns (platform:data:sharedStaging) and hands over production tier', () => {
    const { tier } = synthDataTier({ postgres: FULL.postgres });
    drainWarnings();
    expect(DataTier.sharedWithStaging(tier, 'berkeleytime-staging')).toBe(tier);
    expect(drainWarnings()).toEqual([
      {
        id: 'platform:data:sharedStaging',
        message:
          "apps.berkeleytime.environments.staging.shareProductionData: staging (berkeleytime-staging) uses production's database and cache in berkeleytime-production, " +
          'so staging migrations, jobs and tests change production data; remove the key to give staging its own data tier',
      },
    ]);
  });

  describe('network isolation', () => {
    function withClients() {
      const app = Testing.app();
      const { tier } = synthDataTier({ extraClients: PREVIEWS }, app);
      const appChart = new PlatformChart(app, '20-berkeleytime', { namespace: NAMESPACE });
      tier.allowClient(appChart, backend, tier.postgres!);
      tier.allowClient(appChart, backend, tier.postgres!); // idempotent
      tier.allowClient(appChart, worker, tier.redis!);
      return { tier, docs: tier.toJson(), appDocs: appChart.toJson() };
    }

    test('Postgres admits exactly the declared clients, the backup job and the preview namespaces', () => {
      const { tier, docs } = withClients();
      expect(admitted(docs, tier.postgres!.selector, 5432)).toEqual([
        { podSelector: { matchLabels: { 'app.kubernetes.io/instance': NAMESPACE, 'app.kubernetes.io/name': 'postgres-backup' } } },
        { namespaceSelector: { matchLabels: { 'platform.campus/preview-of': 'berkeleytime' } } },
        { podSelector: { matchLabels: backend.selector } },
      ]);
    });

    test('Redis admits exactly its declared client and the preview namespaces', () => {
      const { tier, docs } = withClients();
      expect(admitted(docs, tier.redis!.selector, 6379)).toEqual([
        { namespaceSelector: { matchLabels: { 'platform.campus/preview-of': 'berkeleytime' } } },
        { podSelector: { matchLabels: worker.selector } },
      ]);
    });

    test('data pods are isolated in both directions even without a namespace default-deny', () => {
      const { docs } = withClients();
      for (const name of ['postgres', 'redis']) {
        expect(find(docs, 'NetworkPolicy', `isolate-${name}`).spec).toEqual({
          podSelector: { matchLabels: { 'app.kubernetes.io/instance': NAMESPACE, 'app.kubernetes.io/name': name } },
          policyTypes: ['Ingress', 'Egress'],
        });
      }
    });

    test('the egress side goes to the client scope', () => {
      const { appDocs } = withClients();
      expect(appDocs.map((d) => d.metadata.name).sort()).toEqual(['egress-backend-to-postgres', 'egress-worker-to-redis']);
      expect(find(appDocs, 'NetworkPolicy', 'egress-backend-to-postgres').spec.egress[0].ports).toEqual([{ port: 5432, protocol: 'TCP' }]);
    });

    test('a client in another namespace is selected by namespace; an extraClients namespace can skip the ingress side', () => {
      const app = Testing.app();
      const { tier } = synthDataTier({ extraClients: PREVIEWS }, app);
      const staging = new PlatformChart(app, '20-berkeleytime-staging', { namespace: 'berkeleytime-staging' });
      const preview = new PlatformChart(app, '20-berkeleytime-preview', { namespace: 'berkeleytime-preview-x' });
      tier.allowClient(staging, { ...backend, namespace: 'berkeleytime-staging' }, tier.postgres!);
      tier.allowClient(preview, { ...backend, namespace: 'berkeleytime-preview-x' }, tier.postgres!, { ingress: false });
      const docs = tier.toJson();
      expect(find(docs, 'NetworkPolicy', 'ingress-postgres-from-backend-berkeleytime-staging').spec.ingress[0].from).toEqual([
        { podSelector: { matchLabels: backend.selector }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'berkeleytime-staging' } } },
      ]);
      expect(docs.filter((d) => d.metadata.name.includes('preview-x'))).toEqual([]);
      expect(find(preview.toJson(), 'NetworkPolicy', 'egress-backend-to-postgres').spec.egress[0].to[0].namespaceSelector).toEqual({
        matchLabels: { 'kubernetes.io/metadata.name': NAMESPACE },
      });
    });

    test('a service of another tier is refused', () => {
      const { tier } = synthDataTier();
      const other = synthDataTier({ namespace: 'berkeleytime-staging' }).tier;
      expect(() => tier.allowClient(tier, backend, other.postgres!)).toThrow(
        'DataTier berkeleytime-production: allowClient(backend) was given berkeleytime-staging/postgres, which is not a service of this tier',
      );
    });
  });

  describe('exposure', () => {
    const exposed = (build: (scope: Construct, tier: DataTier) => void) => {
      const app = Testing.app();
      const { tier } = synthDataTier({}, app);
      build(new PlatformChart(app, '20-berkeleytime', { namespace: NAMESPACE }), tier);
      return () => app.synthYaml();
    };

    test('a NodePort Service selecting Postgres is rejected', () => {
      const synth = exposed((scope, tier) => {
        new k8s.KubeService(scope, 'Debug', {
          metadata: { name: 'postgres-debug', namespace: NAMESPACE },
          spec: { type: 'NodePort', selector: { ...tier.postgres!.selector }, ports: [{ port: 5432 }] },
        });
      });
      expect(synth).toThrow(
        'Service berkeleytime-production/postgres-debug exposes data service berkeleytime-production/postgres as NodePort; databases are reachable only inside their namespace',
      );
    });

    test('an Ingress to the Postgres Service is rejected', () => {
      const synth = exposed((scope) => {
        new k8s.KubeIngress(scope, 'Ingress', {
          metadata: { name: 'db', namespace: NAMESPACE },
          spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'postgres', port: { number: 5432 } } } }] } }] },
        });
      });
      expect(synth).toThrow(
        'Ingress berkeleytime-production/db routes to data service berkeleytime-production/postgres; databases are never exposed through the entry point',
      );
    });

    test('other NodePorts (the entry point) are not this tier’s to judge', () => {
      const synth = exposed((scope) => {
        new ApiObject(scope, 'Gateway', {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'envoy', namespace: 'envoy-gateway-system' },
          spec: { type: 'NodePort', selector: { app: 'envoy' }, ports: [{ port: 443 }] },
        });
      });
      expect(synth).not.toThrow();
    });

    test('protectedServices name the client and headless Services and Redis', () => {
      expect(synthDataTier().tier.protectedServices.map((s) => `${s.namespace}/${s.name}`)).toEqual([
        `${NAMESPACE}/postgres`,
        `${NAMESPACE}/postgres-headless`,
        `${NAMESPACE}/redis`,
      ]);
    });
  });

  test('no literal secret values anywhere in the output', () => {
    const { docs } = synthDataTier({ ...FULL, extraClients: PREVIEWS });
    const problems: string[] = [];
    const walk = (value: unknown, path: string) => {
      if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${path}[${i}]`));
      if (value && typeof value === 'object') {
        const obj = value as Record<string, unknown>;
        // An env var whose name says secret must take its value from a Secret.
        if (typeof obj.name === 'string' && /PASSWORD|SECRET|TOKEN|KEY/.test(obj.name) && 'value' in obj) problems.push(`${path}: literal ${obj.name}`);
        return Object.entries(obj).forEach(([k, v]) => walk(v, `${path}.${k}`));
      }
      if (typeof value !== 'string') return;
      if (/(password|passwd|secret|token)\s*[:=]\s*\S/i.test(value)) problems.push(`${path}: ${value}`);
      const isPath = /^\/[a-z0-9/_.-]*$/.test(value);
      if (!isPath && /^[A-Za-z0-9+/]{24,}={0,2}$/.test(value)) problems.push(`${path}: base64-looking ${value}`);
    };
    for (const doc of docs) {
      if (['Secret', 'ConfigMap'].includes(doc.kind)) problems.push(`${doc.kind} ${doc.metadata.name}`);
      walk(doc, `${doc.kind}/${doc.metadata.name}`);
    }
    expect(problems).toEqual([]);
  });

  test('every object passes strict schema, reference and Pod Security validation', () => {
    const tiers = [synthDataTier(), synthDataTier({ ...FULL, extraClients: PREVIEWS, namespace: 'berkeleytime-staging' })];
    const docs = tiers.flatMap(({ tier, docs: d }) => d.map((object, index) => ({ file: `${tier.namespace}.yaml`, index, object })));
    const secrets = tiers.flatMap(({ tier }) => tier.externalSecrets);
    const findings = validateDocuments(docs, { declared: { secrets, storageClasses: ['ceph-block-retain'] } });
    expect(findings.map(formatFinding)).toEqual([]);
  });

  test('every pod runs restricted, as its image user with an explicit uid', () => {
    const { docs } = synthDataTier(FULL);
    const pods = docs.flatMap((d) => (d.spec?.template ? [d.spec.template.spec] : d.spec?.jobTemplate ? [d.spec.jobTemplate.spec.template.spec] : []));
    expect(pods).toHaveLength(4);
    for (const pod of pods) {
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of containers(pod)) expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    }
  });

  test('snapshot: defaults (Postgres and Redis, backups on the cluster)', () => {
    expect(synthDataTier().docs).toMatchSnapshot();
  });

  test('snapshot: off-cluster backups, restore drill, preview clients', () => {
    expect(synthDataTier({ ...FULL, extraClients: PREVIEWS }).docs).toMatchSnapshot();
  });
});
