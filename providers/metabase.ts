import type { z } from 'zod';
import { defineProvider } from '../src/model/provider.ts';
import {
  accessDomainField,
  addonSpec,
  applicationOptions,
  applicationVersionField,
  instanceField,
  optionsObject,
} from '../src/model/spec.ts';
import { applicationBinding, urlStatus } from './application.ts';

const spec = addonSpec(
  {
    instance: instanceField('par'),
    options: optionsObject({ version: applicationVersionField, accessDomain: accessDomainField }),
  },
  'A Metabase analytics server managed by Clever Cloud.',
);

export default defineProvider<z.output<typeof spec>>({
  kind: 'Metabase',
  plural: 'metabases',
  singular: 'metabase',
  shortNames: ['mb'],
  finalizer: 'api.clever-cloud.com/metabase',
  providerId: 'metabase',
  description: 'A Metabase analytics server on Clever Cloud; its URL in status.',
  spec,
  requestedVersion: (s) => s.options.version,
  options: (s) => applicationOptions(s.options),
  readiness: { kind: 'instancesUp' },
  binding: (env) => applicationBinding('metabase', env, 'METABASE_URL'),
  statusFields: (env) => urlStatus(env, 'METABASE_URL'),
  printerColumns: [{ name: 'URL', type: 'string', jsonPath: '.status.url' }],
});
