/** Schema of `logging`: Elasticsearch, Kibana and log shipping (the LoggingTier, charts/logging-tier.ts). */
import { LOGGING_DEFAULTS } from '../../lib/tier-defaults';
import { z } from 'zod';
import { dnsLabel, integer, quantity } from './primitives';
import { resources } from './app';

/** A pod toleration, in Kubernetes' own field names. */
const toleration = z
  .strictObject({
    /** Taint key; leave out with `operator: Exists` to tolerate every taint. */
    key: z.string().min(1, { error: 'expected a taint key' }).optional(),
    operator: z.enum(['Exists', 'Equal'], { error: 'expected "Exists" or "Equal"' }).default('Exists'),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], { error: 'expected "NoSchedule", "PreferNoSchedule" or "NoExecute"' }).optional(),
  })
  .superRefine((t, ctx) => {
    // The API server's own rules for tolerations.
    if (t.operator === 'Exists' && t.value !== undefined)
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'expected no value with operator "Exists"', input: t.value });
    if (t.operator === 'Equal' && !t.key) ctx.addIssue({ code: 'custom', path: ['key'], message: 'expected a taint key with operator "Equal"', input: t.key });
  });

type TolerationConfig = z.infer<typeof toleration>;

/** The shipper's default tolerations (LOGGING_DEFAULTS), as fresh mutable values for the parsed config. */
const shipperTolerations = (): TolerationConfig[] => LOGGING_DEFAULTS.shipper.tolerations.map((t) => ({ ...t }));

const elasticsearch = z.strictObject({
  /** Volume size of each Elasticsearch node (on the platform's retained block StorageClass). */
  storage: quantity().default(LOGGING_DEFAULTS.elasticsearch.storage),
  /** JVM heap of each node; the default memory request and limit are twice this. */
  heapMiB: integer({ min: 256, max: 31744 }).default(LOGGING_DEFAULTS.elasticsearch.heapMiB),
  /** Overrides the derived requests/limits of the `elasticsearch` container. */
  resources: resources.optional(),
});

const kibana = z.strictObject({
  /**
   * Secret in the `logging` namespace holding the htpasswd file that guards /kibana (key
   * `.htpasswd` for Envoy Gateway, `auth` for ingress-nginx). Declared, never synthesized.
   */
  authSecret: dnsLabel().default(LOGGING_DEFAULTS.kibana.authSecret),
  resources: resources.optional(),
});

const shipper = z.strictObject({
  resources: resources.optional(),
  /** Taints the shipper tolerates; it must run on every node whose containers' logs are wanted. */
  tolerations: z.array(toleration).default(shipperTolerations),
});

export const logging = z.strictObject({
  /**
   * Turning logging off stops synthesizing it; the Elasticsearch data, its namespace and the
   * operator stay in the cluster (docs/logging.md says how to remove them on purpose).
   */
  enabled: z.boolean().default(true),
  /** Log documents older than this many days are deleted by the index lifecycle policy. */
  retentionDays: integer({ min: 1, max: 3650 }).default(LOGGING_DEFAULTS.retentionDays),
  elasticsearch: elasticsearch.default({ ...LOGGING_DEFAULTS.elasticsearch }),
  kibana: kibana.default({ ...LOGGING_DEFAULTS.kibana }),
  shipper: shipper.default(() => ({ tolerations: shipperTolerations() })),
});

export type LoggingConfig = z.infer<typeof logging>;
