import { z } from 'zod';
import { defineProvider } from '../src/model/provider.ts';
import { addonSpec, regionOnlyInstanceField } from '../src/model/spec.ts';

const spec = addonSpec(
  {
    instance: regionOnlyInstanceField('par'),
    variables: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/), z.string())
      .default({})
      .meta({
        description:
          'Environment variables the config provider holds. The operator keeps Clever Cloud in line with them ' +
          '(changes made elsewhere are reverted) and copies what Clever holds into the Secret.',
      }),
  },
  'A Clever Cloud configuration provider: a set of environment variables shared with linked applications.',
);

export default defineProvider<z.output<typeof spec>>({
  kind: 'ConfigProvider',
  plural: 'configproviders',
  singular: 'configprovider',
  shortNames: ['cp'],
  finalizer: 'api.clever-cloud.com/config-provider',
  providerId: 'config-provider',
  description: 'A Clever Cloud configuration provider whose variables are declared in the spec.',
  spec,
  readiness: { kind: 'exists' },
  desiredEnv: (s) => s.variables,
  binding: () => ({ serviceBinding: { type: 'config' }, consumer: {} }),
});
