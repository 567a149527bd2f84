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
  'A Keycloak identity server managed by Clever Cloud.',
);

export default defineProvider<z.output<typeof spec>>({
  kind: 'Keycloak',
  plural: 'keycloaks',
  singular: 'keycloak',
  shortNames: ['kc'],
  finalizer: 'api.clever-cloud.com/keycloak',
  providerId: 'keycloak',
  description: 'A Keycloak identity server on Clever Cloud; its URLs in status, admin credentials in a Secret.',
  spec,
  requestedVersion: (s) => s.options.version,
  options: (s) => applicationOptions(s.options),
  readiness: { kind: 'instancesUp' },
  binding: (env) =>
    applicationBinding('oidc', env, 'CC_KEYCLOAK_URL', {
      username: 'CC_KEYCLOAK_ADMIN',
      password: 'CC_KEYCLOAK_ADMIN_DEFAULT_PASSWORD',
    }),
  statusFields: (env) => urlStatus(env, 'CC_KEYCLOAK_URL', 'CC_KEYCLOAK_ADMIN_URL'),
  printerColumns: [{ name: 'URL', type: 'string', jsonPath: '.status.url' }],
});
