import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_CONSUMER_KEY,
  DEFAULT_CONSUMER_SECRET,
  InvalidCredentialsError,
  createSigner,
  type CleverCredentials,
} from '../../../src/clever/index.ts';
import { CleverClient } from '../../../src/clever/index.ts';
import { json, startServer, type TestServer } from './support.ts';

// RFC 3986 encoding, written independently of the oauth-1.0a package.
const pct = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function expectedHmacHeader(input: {
  method: string;
  url: string;
  consumerKey: string;
  consumerSecret: string;
  token: string;
  secret: string;
  nonce: string;
  timestamp: number;
}): string {
  const url = new URL(input.url);
  const oauth: Array<[string, string]> = [
    ['oauth_consumer_key', input.consumerKey],
    ['oauth_nonce', input.nonce],
    ['oauth_signature_method', 'HMAC-SHA512'],
    ['oauth_timestamp', String(input.timestamp)],
    ['oauth_token', input.token],
    ['oauth_version', '1.0'],
  ];
  const normalized = [...oauth, ...url.searchParams.entries()]
    .map(([k, v]) => `${pct(k)}=${pct(v)}`)
    .sort()
    .join('&');
  const base = `${input.method.toUpperCase()}&${pct(url.origin + url.pathname)}&${pct(normalized)}`;
  const key = `${pct(input.consumerSecret)}&${pct(input.secret)}`;
  const signature = createHmac('sha512', key).update(base).digest('base64');
  const all = [...oauth, ['oauth_signature', signature] as [string, string]].sort(([a], [b]) => (a < b ? -1 : 1));
  return `OAuth ${all.map(([k, v]) => `${k}="${pct(v)}"`).join(', ')}`;
}

describe('PLAINTEXT', () => {
  it('sends exactly the clever-tools header with the default consumer', () => {
    const signer = createSigner({ kind: 'oauth1', token: 'tk', secret: 'ts', signatureMethod: 'PLAINTEXT' });
    expect(signer.authorization('GET', new URL('https://api.clever-cloud.com/v2/self'))).toBe(
      'OAuth oauth_consumer_key="T5nFjKeHH4AIlEveuGhB5S3xg8T19e", oauth_token="tk", ' +
        'oauth_signature="MgVMqTr6fWlf2M0tkC2MXOnhfqBWDT%26ts"',
    );
  });

  it('uses a custom consumer when given', () => {
    const signer = createSigner({
      kind: 'oauth1',
      token: 'tk',
      secret: 'ts',
      consumerKey: 'ck',
      consumerSecret: 'cs',
      signatureMethod: 'PLAINTEXT',
    });
    expect(signer.authorization('POST', new URL('https://x/v2/self'))).toBe(
      'OAuth oauth_consumer_key="ck", oauth_token="tk", oauth_signature="cs%26ts"',
    );
  });
});

