// Credentials and env values must never reach an error message or a log line.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CleverApiError, type CleverCredentials } from '../../../src/clever/index.ts';
import { createLogger } from '../../../src/log.ts';
import { ADDON_ID, OWNER_ID, SECRET, TOKEN, json, startServer, testClient, type TestServer } from './support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const CONSUMER_SECRET = 'consumer-secret-c0ffee';
const API_TOKEN = 'api-token-deadbeef42';
const ENV_PASSWORD = 'pg-password-Zq81vX';

function capture(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', format: 'json', destination }), text: () => chunks.join('') };
}

const credentialSets: Array<[string, CleverCredentials, string[]]> = [
  [
    'oauth1 HMAC',
    { kind: 'oauth1', token: TOKEN, secret: SECRET, consumerKey: 'ck', consumerSecret: CONSUMER_SECRET },
    [TOKEN, SECRET, CONSUMER_SECRET],
  ],
  [
    'oauth1 PLAINTEXT',
    { kind: 'oauth1', token: TOKEN, secret: SECRET, consumerSecret: CONSUMER_SECRET, signatureMethod: 'PLAINTEXT' },
    [TOKEN, SECRET, CONSUMER_SECRET],
  ],
  ['api token', { kind: 'apiToken', apiToken: API_TOKEN }, [API_TOKEN]],
];

describe.each(credentialSets)('%s', (_name, credentials, secrets) => {
  it('keeps credentials and env values out of errors and logs', async () => {
    const envPath = `/v2/organisations/${OWNER_ID}/addons/${ADDON_ID}/env`;
    let envCalls = 0;
    server = await startServer((req, res) => {
      const auth = String(req.headers.authorization);
      if (req.url === envPath) {
        envCalls += 1;
        // First a success carrying secrets, then an error whose body echoes them.
        return envCalls === 1
          ? json(res, 200, [{ name: 'POSTGRESQL_ADDON_PASSWORD', value: ENV_PASSWORD }])
          : json(res, 500, { message: `failed for ${ENV_PASSWORD} with ${auth}` });
      }
      if (req.url === '/v2/self') return json(res, 401, { id: 1, message: `bad credentials: ${auth}`, type: 'error' });
      if (req.url === '/v2/organisations') return json(res, 403, `forbidden for ${auth}`);
      if (req.url === '/v4/products/zones') return res.socket?.destroy();
      return json(res, 400, { error: `echo ${auth}`, code: 'bad' });
    });
    const { logger, text } = capture();
    const { client } = testClient(server.url, {
      credentials,
      apiUrl: server.url,
      bridgeUrl: server.url,
      logger,
      retry: { maxAttempts: 2 },
    });
    const messages: string[] = [];
    const collect = async (promise: Promise<unknown>): Promise<void> => {
      try {
        await promise;
      } catch (error) {
        expect(error).toBeInstanceOf(CleverApiError);
        messages.push(String((error as Error).message), String((error as Error).stack));
      }
    };
    expect(await client.getAddonEnv(OWNER_ID, ADDON_ID)).toEqual({ POSTGRESQL_ADDON_PASSWORD: ENV_PASSWORD });
    await collect(client.getAddonEnv(OWNER_ID, ADDON_ID));
    await collect(client.getSelf());
    await collect(client.listOrganisations());
    await collect(client.listZones());
    await collect(client.getZone('par'));
    expect(messages.length).toBeGreaterThanOrEqual(10);
    // The echo test is meaningful: the non-sensitive 401 message is quoted, minus the credentials.
    expect(messages.join('\n')).toContain('bad credentials');
    const logs = text();
    expect(logs).toContain('clever api request');
    expect(logs).toContain('/v2/organisations/{ownerId}/addons/{addonId}/env');
    for (const haystack of [messages.join('\n'), logs]) {
      for (const secret of [...secrets, ENV_PASSWORD]) expect(haystack).not.toContain(secret);
      expect(haystack).not.toMatch(/authorization/i);
    }
  });
});
