// Request authentication as the real API does it: OAuth 1.0a (PLAINTEXT, HMAC-SHA512, HMAC-SHA1) on the main host,
// Bearer API tokens on the bridge. Signatures are verified as strictly as the OAuth 1.0a specification allows: one base string (the
// scheme, host and path as called, parameters sorted once by the RFC's rule) and PLAINTEXT exactly as the RFC encodes
// it, so a client with a signing bug fails here rather than in production.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { OAuthConsumer, SimulatorAccount } from './types.ts';

export type AuthResult =
  | {
      ok: true;
      account: SimulatorAccount;
      /** The credential the request was signed with (the OAuth token, or the Bearer token). */
      credential: { kind: 'oauth1' | 'bearer'; token: string };
    }
  | { ok: false; message: string };

export interface AuthConfig {
  accounts: SimulatorAccount[];
  consumers: OAuthConsumer[];
  now: () => number;
  /** Extra bearer tokens issued through `POST /api-tokens`, token -> user id. */
  issuedToken: (token: string) => string | undefined;
}

export interface SignedRequest {
  method: string;
  /** The scheme the client called: 'http', or 'https' behind a TLS-terminating proxy (X-Forwarded-Proto). */
  scheme?: 'http' | 'https';
  /** Host header as received (host:port). */
  host: string;
  /** Raw path as received, without the query. */
  path: string;
  /** Raw query string, without '?'. */
  query: string;
  authorization: string;
}

/** Maximum clock skew accepted on oauth_timestamp. */
export const MAX_TIMESTAMP_SKEW_S = 300;

/** RFC 3986 percent-encoding, as OAuth 1.0a requires (encodeURIComponent leaves !'()* alone). */
export function pct(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Parses `OAuth k="v", k2="v2"` into decoded values; undefined when not an OAuth header. */
export function parseOAuthHeader(header: string): Map<string, string> | undefined {
  const m = /^OAuth\s+(.*)$/is.exec(header.trim());
  if (!m?.[1]) return undefined;
  const params = new Map<string, string>();
  const re = /([A-Za-z0-9_\-.]+)\s*=\s*"([^"]*)"/g;
  for (let part = re.exec(m[1]); part; part = re.exec(m[1])) {
    const [, key, value] = part;
    if (key && value !== undefined && key !== 'realm') params.set(safeDecode(key), safeDecode(value));
  }
  return params;
}

/** Query pairs decoded the way URL parsers do ('+' = space). */
export function queryPairs(query: string): [string, string][] {
  if (!query) return [];
  return query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      const k = i < 0 ? p : p.slice(0, i);
      const v = i < 0 ? '' : p.slice(i + 1);
      return [safeDecode(k.replace(/\+/g, ' ')), safeDecode(v.replace(/\+/g, ' '))];
    });
}

/**
 * The OAuth 1.0a signature base string: the upper-case method, the base string URI (scheme and host lower-case,
 * default port dropped, path as sent) and the normalised parameters: each name and value percent-encoded, sorted by
 * encoded name and then by encoded value in byte order, joined as `name=value` with `&`.
 */
export function signatureBaseString(method: string, baseUrl: string, params: [string, string][]): string {
  const encoded = params.map(([k, v]) => [pct(k), pct(v)] as const);
  encoded.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  const joined = encoded.map(([k, v]) => `${k}=${v}`).join('&');
  return `${method.toUpperCase()}&${pct(baseUrl)}&${pct(joined)}`;
}

/** The base string URI of a request as called: scheme and host lower-case, default port dropped, path as sent. */
export function baseStringUri(scheme: 'http' | 'https', host: string, path: string): string {
  const lower = host.toLowerCase();
  const authority =
    (scheme === 'http' && lower.endsWith(':80')) || (scheme === 'https' && lower.endsWith(':443'))
      ? lower.slice(0, lower.lastIndexOf(':'))
      : lower;
  return `${scheme}://${authority}${path}`;
}

export function hmacSign(method: 'HMAC-SHA512' | 'HMAC-SHA1', key: string, base: string): string {
  return createHmac(method === 'HMAC-SHA512' ? 'sha512' : 'sha1', key)
    .update(base)
    .digest('base64');
}

function same(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

export function authenticateOAuth(req: SignedRequest, config: AuthConfig, plaintextOnly = false): AuthResult {
  const params = parseOAuthHeader(req.authorization);
  if (!params) return { ok: false, message: 'Unsupported authorization scheme' };
  const consumerKey = params.get('oauth_consumer_key') ?? '';
  const token = params.get('oauth_token') ?? '';
  const signature = params.get('oauth_signature');
  const method = (params.get('oauth_signature_method') ?? 'PLAINTEXT').toUpperCase();
  const consumer = config.consumers.find((c) => c.key === consumerKey);
  if (!consumer) return { ok: false, message: 'Unknown OAuth consumer' };
  let account: SimulatorAccount | undefined;
  let tokenSecret = '';
  for (const a of config.accounts) {
    const cred = a.oauth.find((o) => o.token === token);
    if (cred) {
      account = a;
      tokenSecret = cred.secret;
      break;
    }
  }
  if (!account) return { ok: false, message: 'Unknown or expired OAuth token' };
  if (signature === undefined) return { ok: false, message: 'Missing oauth_signature' };
  const key = `${pct(consumer.secret)}&${pct(tokenSecret)}`;

  const credential = { kind: 'oauth1' as const, token };
  if (method === 'PLAINTEXT') {
    // PLAINTEXT: the signature is pct(consumer secret) & pct(token secret), itself percent-encoded in the
    // header (decoded above). clever-tools writes the secrets unescaped, which is the same for the alphanumeric
    // secrets Clever issues.
    return same(signature, key) ? { ok: true, account, credential } : { ok: false, message: 'Invalid OAuth signature' };
  }
  if (plaintextOnly) return { ok: false, message: `Signature method ${method} not accepted here` };
  if (method !== 'HMAC-SHA512' && method !== 'HMAC-SHA1') {
    return { ok: false, message: `Unsupported signature method ${method}` };
  }
  const ts = Number(params.get('oauth_timestamp'));
  if (!Number.isFinite(ts)) return { ok: false, message: 'Missing oauth_timestamp' };
  if (Math.abs(config.now() / 1000 - ts) > MAX_TIMESTAMP_SKEW_S) {
    return { ok: false, message: 'OAuth timestamp out of the accepted window' };
  }
  const signed: [string, string][] = [...params.entries()].filter(([k]) => k !== 'oauth_signature');
  signed.push(...queryPairs(req.query));
  const base = signatureBaseString(req.method, baseStringUri(req.scheme ?? 'http', req.host, req.path), signed);
  return same(signature, hmacSign(method, key, base))
    ? { ok: true, account, credential }
    : { ok: false, message: 'Invalid OAuth signature' };
}

export function authenticateBearer(authorization: string, config: AuthConfig): AuthResult {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m?.[1]) return { ok: false, message: 'Unsupported authorization scheme' };
  const token = m[1];
  const account =
    config.accounts.find((a) => a.apiTokens.includes(token)) ??
    config.accounts.find((a) => a.userId === config.issuedToken(token));
  return account
    ? { ok: true, account, credential: { kind: 'bearer', token } }
    : { ok: false, message: 'Invalid API token' };
}
