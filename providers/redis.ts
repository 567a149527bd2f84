import type { z } from 'zod';
import { connectionUrl, need } from '../src/model/env.ts';
import { defineProvider } from '../src/model/provider.ts';
import { addonSpec, databaseOptions, databaseOptionsField, instanceField } from '../src/model/spec.ts';

const spec = addonSpec(
  { instance: instanceField('par'), options: databaseOptionsField() },
  'A Redis database managed by Clever Cloud.',
);

export default defineProvider<z.output<typeof spec>>({
  kind: 'Redis',
  plural: 'redis',
  singular: 'redis',
  shortNames: ['r'],
  crdVersion: 'v1',
  finalizer: 'api.clever-cloud.com/redis',
  providerId: 'redis-addon',
  description: 'A Redis database on Clever Cloud, with its connection details in a Secret.',
  spec,
  defaultRegion: 'par',
  // Upstream integer codes; 626 appears in upstream examples (an older Redis) and is accepted for old manifests.
  versions: { upstreamCodes: { 626: '6.2.6', 724: '7.2.4', 802: '8.0.2', 880: '8.8.0' } },
  plan: (s) => s.instance.plan,
  region: (s) => s.instance.region,
  requestedVersion: (s) => s.options.version,
  options: (s) => databaseOptions(s.options),
  readiness: { kind: 'databaseStatus' },
  envKeys: ['REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'REDIS_TOKEN', 'REDIS_URL', 'REDIS_VERSION'],
  binding(env) {
    const host = need(env, 'REDIS_HOST');
    const port = need(env, 'REDIS_PORT');
    const password = need(env, 'REDIS_PASSWORD');
    const url = connectionUrl({ scheme: 'redis', password, host, port });
    return {
      serviceBinding: { type: 'redis', host, port, password, uri: url },
      consumer: { REDIS_URL: url },
    };
  },
  printerColumns: [{ name: 'Version', type: 'string', jsonPath: '.status.version', priority: 1 }],
});
