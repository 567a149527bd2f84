import type { z } from 'zod';
import { need } from '../src/model/env.ts';
import { defineProvider } from '../src/model/provider.ts';
import { addonSpec, emptyOptionsField, regionOnlyInstanceField } from '../src/model/spec.ts';

const spec = addonSpec(
  { instance: regionOnlyInstanceField('par'), options: emptyOptionsField },
  'A Materia KV database (Redis protocol) managed by Clever Cloud.',
);

export default defineProvider<z.output<typeof spec>>({
  kind: 'KV',
  plural: 'kvs',
  singular: 'kv',
  crdVersion: 'v1alpha1',
  finalizer: 'api.clever-cloud.com/materia-kv',
  providerId: 'kv',
  description: 'A Materia KV database on Clever Cloud (Redis protocol), with its token in a Secret.',
  spec,
  readiness: { kind: 'materiaKvStatus' },
  binding(env) {
    const host = need(env, 'KV_HOST');
    const port = need(env, 'KV_PORT');
    const token = need(env, 'KV_TOKEN');
    // Clever gives REDIS_URL (TLS); it lands in the Secret verbatim with the rest of the environment.
    return {
      serviceBinding: { type: 'redis', host, port, password: token, ...(env.REDIS_URL ? { uri: env.REDIS_URL } : {}) },
      consumer: {},
    };
  },
});
