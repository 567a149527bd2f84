// AWS Signature Version 4 verification of a request's Authorization header, as S3 does it, for the local S3 server
// (s3rver checks only that the key id exists). A wrong secret key in a connection Secret must fail the tests that
// use it, as it would fail against Cellar. The payload hash is taken as the client declared it
// (x-amz-content-sha256): the signature is verified, the body against that hash is not, nor chunk signatures.
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface SigV4Request {
  method: string;
  /** The request target as received: path and query, still percent-encoded. */
  url: string;
  headers: IncomingHttpHeaders;
}

export type SigV4Result =
  | { ok: true; keyId: string }
  | {
      ok: false;
      code: 'InvalidAccessKeyId' | 'SignatureDoesNotMatch' | 'AuthorizationHeaderMalformed';
      message: string;
    }
  | { ok: 'unsigned' };

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/,]+)\/(\d{8})\/([^/,]+)\/([^/,]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** RFC 3986 unreserved characters stay; everything else is %XX (what AWS signers do). */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, '%20'));
  } catch {
    return value;
  }
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .filter((p) => p !== '')
    .map((pair) => {
      const i = pair.indexOf('=');
      const [k, v] = i < 0 ? [pair, ''] : [pair.slice(0, i), pair.slice(i + 1)];
      return [uriEncode(decode(k)), uriEncode(decode(v))] as const;
    })
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');

/** Verifies the SigV4 Authorization header against the secret of its key id; `unsigned` when there is none. */
export function verifySigV4(req: SigV4Request, secretOf: (keyId: string) => string | undefined): SigV4Result {
  const header = req.headers.authorization;
  if (!header || !header.startsWith('AWS4-HMAC-SHA256')) return { ok: 'unsigned' };
  const m = AUTH.exec(header);
  if (!m) return { ok: false, code: 'AuthorizationHeaderMalformed', message: 'unparseable SigV4 Authorization header' };
  const [, keyId, date, region, service, signedList, provided] = m as unknown as string[];
  const secret = secretOf(keyId!);
  if (secret === undefined) return { ok: false, code: 'InvalidAccessKeyId', message: `unknown key id ${keyId}` };

  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const canonicalUri = path
    .split('/')
    .map((segment) => uriEncode(decode(segment)))
    .join('/');
  const signed = signedList!.split(';');
  const headerValue = (name: string) => {
    const v = req.headers[name];
    return (Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ');
  };
  const canonicalHeaders = signed.map((h) => `${h}:${headerValue(h)}\n`).join('');
  const payloadHash = headerValue('x-amz-content-sha256') || sha256('');
  const canonicalRequest = [
    req.method,
    canonicalUri,
    canonicalQuery(query),
    canonicalHeaders,
    signedList,
    payloadHash,
  ].join('\n');
  const amzDate = headerValue('x-amz-date');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (expected !== provided) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided.',
    };
  }
  return { ok: true, keyId: keyId! };
}
