import { z } from 'zod';
import { need } from '../src/model/env.ts';
import { defineProvider } from '../src/model/provider.ts';
import { addonSpec, databaseOptions, encryptionField, instanceField, versionField } from '../src/model/spec.ts';

const spec = addonSpec(
  {
    instance: instanceField('par'),
    options: z
      .object({
        version: versionField,
        encryption: encryptionField,
        kibana: z.boolean().optional().meta({ description: 'Deploy Kibana next to the cluster. Default: false.' }),
        apm: z.boolean().optional().meta({ description: 'Deploy an APM server next to the cluster. Default: false.' }),
      })
      .prefault({})
      .meta({ description: 'Service options applied when the add-on is created (version changes migrate it).' }),
  },
  'An Elasticsearch cluster managed by Clever Cloud.',
);

export default defineProvider<z.output<typeof spec>>({
  kind: 'ElasticSearch',
  plural: 'elasticsearches',
  singular: 'elasticsearch',
  shortNames: ['es'],
  finalizer: 'api.clever-cloud.com/elasticsearch',
  providerId: 'es-addon',
  description: 'An Elasticsearch cluster on Clever Cloud (optionally with Kibana and APM), credentials in a Secret.',
  spec,
  versions: { upstreamCodes: { 7: '7', 8: '8', 9: '9' } },
  requestedVersion: (s) => s.options.version,
  options: (s) => ({
    ...databaseOptions(s.options),
    ...(s.options.kibana !== undefined ? { kibana: String(s.options.kibana) } : {}),
    ...(s.options.apm !== undefined ? { apm: String(s.options.apm) } : {}),
  }),
  readiness: { kind: 'databaseStatus' },
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
  printerColumns: [{ name: 'Version', type: 'string', jsonPath: '.status.version', priority: 1 }],
});
