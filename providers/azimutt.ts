import type { z } from 'zod';
import { defineProvider } from '../src/model/provider.ts';
import { addonSpec, emptyOptionsField, instanceField } from '../src/model/spec.ts';

const spec = addonSpec(
  { instance: instanceField('par'), options: emptyOptionsField },
  'An Azimutt database explorer subscription managed by Clever Cloud.',
);

export default defineProvider<z.output<typeof spec>>({
  kind: 'Azimutt',
  plural: 'azimutts',
  singular: 'azimutt',
  finalizer: 'api.clever-cloud.com/azimutt',
  providerId: 'azimutt',
  description: 'An Azimutt subscription on Clever Cloud.',
  spec,
  readiness: { kind: 'exists' },
  // Clever documents no environment for Azimutt: the Secret carries only what the add-on exposes.
  binding: () => ({ serviceBinding: { type: 'azimutt' }, consumer: {} }),
});
