import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { describe, expect, it } from 'vitest';
import {
  CLEVER_TOOLS_CONSUMER,
  DEFAULT_ACCOUNTS,
  DEFAULT_CONSUMERS,
  DEV_API_TOKEN,
  DEV_OAUTH_SECRET,
  DEV_OAUTH_TOKEN,
  DEV_USER_ID,
  GO_CLIENT_CONSUMER,
  OTHER_USER_ID,
} from '../../../src/simulator/accounts.ts';
import {
  authenticateBearer,
  authenticateOAuth,
  parseOAuthHeader,
  type AuthConfig,
  type SignedRequest,
} from '../../../src/simulator/auth.ts';

const NOW = 1_750_000_000_000;
const config: AuthConfig = {
  accounts: DEFAULT_ACCOUNTS,
  consumers: DEFAULT_CONSUMERS,
  now: () => NOW,
  issuedToken: (t) => (t === 'issued-token' ? OTHER_USER_ID : undefined),
};

// Independent RFC 3986 encoder (not the simulator's).
const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function hmacHeader(opts: {
  method: string;
  url: string;
  consumer?: { key: string; secret: string };
  token?: string;
  tokenSecret?: string;
  timestamp?: number;
  algo?: 'sha512' | 'sha1';
}): string {
  const consumer = opts.consumer ?? GO_CLIENT_CONSUMER;
  const url = new URL(opts.url);
  const oauth: Record<string, string> = {
    oauth_consumer_key: consumer.key,
    oauth_nonce: 'f7a0b1d2-0000-4000-8000-123456789abc',
    oauth_signature_method: opts.algo === 'sha1' ? 'HMAC-SHA1' : 'HMAC-SHA512',
    oauth_timestamp: String(opts.timestamp ?? Math.floor(NOW / 1000)),
    oauth_token: opts.token ?? DEV_OAUTH_TOKEN,
    oauth_version: '1.0',
  };
  const pairs = [...Object.entries(oauth), ...url.searchParams.entries()].map(([k, v]) => `${enc(k)}=${enc(v)}`).sort();
  const base = [opts.method, enc(url.origin + url.pathname), enc(pairs.join('&'))].join('&');
  const key = `${enc(consumer.secret)}&${enc(opts.tokenSecret ?? DEV_OAUTH_SECRET)}`;
  const signature = createHmac(opts.algo ?? 'sha512', key)
    .update(base)
    .digest('base64');
  const all = { ...oauth, oauth_signature: signature };
  return (
    'OAuth ' +
    Object.entries(all)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}="${enc(v)}"`)
      .join(', ')
  );
}

function req(method: string, url: string, authorization: string): SignedRequest {
  const u = new URL(url);
  return { method, host: u.host, path: u.pathname, query: u.search.slice(1), authorization };
}

const URL_ = 'http://127.0.0.1:8085/v2/organisations/orga_x/addons';

describe('OAuth1 PLAINTEXT', () => {
  const header = (sig: string, token = DEV_OAUTH_TOKEN, key = CLEVER_TOOLS_CONSUMER.key) =>
    `OAuth oauth_consumer_key="${key}", oauth_token="${token}", oauth_signature="${sig}"`;

  it('accepts consumerSecret%26tokenSecret as clever-tools sends it', () => {
    const r = authenticateOAuth(
      req('GET', URL_, header(`${CLEVER_TOOLS_CONSUMER.secret}%26${DEV_OAUTH_SECRET}`)),
      config,
    );
    expect(r.ok && r.account.userId).toBe(DEV_USER_ID);
  });

  it('rejects a wrong secret, an unknown token and an unknown consumer', () => {
    expect(authenticateOAuth(req('GET', URL_, header(`${CLEVER_TOOLS_CONSUMER.secret}%26nope`)), config).ok).toBe(
      false,
    );
    const unknownToken = header(`${CLEVER_TOOLS_CONSUMER.secret}%26${DEV_OAUTH_SECRET}`, 'nope');
    expect(authenticateOAuth(req('GET', URL_, unknownToken), config)).toMatchObject({ ok: false, message: /token/ });
    const unknownConsumer = header(`${CLEVER_TOOLS_CONSUMER.secret}%26${DEV_OAUTH_SECRET}`, DEV_OAUTH_TOKEN, 'nope');
    expect(authenticateOAuth(req('GET', URL_, unknownConsumer), config)).toMatchObject({
      ok: false,
      message: /consumer/,
    });
  });

  it('does not accept the secrets of another consumer', () => {
    const sig = `${GO_CLIENT_CONSUMER.secret}%26${DEV_OAUTH_SECRET}`;
    expect(authenticateOAuth(req('GET', URL_, header(sig)), config).ok).toBe(false);
  });
});

describe('OAuth1 HMAC', () => {
  it('accepts a correct HMAC-SHA512 signature computed independently', () => {
    const r = authenticateOAuth(req('POST', URL_, hmacHeader({ method: 'POST', url: URL_ })), config);
    expect(r).toMatchObject({ ok: true, account: { userId: DEV_USER_ID } });
  });

  it('signs query parameters', () => {
    const url = 'http://127.0.0.1:8085/v2/products/addonproviders?orgaId=orga_1&x=a%20b';
    expect(authenticateOAuth(req('GET', url, hmacHeader({ method: 'GET', url })), config).ok).toBe(true);
    // Same signature replayed with a different query must fail.
    const tampered = req('GET', url.replace('orga_1', 'orga_2'), hmacHeader({ method: 'GET', url }));
    expect(authenticateOAuth(tampered, config).ok).toBe(false);
  });

  it('accepts HMAC-SHA1', () => {
    expect(authenticateOAuth(req('GET', URL_, hmacHeader({ method: 'GET', url: URL_, algo: 'sha1' })), config).ok).toBe(
      true,
    );
  });

  it('rejects a signature for another method, path, host or token secret', () => {
    const h = hmacHeader({ method: 'GET', url: URL_ });
    expect(authenticateOAuth(req('DELETE', URL_, h), config).ok).toBe(false);
    expect(authenticateOAuth(req('GET', URL_ + '/x', h), config).ok).toBe(false);
    expect(authenticateOAuth(req('GET', URL_.replace('8085', '8086'), h), config).ok).toBe(false);
    const wrongSecret = hmacHeader({ method: 'GET', url: URL_, tokenSecret: 'other' });
    expect(authenticateOAuth(req('GET', URL_, wrongSecret), config)).toMatchObject({ ok: false, message: /signature/ });
  });

  it('rejects timestamps more than 5 minutes away from the clock', () => {
    const at = (deltaS: number) =>
      authenticateOAuth(
        req('GET', URL_, hmacHeader({ method: 'GET', url: URL_, timestamp: Math.floor(NOW / 1000) + deltaS })),
        config,
      );
    expect(at(-290).ok).toBe(true);
    expect(at(290).ok).toBe(true);
    expect(at(-301)).toMatchObject({ ok: false, message: /timestamp/ });
    expect(at(301).ok).toBe(false);
  });

  it('accepts what the oauth-1.0a package produces', () => {
    const oauth = new OAuth({
      consumer: GO_CLIENT_CONSUMER,
      signature_method: 'HMAC-SHA512',
      hash_function: (base, key) => createHmac('sha512', key).update(base).digest('base64'),
    });
    const url = 'http://localhost:9999/v2/self/addons?a=1&b=two%2Bthree';
    const data = oauth.authorize({ url, method: 'GET' }, { key: DEV_OAUTH_TOKEN, secret: DEV_OAUTH_SECRET });
    const realNow = { ...config, now: () => data.oauth_timestamp * 1000 };
    const { Authorization } = oauth.toHeader(data);
    expect(authenticateOAuth(req('GET', url, Authorization), realNow).ok).toBe(true);
  });

  it('parses header values percent-decoded', () => {
    const p = parseOAuthHeader('OAuth realm="x", oauth_token="a%2Fb", oauth_signature="s%26t"');
    expect(p?.get('oauth_token')).toBe('a/b');
    expect(p?.get('oauth_signature')).toBe('s&t');
    expect(p?.has('realm')).toBe(false);
    expect(parseOAuthHeader('Bearer abc')).toBeUndefined();
  });
});

describe('Bearer', () => {
  it('maps account API tokens and issued tokens to their user', () => {
    expect(authenticateBearer(`Bearer ${DEV_API_TOKEN}`, config)).toMatchObject({
      ok: true,
      account: { userId: DEV_USER_ID },
    });
    expect(authenticateBearer('Bearer issued-token', config)).toMatchObject({
      ok: true,
      account: { userId: OTHER_USER_ID },
    });
    expect(authenticateBearer('Bearer nope', config).ok).toBe(false);
  });
});
