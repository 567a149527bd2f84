// `clever-addon-operator config check`: shows which configuration the operator would use and where each setting
// comes from, then proves the credentials work by calling /v2/self. Secret values are never printed.
import { parseArgs } from 'node:util';
import { CleverClient, UnauthorizedError, type CleverCredentials } from '../clever/index.ts';
import { credentialsFromSettings } from '../config/credentials.ts';
import { envVarName, loadGlobalConfig, SETTINGS, type SettingKey } from '../config/global.ts';

const HELP = `Usage: clever-addon-operator config check [--config FILE]

Loads the configuration exactly as \`run\` would (--config FILE, CLEVER_OPERATOR_* environment variables, the
upstream search path), prints each setting with its source (secret values masked), and calls the Clever Cloud
API (/v2/self) with the credentials. Exits 1 with the file/variable and key at fault when something is wrong.`;

const SECRET_SETTINGS: ReadonlySet<SettingKey> = new Set([
  'api.token',
  'api.secret',
  'api.consumer-secret',
  'api.api-token',
]);

function describeCredentials(c: CleverCredentials): string {
  if (c.kind === 'apiToken') return 'API token (Bearer, sent to the api-bridge host)';
  const consumer = c.consumerKey ? 'a custom consumer' : 'the public clever-tools consumer';
  return `OAuth1 token + secret, ${c.signatureMethod ?? 'HMAC-SHA512'} signatures, ${consumer}`;
}

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'check') {
    console.log(HELP);
    return sub === '--help' || sub === '-h' ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const { settings, sources } = loadGlobalConfig(values.config ? { configFile: values.config } : {});
  console.log('Settings:');
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const value = settings[key];
    if (value === undefined) continue;
    const shown = SECRET_SETTINGS.has(key) ? `<set, ${value.length} characters>` : value;
    console.log(`  ${key} = ${shown}    (from ${sources[key] ?? 'default'}; env ${envVarName(key)})`);
  }
  const resolved = credentialsFromSettings(settings, sources, 'global configuration');
  if (!resolved) {
    console.log('\nNo global credentials. Resources then need a namespace Secret or spec.credentialsRef.');
    return 0;
  }
  console.log(`\nCredentials: ${describeCredentials(resolved.credentials)} (from ${resolved.source})`);
  const client = new CleverClient({
    credentials: resolved.credentials,
    ...(settings['api.endpoint'] ? { apiUrl: settings['api.endpoint'] } : {}),
    ...(settings['api.bridge-endpoint'] ? { bridgeUrl: settings['api.bridge-endpoint'] } : {}),
    retry: { maxAttempts: 2 },
  });
  try {
    const self = await client.getSelf();
    console.log(`Clever Cloud accepted them: user ${self.id}${self.email ? ` (${self.email})` : ''}`);
    const owner = resolved.organisation ?? self.id;
    console.log(`Default owner for resources without spec.organisation: ${owner}`);
  } catch (err) {
    if (err instanceof UnauthorizedError) {
      console.error(`Clever Cloud refused the credentials from ${resolved.source}: ${err.message}`);
    } else {
      console.error(`Could not reach Clever Cloud: ${err instanceof Error ? err.message : String(err)}`);
    }
    return 1;
  }
  return 0;
}
