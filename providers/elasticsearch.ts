import { z } from 'zod';
import { need } from '../src/model/env.ts';
import { databaseProvider } from './database.ts';

export default databaseProvider({
  kind: 'ElasticSearch',
  plural: 'elasticsearches',
  singular: 'elasticsearch',
  shortNames: ['es'],
  finalizer: 'api.clever-cloud.com/elasticsearch',
  providerId: 'es-addon',
  description: 'An Elasticsearch cluster on Clever Cloud (optionally with Kibana and APM), credentials in a Secret.',
  specDescription: 'An Elasticsearch cluster managed by Clever Cloud.',
  upstreamCodes: { 7: '7', 8: '8', 9: '9' },
  extraOptions: {
    shape: {
      kibana: z.boolean().optional().meta({ description: 'Deploy Kibana next to the cluster. Default: false.' }),
      apm: z.boolean().optional().meta({ description: 'Deploy an APM server next to the cluster. Default: false.' }),
    },
    create: (options) => ({
      ...(typeof options.kibana === 'boolean' ? { kibana: String(options.kibana) } : {}),
      ...(typeof options.apm === 'boolean' ? { apm: String(options.apm) } : {}),
    }),
  },
  binding(env) {
    const host = need(env, 'ES_ADDON_HOST');
    const username = need(env, 'ES_ADDON_USER');
    const password = need(env, 'ES_ADDON_PASSWORD');
    const uri = env.ES_ADDON_URI ?? `https://${host}`;
    return {
      serviceBinding: { type: 'elasticsearch', host, username, password, uri },
      consumer: { ELASTICSEARCH_URL: uri },
    };
  },
  statusFields: (env): Record<string, string> =>
    env.ES_ADDON_KIBANA_HOST ? { url: `https://${env.ES_ADDON_KIBANA_HOST}` } : {},
});
