/** The `logging` section of the platform config (config/schema/logging.ts). */
import { configError, parsedConfig } from './helpers';

const F = 'config/platform.yaml';

describe('logging config', () => {
  test('defaults: on, 14 days, 30Gi and a 1 GiB heap, Kibana behind kibana-basic-auth, shipper on control planes too', () => {
    expect(parsedConfig().logging).toEqual({
      enabled: true,
      retentionDays: 14,
      elasticsearch: { storage: '30Gi', heapMiB: 1024 },
      kibana: { authSecret: 'kibana-basic-auth' },
      shipper: { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] },
    });
  });

  test.each([
    ['a retention of zero days', (c: any) => (c.logging.retentionDays = 0), `${F}: logging.retentionDays: expected an integer from 1 to 3650, found 0`],
    [
      'a heap below 256 MiB',
      (c: any) => (c.logging.elasticsearch = { heapMiB: 128 }),
      `${F}: logging.elasticsearch.heapMiB: expected an integer from 256 to 31744, found 128`,
    ],
    [
      'a toleration with a value and operator Exists',
      (c: any) => (c.logging.shipper = { tolerations: [{ key: 'dedicated', value: 'logs' }] }),
      `${F}: logging.shipper.tolerations[0].value: expected no value with operator "Exists", found "logs"`,
    ],
    [
      'a toleration with operator Equal and no key',
      (c: any) => (c.logging.shipper = { tolerations: [{ operator: 'Equal', value: 'logs' }] }),
      `${F}: logging.shipper.tolerations[0].key: expected a taint key with operator "Equal", found nothing (the field is required)`,
    ],
  ])('rejects %s', (_name, mutate, message) => {
    expect(configError(mutate)).toBe(message);
  });
});