describe('HMAC-SHA512', () => {
  const fixed = { nonce: () => 'n0nce-1234', timestamp: () => 1_700_000_000 };

  it('is the default and matches an independent computation (default consumer)', () => {
    const signer = createSigner({ kind: 'oauth1', token: 'tk', secret: 'ts' }, fixed);
    const url = 'https://api.clever-cloud.com/v2/organisations/orga_1/addons';
    expect(signer.authorization('post', new URL(url))).toBe(
      expectedHmacHeader({
        method: 'POST',
        url,
        consumerKey: DEFAULT_CONSUMER_KEY,
        consumerSecret: DEFAULT_CONSUMER_SECRET,
        token: 'tk',
        secret: 'ts',
        nonce: 'n0nce-1234',
        timestamp: 1_700_000_000,
      }),
    );
  });

  it('signs query parameters and percent-encodes secrets with reserved characters', () => {
    const credentials: CleverCredentials = {
      kind: 'oauth1',
      token: 'tok/en+1',
      secret: "s&e=c r!t'",
      consumerKey: 'ck~1',
      consumerSecret: 'c*s(1)',
    };
    const signer = createSigner(credentials, fixed);
    const url = 'http://127.0.0.1:8080/v2/products/addonproviders?orgaId=orga_x%2By&b=two%20words';
    const header = signer.authorization('GET', new URL(url));
    expect(header).toBe(
      expectedHmacHeader({
        method: 'GET',
        url,
        consumerKey: 'ck~1',
        consumerSecret: 'c*s(1)',
        token: 'tok/en+1',
        secret: "s&e=c r!t'",
        nonce: 'n0nce-1234',
        timestamp: 1_700_000_000,
      }),
    );
    // Sanity: a different method or path must change the signature.
    expect(signer.authorization('PUT', new URL(url))).not.toBe(header);
  });

  it('emits the seven oauth parameters sorted, with a fresh UUID nonce by default', () => {
    const signer = createSigner({ kind: 'oauth1', token: 'tk', secret: 'ts' });
    const a = signer.authorization('GET', new URL('https://x/v2/self'));
    const b = signer.authorization('GET', new URL('https://x/v2/self'));
    const keys = [...a.matchAll(/(\w+)="/g)].map((m) => m[1]);
    expect(keys).toEqual([
      'oauth_consumer_key',
      'oauth_nonce',
      'oauth_signature',
      'oauth_signature_method',
      'oauth_timestamp',
      'oauth_token',
      'oauth_version',
    ]);
    expect(a).toMatch(/oauth_nonce="[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"/);
    expect(a).not.toBe(b);
  });
});

describe('bearer', () => {
  it('sends the API token as Bearer', () => {
    const signer = createSigner({ kind: 'apiToken', apiToken: 'api-tok' });
    expect(signer.authorization('GET', new URL('https://x/v2/self'))).toBe('Bearer api-tok');
  });
});

describe('credential validation', () => {
  const cases: Array<[string, CleverCredentials]> = [
    ['consumerKey', { kind: 'oauth1', token: 't', secret: 's', consumerKey: '' }],
    ['consumerSecret', { kind: 'oauth1', token: 't', secret: 's', consumerSecret: '' }],
    ['token', { kind: 'oauth1', token: '', secret: 's' }],
    ['secret', { kind: 'oauth1', token: 't', secret: '' }],
    ['apiToken', { kind: 'apiToken', apiToken: '' }],
  ];
  it.each(cases)('rejects an empty %s by name', (field, credentials) => {
    let caught: unknown;
    try {
      createSigner(credentials);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidCredentialsError);
    expect((caught as InvalidCredentialsError).field).toBe(field);
    expect((caught as Error).message).toContain(`${field} is an empty string`);
  });

  it('the client constructor rejects an empty consumer key too', () => {
    expect(
      () => new CleverClient({ credentials: { kind: 'oauth1', token: 't', secret: 's', consumerKey: '' } }),
    ).toThrow(/consumerKey is an empty string/);
  });

  it('refuses header-breaking characters without echoing the value', () => {
    let message = '';
    try {
      createSigner({ kind: 'oauth1', token: 'abc\r\nX-Evil: 1', secret: 's' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('token contains a forbidden character');
    expect(message).not.toContain('X-Evil');
  });

  it('uses the public consumer only when the consumer fields are absent', () => {
    const header = createSigner(
      { kind: 'oauth1', token: 't', secret: 's' },
      { nonce: () => 'n', timestamp: () => 1 },
    ).authorization('GET', new URL('https://x/'));
    expect(header).toContain(`oauth_consumer_key="${DEFAULT_CONSUMER_KEY}"`);
  });
});

describe('client signing on the wire', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('signs the exact URL it sends, with injectable nonce and clock', async () => {
    server = await startServer((_req, res) => json(res, 200, []));
    const client = new CleverClient({
      credentials: { kind: 'oauth1', token: 'tk', secret: 'ts' },
      apiUrl: server.url,
      nonce: () => 'wire-nonce',
      now: () => 1_650_000_000_123,
    });
    await client.listAddonProviders('orga_42');
    const req = server.requests[0]!;
    expect(req.url).toBe('/v2/products/addonproviders?orgaId=orga_42');
    expect(req.headers.authorization).toBe(
      expectedHmacHeader({
        method: 'GET',
        url: `${server.url}${req.url}`,
        consumerKey: DEFAULT_CONSUMER_KEY,
        consumerSecret: DEFAULT_CONSUMER_SECRET,
        token: 'tk',
        secret: 'ts',
        nonce: 'wire-nonce',
        timestamp: 1_650_000_000,
      }),
    );
  });

  it('sends API-token requests to the bridge URL with a Bearer header', async () => {
    server = await startServer((_req, res) => json(res, 200, { id: 'user_1' }));
    const client = new CleverClient({
      credentials: { kind: 'apiToken', apiToken: 'api-tok' },
      apiUrl: 'http://127.0.0.1:1',
      bridgeUrl: server.url,
    });
    await expect(client.resolveDefaultOwner()).resolves.toBe('user_1');
    expect(server.requests[0]!.headers.authorization).toBe('Bearer api-tok');
    expect(server.requests[0]!.url).toBe('/v2/self');
  });
});
