import { applicationProvider } from './application.ts';

export default applicationProvider({
  kind: 'Otoroshi',
  plural: 'otoroshis',
  singular: 'otoroshi',
  finalizer: 'api.clever-cloud.com/otoroshi',
  providerId: 'otoroshi',
  description: 'An Otoroshi API gateway on Clever Cloud; its URLs in status, API credentials in a Secret.',
  specDescription: 'An Otoroshi API gateway managed by Clever Cloud.',
  versioned: true,
  routesDomain: true,
  bindingType: 'otoroshi',
  urlVar: 'CC_OTOROSHI_URL',
  adminUrlVar: 'CC_OTOROSHI_API_URL',
  credentials: { username: 'CC_OTOROSHI_INITIAL_ADMIN_LOGIN', password: 'CC_OTOROSHI_INITIAL_ADMIN_PASSWORD' },
});
