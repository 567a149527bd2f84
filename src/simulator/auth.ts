// Request authentication as the real API does it: OAuth 1.0a (PLAINTEXT, HMAC-SHA512, HMAC-SHA1) on the main host,
// Bearer API tokens on the bridge. HMAC signatures are verified for real, so a client with a signing bug fails here
// rather than in production.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { OAuthConsumer, SimulatorAccount } from './types.ts';

export type AuthResult = { ok: true; account: SimulatorAccount } | { ok: false; message: string };

export interface AuthConfig {
  accounts: SimulatorAccount[];
  consumers: OAuthConsumer[];
  now: () => number;
  /** Extra bearer tokens issued through `POST /api-tokens`, token -> user id. */
  issuedToken: (token: string) => string | undefined;
}

export interface SignedRequest {
  method: string;
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
 * Signature base strings for the given params. Two normalisations are returned because clients differ on the sort:
 * oauth10a sorts the joined "k=v" strings, the spec (and the oauth-1.0a package) sorts by key then value; they only
 * disagree when one key is a prefix of another.
 */
export function signatureBaseStrings(method: string, baseUrl: string, params: [string, string][]): string[] {
  const encoded = params.map(([k, v]) => [pct(k), pct(v)] as const);
  const byString = encoded.map(([k, v]) => `${k}=${v}`).sort();
  const byKey = [...encoded].sort(([ka, va], [kb, vb]) =>
    ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0,
  );
  const head = `${method.toUpperCase()}&${pct(baseUrl)}&`;
  const variants = new Set([byString.join('&'), byKey.map(([k, v]) => `${k}=${v}`).join('&')]);
  return [...variants].map((joined) => head + pct(joined));
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

  if (method === 'PLAINTEXT') {
    // Clever's JS clients send the secrets unescaped; accept both forms.
    const ok = same(signature, key) || same(signature, `${consumer.secret}&${tokenSecret}`);
    return ok ? { ok: true, account } : { ok: false, message: 'Invalid OAuth signature' };
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
  // The simulator serves plain http; accept https too for clients behind a TLS-terminating proxy.
  for (const scheme of ['http', 'https']) {
    for (const base of signatureBaseStrings(req.method, `${scheme}://${req.host}${req.path}`, signed)) {
      if (same(signature, hmacSign(method, key, base))) return { ok: true, account };
    }
  }
  return { ok: false, message: 'Invalid OAuth signature' };
}

export function authenticateBearer(authorization: string, config: AuthConfig): AuthResult {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m?.[1]) return { ok: false, message: 'Unsupported authorization scheme' };
  const token = m[1];
  const account =
    config.accounts.find((a) => a.apiTokens.includes(token)) ??
    config.accounts.find((a) => a.userId === config.issuedToken(token));
  return account ? { ok: true, account } : { ok: false, message: 'Invalid API token' };
}
