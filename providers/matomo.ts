import type { z } from 'zod';
import { defineProvider } from '../src/model/provider.ts';
import { accessDomainField, addonSpec, applicationOptions, instanceField, optionsObject } from '../src/model/spec.ts';
import { applicationBinding, urlStatus } from './application.ts';

const spec = addonSpec(
  { instance: instanceField('par'), options: optionsObject({ accessDomain: accessDomainField }) },
  'A Matomo web analytics server managed by Clever Cloud.',
);

export default defineProvider<z.output<typeof spec>>({
  kind: 'Matomo',
  plural: 'matomos',
  singular: 'matomo',
  finalizer: 'api.clever-cloud.com/matomo',
  providerId: 'addon-matomo',
  description: 'A Matomo web analytics server on Clever Cloud; its URL in status.',
  spec,
  options: (s) => applicationOptions(s.options),
  readiness: { kind: 'instancesUp' },
  binding: (env) => applicationBinding('matomo', env, 'MATOMO_URL'),
  statusFields: (env) => urlStatus(env, 'MATOMO_URL'),
  printerColumns: [{ name: 'URL', type: 'string', jsonPath: '.status.url' }],
});
