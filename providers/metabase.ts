import { applicationProvider } from './application.ts';

export default applicationProvider({
  kind: 'Metabase',
  plural: 'metabases',
  singular: 'metabase',
  shortNames: ['mb'],
  finalizer: 'api.clever-cloud.com/metabase',
  providerId: 'metabase',
  description: 'A Metabase analytics server on Clever Cloud; its URL in status.',
  specDescription: 'A Metabase analytics server managed by Clever Cloud.',
  versioned: true,
  bindingType: 'metabase',
  urlVar: 'METABASE_URL',
});
