// OAuth 1.0a test vectors that pin both our client's signer and the simulator's verifier to RFC 5849. The expected
// base string was written out by hand and the signatures were computed with openssl from a shell:
//   printf '%s' "$BASE" | openssl dgst -sha512 -hmac "$KEY" -binary | base64
// so neither side of the test derives its expectation from the code under test. When openssl is installed the
// test recomputes them the same way, which guards the literals themselves.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createSigner } from '../../../src/clever/auth.ts';
import { authenticateOAuth, parseOAuthHeader, type AuthConfig } from '../../../src/simulator/auth.ts';

// Secrets with reserved characters, so that every encoding step shows; a query where one key ("tag") is a prefix of
// another ("tag-name"), where sorting the joined "k=v" strings and sorting by key disagree ('-' sorts before '=').
const CONSUMER = { key: 'ck-vector', secret: 'cs+/=secret' };
const TOKEN = { token: 'tok-1', secret: 'ts&!*secret' };
const URL_CALLED = 'http://127.0.0.1:8085/v2/organisations/orga_x/addons?tag=x&tag-name=y%20z&tag=a';
const NONCE = 'vectornonce1';
const TIMESTAMP = 1_750_000_000;

const KEY = 'cs%2B%2F%3Dsecret&ts%26%21%2Asecret';
const BASE =
  'GET&http%3A%2F%2F127.0.0.1%3A8085%2Fv2%2Forganisations%2Forga_x%2Faddons&' +
  'oauth_consumer_key%3Dck-vector%26oauth_nonce%3Dvectornonce1%26oauth_signature_method%3DHMAC-SHA512' +
  '%26oauth_timestamp%3D1750000000%26oauth_token%3Dtok-1%26oauth_version%3D1.0' +
  '%26tag%3Da%26tag%3Dx%26tag-name%3Dy%2520z';
const SIGNATURE = '5XMF8D9WOtCdmY+E+SYAUCwKwkCEY9CiJJ8PtmUyYepnxPDrXzo2Lzx7XD7zEPH/csUUIZZzqP8NicMNFzLtTA==';
// The same parameters sorted as joined "k=v" strings (tag-name before tag): not the RFC order.
const BASE_STRING_SORTED = BASE.replace(
  '%26tag%3Da%26tag%3Dx%26tag-name%3Dy%2520z',
  '%26tag-name%3Dy%2520z%26tag%3Da%26tag%3Dx',
);
const SIGNATURE_STRING_SORTED =
  '1neUqxsQ+6cVncfP40OO/Qq/WDGA8zYc/Li3SJA8aa3gtXEAeZk10AhSMOrBDKamMND4aQXIZkh0bBML5tO+3w==';
// PLAINTEXT: pct(consumer secret) & pct(token secret), percent-encoded once more in the header.
const PLAINTEXT_HEADER_SIGNATURE = 'cs%252B%252F%253Dsecret%26ts%2526%2521%252Asecret';

const config: AuthConfig = {
  accounts: [
    {
      userId: 'user_vector',
      email: 'vector@example.com',
      name: 'Vector',
      password: 'x',
      organisations: [{ id: 'orga_x', name: 'X' }],
      oauth: [TOKEN],
      apiTokens: [],
    },
  ],
  consumers: [CONSUMER],
  now: () => TIMESTAMP * 1000,
  issuedToken: () => undefined,
};

function openssl(base: string, key: string): string | undefined {
  try {
    return execFileSync('openssl', ['dgst', '-sha512', '-hmac', key, '-binary'], { input: base }).toString('base64');
  } catch {
    return undefined;
  }
}

function headerWith(signature: string): string {
  const p = parseOAuthHeader(
    createSigner(
      { kind: 'oauth1', ...TOKEN, consumerKey: CONSUMER.key, consumerSecret: CONSUMER.secret },
      { nonce: () => NONCE, timestamp: () => TIMESTAMP },
    ).authorization('GET', new URL(URL_CALLED)),
  )!;
  p.set('oauth_signature', signature);
  return `OAuth ${[...p].map(([k, v]) => `${k}="${encodeURIComponent(v)}"`).join(', ')}`;
}

const request = (authorization: string, scheme: 'http' | 'https' = 'http') => {
  const u = new URL(URL_CALLED);
  return { method: 'GET', scheme, host: u.host, path: u.pathname, query: u.search.slice(1), authorization };
};

describe('OAuth 1.0a vectors (HMAC-SHA512)', () => {
  it('the literals are what openssl computes', (ctx) => {
    const computed = openssl(BASE, KEY);
    if (computed === undefined) ctx.skip('openssl is not installed');
    expect(computed).toBe(SIGNATURE);
    expect(openssl(BASE_STRING_SORTED, KEY)).toBe(SIGNATURE_STRING_SORTED);
  });

  it('our client signs exactly the vector', () => {
    const header = createSigner(
      { kind: 'oauth1', ...TOKEN, consumerKey: CONSUMER.key, consumerSecret: CONSUMER.secret },
      { nonce: () => NONCE, timestamp: () => TIMESTAMP },
    ).authorization('GET', new URL(URL_CALLED));
    const params = parseOAuthHeader(header)!;
    expect(params.get('oauth_signature')).toBe(SIGNATURE);
    expect(params.get('oauth_signature_method')).toBe('HMAC-SHA512');
  });

  it('the simulator accepts the vector and nothing else', () => {
    expect(authenticateOAuth(request(headerWith(SIGNATURE)), config)).toMatchObject({ ok: true });
    // Parameters sorted as joined strings: a different base string, refused.
    expect(authenticateOAuth(request(headerWith(SIGNATURE_STRING_SORTED)), config)).toEqual({
      ok: false,
      message: 'Invalid OAuth signature',
    });
    // The right signature for http, presented as if called over https: the scheme is part of the base string.
    expect(authenticateOAuth(request(headerWith(SIGNATURE), 'https'), config)).toMatchObject({ ok: false });
  });
});

describe('OAuth 1.0a vectors (PLAINTEXT)', () => {
  it('our client encodes the secrets as the RFC does', () => {
    const header = createSigner({
      kind: 'oauth1',
      ...TOKEN,
      consumerKey: CONSUMER.key,
      consumerSecret: CONSUMER.secret,
      signatureMethod: 'PLAINTEXT',
    }).authorization('GET', new URL(URL_CALLED));
    expect(header).toBe(
      `OAuth oauth_consumer_key="ck-vector", oauth_token="tok-1", oauth_signature="${PLAINTEXT_HEADER_SIGNATURE}"`,
    );
  });

  it('the simulator accepts the RFC form and refuses the secrets written unescaped', () => {
    const header = (sig: string) =>
      `OAuth oauth_consumer_key="ck-vector", oauth_token="tok-1", oauth_signature="${sig}"`;
    expect(authenticateOAuth(request(header(PLAINTEXT_HEADER_SIGNATURE)), config)).toMatchObject({ ok: true });
    // Unescaped secrets (header decodes to "cs+/=secret&ts&!*secret"): not the RFC signature.
    expect(authenticateOAuth(request(header('cs+/=secret%26ts&!*secret')), config)).toMatchObject({ ok: false });
  });
});
