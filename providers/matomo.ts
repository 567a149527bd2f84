import { applicationProvider } from './application.ts';

export default applicationProvider({
  kind: 'Matomo',
  plural: 'matomos',
  singular: 'matomo',
  finalizer: 'api.clever-cloud.com/matomo',
  providerId: 'addon-matomo',
  description: 'A Matomo web analytics server on Clever Cloud; its URL in status.',
  specDescription: 'A Matomo web analytics server managed by Clever Cloud.',
  versioned: false,
  bindingType: 'matomo',
  urlVar: 'MATOMO_URL',
});
