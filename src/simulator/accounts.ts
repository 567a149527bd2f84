// Built-in fake accounts and OAuth consumers. The ids are fixed so that examples, tests and docs can hard-code them;
// every credential here is fake and only ever valid against the simulator.
import type { OAuthConsumer, SimulatorAccount } from './types.ts';

export const DEV_USER_ID = 'user_00000000-0000-4000-8000-000000000001';
export const DEV_ORG_ID = 'orga_00000000-0000-4000-8000-0000000000a1';
export const DEV_EMAIL = 'dev@example.com';
export const DEV_PASSWORD = 'sim-dev-password';
export const DEV_OAUTH_TOKEN = 'sim-dev-token';
export const DEV_OAUTH_SECRET = 'sim-dev-secret';
export const DEV_API_TOKEN = 'sim-dev-api-token';

export const OTHER_USER_ID = 'user_00000000-0000-4000-8000-000000000002';
export const OTHER_ORG_ID = 'orga_00000000-0000-4000-8000-0000000000b2';
export const OTHER_EMAIL = 'other@example.com';
export const OTHER_PASSWORD = 'sim-other-password';
export const OTHER_OAUTH_TOKEN = 'sim-other-token';
export const OTHER_OAUTH_SECRET = 'sim-other-secret';
export const OTHER_API_TOKEN = 'sim-other-api-token';

/** clever-tools' public consumer (published in its sources). */
export const CLEVER_TOOLS_CONSUMER: OAuthConsumer = {
  key: 'T5nFjKeHH4AIlEveuGhB5S3xg8T19e',
  secret: 'MgVMqTr6fWlf2M0tkC2MXOnhfqBWDT',
};
/** The Go client's / Terraform provider's public consumer. */
export const GO_CLIENT_CONSUMER: OAuthConsumer = {
  key: 'FuRiWZChVFuYaVh04yCHYOnFRtzfHO',
  secret: 'J9k249yV0UqIzsGJWAVD4p1HLj8NyE',
};
export const SIM_CONSUMER: OAuthConsumer = { key: 'sim-consumer-key', secret: 'sim-consumer-secret' };

export const DEFAULT_CONSUMERS: OAuthConsumer[] = [CLEVER_TOOLS_CONSUMER, GO_CLIENT_CONSUMER, SIM_CONSUMER];

export const DEFAULT_ACCOUNTS: SimulatorAccount[] = [
  {
    userId: DEV_USER_ID,
    email: DEV_EMAIL,
    name: 'Dev User',
    password: DEV_PASSWORD,
    organisations: [{ id: DEV_ORG_ID, name: 'Dev Org' }],
    oauth: [{ token: DEV_OAUTH_TOKEN, secret: DEV_OAUTH_SECRET }],
    apiTokens: [DEV_API_TOKEN],
  },
  {
    userId: OTHER_USER_ID,
    email: OTHER_EMAIL,
    name: 'Other User',
    password: OTHER_PASSWORD,
    organisations: [{ id: OTHER_ORG_ID, name: 'Other Org' }],
    oauth: [{ token: OTHER_OAUTH_TOKEN, secret: OTHER_OAUTH_SECRET }],
    apiTokens: [OTHER_API_TOKEN],
  },
];

/** The owners (personal space + organisations) an account may act on. */
export function ownersOf(account: SimulatorAccount): string[] {
  return [account.userId, ...account.organisations.map((o) => o.id)];
}
