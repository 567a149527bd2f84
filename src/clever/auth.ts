// Authorization headers for the Clever Cloud API: OAuth 1.0a signed with HMAC-SHA512 (what the
// upstream Rust operator sends, the documented recommendation) or PLAINTEXT (what clever-tools sends), and API
// tokens as Bearer against the api-bridge host.
import { createHmac, randomUUID } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { InvalidCredentialsError } from './errors.ts';

export type CleverCredentials =
  | {
      kind: 'oauth1';
      token: string;
      secret: string;
      consumerKey?: string;
      consumerSecret?: string;
      signatureMethod?: 'HMAC-SHA512' | 'PLAINTEXT';
    }
  | { kind: 'apiToken'; apiToken: string };

/** The public clever-tools consumer; its disclosure is intended (clever-tools `src/config/config.js`). */
export const DEFAULT_CONSUMER_KEY = 'T5nFjKeHH4AIlEveuGhB5S3xg8T19e';
export const DEFAULT_CONSUMER_SECRET = 'MgVMqTr6fWlf2M0tkC2MXOnhfqBWDT';

export interface SignerOptions {
  /** Defaults to a random UUID v4 (as oauth10a-rust). */
  nonce?: () => string;
  /** Unix time in seconds; defaults to the wall clock. */
  timestamp?: () => number;
}

export interface RequestSigner {
  readonly kind: CleverCredentials['kind'];
  /** The `Authorization` header value for one request (the body is never signed). */
  authorization(method: string, url: URL): string;
  /** Values that must never appear in an error message or a log line. */
  readonly secrets: readonly string[];
}

/**
 * Checks credentials before any request is made. An empty consumer key is the upstream operator's most common
 * misconfiguration (its sample config ships `consumer-key = ""`): refuse it by name instead of sending it.
 */
export function validateCredentials(credentials: CleverCredentials): void {
  const requireText = (field: string, value: unknown, optional: boolean): void => {
    if (value === undefined && optional) return;
    if (typeof value !== 'string') throw new InvalidCredentialsError(field, 'must be a string');
    if (value === '') {
      throw new InvalidCredentialsError(
        field,
        optional ? 'is an empty string (omit it to use the public clever-tools consumer)' : 'is an empty string',
      );
    }
    // A CR/LF or quote would let a credential break out of the Authorization header.
    if (/[\r\n"\u0000]/.test(value)) throw new InvalidCredentialsError(field, 'contains a forbidden character');
  };
  if (credentials.kind === 'apiToken') {
    requireText('apiToken', credentials.apiToken, false);
    return;
  }
  if (credentials.kind !== 'oauth1') {
    throw new InvalidCredentialsError('kind', "must be 'oauth1' or 'apiToken'");
  }
  requireText('token', credentials.token, false);
  requireText('secret', credentials.secret, false);
  requireText('consumerKey', credentials.consumerKey, true);
  requireText('consumerSecret', credentials.consumerSecret, true);
  const method = credentials.signatureMethod;
  if (method !== undefined && method !== 'HMAC-SHA512' && method !== 'PLAINTEXT') {
    throw new InvalidCredentialsError('signatureMethod', "must be 'HMAC-SHA512' or 'PLAINTEXT'");
  }
}

/** RFC 3986 percent-encoding as OAuth 1.0a requires (encodeURIComponent leaves !'()* alone). */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function createSigner(credentials: CleverCredentials, options: SignerOptions = {}): RequestSigner {
  validateCredentials(credentials);
  if (credentials.kind === 'apiToken') {
    const header = `Bearer ${credentials.apiToken}`;
    return { kind: 'apiToken', authorization: () => header, secrets: [credentials.apiToken] };
  }
  const consumerKey = credentials.consumerKey ?? DEFAULT_CONSUMER_KEY;
  const consumerSecret = credentials.consumerSecret ?? DEFAULT_CONSUMER_SECRET;
  const secrets = [credentials.token, credentials.secret, consumerSecret];
  if (credentials.signatureMethod === 'PLAINTEXT') {
    // The three parameters clever-tools sends, encoded as OAuth 1.0a defines PLAINTEXT: the signature is
    // pct(consumer secret) & pct(token secret), and every header value is percent-encoded again.
    // For the alphanumeric secrets Clever issues this is byte for byte clever-tools' `secret%26secret` header.
    const header =
      `OAuth oauth_consumer_key="${rfc3986(consumerKey)}", oauth_token="${rfc3986(credentials.token)}", ` +
      `oauth_signature="${rfc3986(`${rfc3986(consumerSecret)}&${rfc3986(credentials.secret)}`)}"`;
    return { kind: 'oauth1', authorization: () => header, secrets };
  }
  const oauth = new OAuth({
    consumer: { key: consumerKey, secret: consumerSecret },
    signature_method: 'HMAC-SHA512',
    hash_function: (base, key) => createHmac('sha512', key).update(base).digest('base64'),
  });
  const nonce = options.nonce ?? (() => randomUUID());
  const timestamp = options.timestamp ?? (() => Math.floor(Date.now() / 1000));
  oauth.getNonce = nonce;
  oauth.getTimeStamp = timestamp;
  const token = { key: credentials.token, secret: credentials.secret };
  return {
    kind: 'oauth1',
    secrets,
    authorization(method, url) {
      // Base URL = origin + path, query pairs signed as parameters; the fragment never reaches the server.
      const data = oauth.authorize({ url: `${url.origin}${url.pathname}${url.search}`, method }, token);
      return oauth.toHeader(data).Authorization;
    },
  };
}
