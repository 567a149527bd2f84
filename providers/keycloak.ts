import { applicationProvider } from './application.ts';

export default applicationProvider({
  kind: 'Keycloak',
  plural: 'keycloaks',
  singular: 'keycloak',
  shortNames: ['kc'],
  finalizer: 'api.clever-cloud.com/keycloak',
  providerId: 'keycloak',
  description: 'A Keycloak identity server on Clever Cloud; its URLs in status, admin credentials in a Secret.',
  specDescription: 'A Keycloak identity server managed by Clever Cloud.',
  versioned: true,
  bindingType: 'oidc',
  urlVar: 'CC_KEYCLOAK_URL',
  adminUrlVar: 'CC_KEYCLOAK_ADMIN_URL',
  credentials: { username: 'CC_KEYCLOAK_ADMIN', password: 'CC_KEYCLOAK_ADMIN_DEFAULT_PASSWORD' },
});
