import { connectionUrl, need } from '../src/model/env.ts';
import { databaseProvider } from './database.ts';

export default databaseProvider({
  kind: 'Redis',
  plural: 'redis',
  singular: 'redis',
  shortNames: ['r'],
  finalizer: 'api.clever-cloud.com/redis',
  providerId: 'redis-addon',
  description: 'A Redis database on Clever Cloud, with its connection details in a Secret.',
  specDescription: 'A Redis database managed by Clever Cloud.',
  // Upstream integer codes; 626 appears in upstream examples (an older Redis) and is accepted for old manifests.
  upstreamCodes: { 626: '6.2.6', 724: '7.2.4', 802: '8.0.2', 880: '8.8.0' },
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
});
