import type { z } from 'zod';
import { need } from '../src/model/env.ts';
import { defineProvider } from '../src/model/provider.ts';
import { addonSpec, emptyOptionsField, regionOnlyInstanceField } from '../src/model/spec.ts';

const spec = addonSpec(
  { instance: regionOnlyInstanceField('par'), options: emptyOptionsField },
  'A Pulsar namespace managed by Clever Cloud.',
);

export default defineProvider<z.output<typeof spec>>({
  kind: 'Pulsar',
  plural: 'pulsars',
  singular: 'pulsar',
  shortNames: ['pulse', 'pul'],
  crdVersion: 'v1beta1',
  finalizer: 'api.clever-cloud.com/pulsar',
  providerId: 'addon-pulsar',
  description: 'A Pulsar tenant/namespace on Clever Cloud (Materia MQ), with its token in a Secret.',
  spec,
  readiness: { kind: 'pulsarStatus' },
  binding(env) {
    const uri = need(env, 'ADDON_PULSAR_BINARY_URL');
    const token = need(env, 'ADDON_PULSAR_TOKEN');
    return {
      serviceBinding: {
        type: 'pulsar',
        host: need(env, 'ADDON_PULSAR_HOSTNAME'),
        port: need(env, 'ADDON_PULSAR_BINARY_PORT'),
        uri,
        extra: {
          'web-service-url': need(env, 'ADDON_PULSAR_HTTP_URL'),
          tenant: need(env, 'ADDON_PULSAR_TENANT'),
          namespace: need(env, 'ADDON_PULSAR_NAMESPACE'),
          token,
        },
      },
      consumer: { PULSAR_SERVICE_URL: uri, PULSAR_TOKEN: token },
    };
  },
});
