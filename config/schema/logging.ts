/** Schema of `logging`: Elasticsearch, Kibana and log shipping. */
import { z } from 'zod';
import { integer, quantity } from './primitives';
import { resources } from './app';

export const logging = z.strictObject({
  enabled: z.boolean().default(true),
  retentionDays: integer({ min: 1, max: 3650 }).default(14),
  elasticsearch: z
    .strictObject({ storage: quantity().default('30Gi'), heapMiB: integer({ min: 256 }).default(1024), resources: resources.optional() })
    .default({ storage: '30Gi', heapMiB: 1024 }),
});

export type LoggingConfig = z.infer<typeof logging>;
