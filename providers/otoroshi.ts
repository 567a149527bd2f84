import type { z } from 'zod';
import { defineProvider } from '../src/model/provider.ts';
import {
  accessDomainField,
  addonSpec,
  applicationOptions,
  applicationVersionField,
  instanceField,
  optionsObject,
  routesDomainField,
} from '../src/model/spec.ts';
import { applicationBinding, urlStatus } from './application.ts';

const spec = addonSpec(
  {
    instance: instanceField('par'),
    options: optionsObject({
      version: applicationVersionField,
      accessDomain: accessDomainField,
      routesDomain: routesDomainField,
    }),
  },
  'An Otoroshi API gateway managed by Clever Cloud.',
);

export default defineProvider<z.output<typeof spec>>({
  kind: 'Otoroshi',
  plural: 'otoroshis',
  singular: 'otoroshi',
  finalizer: 'api.clever-cloud.com/otoroshi',
  providerId: 'otoroshi',
  description: 'An Otoroshi API gateway on Clever Cloud; its URLs in status, API credentials in a Secret.',
  spec,
  requestedVersion: (s) => s.options.version,
  options: (s) => applicationOptions(s.options),
  readiness: { kind: 'instancesUp' },
  binding: (env) =>
    applicationBinding('otoroshi', env, 'CC_OTOROSHI_URL', {
      username: 'CC_OTOROSHI_INITIAL_ADMIN_LOGIN',
      password: 'CC_OTOROSHI_INITIAL_ADMIN_PASSWORD',
    }),
  statusFields: (env) => urlStatus(env, 'CC_OTOROSHI_URL', 'CC_OTOROSHI_API_URL'),
  printerColumns: [{ name: 'URL', type: 'string', jsonPath: '.status.url' }],
});
