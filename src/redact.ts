// What a credential looks like in a string, a URL or an object, and how to blank it. The first line of defence is
// elsewhere: parse errors carry a line and a column but never the text (src/config/parse-errors.ts), API errors are
// summarised (src/kube/errors.ts), Clever errors are scrubbed of the credentials in use (src/clever/http.ts). This
// module is the second line: the logger runs every log line through redactValue, condition and Event messages go
// through redactText, and status fields derived from an add-on's environment go through stripUserinfo.

export const REDACTED = '[redacted]';

/** `scheme://userinfo@` (the userinfo ends at the last `@` before the path, query or fragment). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*(?:@[^\s/?#@]*)*@/gi;

/** Names (keys, settings, env vars, parameters) whose value is a credential. */
const SENSITIVE_NAME = /password|passwd|secret|token|api-?key|private-?key|authorization|cookie/;
/** Names that mention a credential but hold a reference to it, not its value (`secretName`, `credentialsRef`). */
const REFERENCE_NAME = /(name|names|ref|hash|source)$/;
/** Whole names that hold credentials: Secret contents. */
const SENSITIVE_EXACT = new Set(['data', 'stringdata']);
/** Names whose value is a URL or DSN that may carry credentials before an `@`. */
const URL_NAME = /(url|uri|dsn|endpoint)$/;

/**
 * `key = value` and `key="value"` (TOML, OAuth headers, query strings) where the key names a credential; a quoted
 * value that is never closed (the very text a parser complains about) is masked to the end of its line.
 */
const ASSIGNMENT =
  /\b([\w.-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key)[\w.-]*)(\s*=\s*)(?!\[redacted\])("[^"\n]*"?|'[^'\n]*'?|[^\s&,;"'}\]]+)/gi;
/** `"key": "value"` (JSON) where the key names a credential. */
const JSON_MEMBER =
  /("[\w.-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key|authorization)[\w.-]*"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;
/**
 * HTTP authorization schemes followed by their credential. A Basic credential is base64: past its first character
 * it has an uppercase letter, a digit or one of +/= (prose after "Basic" does not).
 */
const AUTH_SCHEME =
  /\b(Bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{6,}|Basic\s+(?=.[A-Za-z0-9+/]*[A-Z0-9+/=])[A-Za-z0-9+/]{6,}=*)/g;

function normalise(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** True when a key of this name holds a credential (`DATABASE_PASSWORD`, `api.token`, `authorization`, `data`). */
export function isSensitiveKey(name: string): boolean {
  const n = normalise(name);
  const compact = n.replace(/-/g, '');
  if (SENSITIVE_EXACT.has(compact)) return true;
  if (REFERENCE_NAME.test(compact)) return false;
  return SENSITIVE_NAME.test(n) || SENSITIVE_NAME.test(compact);
}

/**
 * Removes the userinfo of every URL in a text: `postgresql://user:pass@host/db` becomes `postgresql://host/db`.
 * The one helper for status fields derived from an add-on's environment (status.url, adminUrl, admin_url).
 */
export function stripUserinfo(text: string): string {
  return text.replace(URL_USERINFO, '$1');
}

/** Masks what looks like a credential in free text: URL userinfo, `token = "..."`, `"secret": "..."`, `Bearer ...`. */
export function redactText(text: string): string {
  return text
    .replace(URL_USERINFO, '$1***@')
    .replace(ASSIGNMENT, (_m, key: string, eq: string) => `${key}${eq}${REDACTED}`)
    .replace(JSON_MEMBER, (_m, head: string) => `${head}"${REDACTED}"`)
    .replace(AUTH_SCHEME, (match: string) => `${match.split(/\s/, 1)[0]!} ${REDACTED}`);
}

/** A URL or DSN value: scheme-less DSNs (`user:pass@tcp(host)/db`) lose everything before their last `@`. */
function redactUrlValue(value: string): string {
  const text = redactText(value);
  if (/:\/\//.test(text) || !text.includes('@')) return text;
  return `***${text.slice(text.lastIndexOf('@'))}`;
}

/**
 * An HTTP error as `HTTP <code> <reason> (<kind> <name>; fields ...)`, from a Kubernetes `Status` body (parsed when
 * still text): never the body's message, which may quote the values that were refused.
 */
export function summariseHttpError(code: number | undefined, body: unknown): string {
  let status: unknown = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body);
    } catch {
      status = undefined;
    }
  }
  const s = (typeof status === 'object' && status !== null ? status : {}) as {
    reason?: unknown;
    details?: { kind?: unknown; name?: unknown; causes?: { field?: unknown }[] };
  };
  const word = (v: unknown) => (typeof v === 'string' && /^[\w.\-/[\]:]{1,253}$/.test(v) ? v : undefined);
  const what = [word(s.details?.kind), word(s.details?.name)].filter(Boolean).join(' ');
  const fields = [
    ...new Set((Array.isArray(s.details?.causes) ? s.details.causes : []).map((c) => word(c?.field)).filter(Boolean)),
  ];
  const detail = [what, fields.length ? `fields ${fields.join(', ')}` : ''].filter(Boolean).join('; ');
  return [`HTTP ${code ?? '?'}`, word(s.reason), detail ? `(${detail})` : ''].filter(Boolean).join(' ');
}

const MAX_DEPTH = 12;

/** An Error as plain data (name, message, stack, its own fields, its cause), redacted. */
function errorValue(err: Error, seen: WeakSet<object>, depth: number): Record<string, unknown> {
  const { code, body } = err as { code?: unknown; body?: unknown };
  // An HTTP error carrying its response body (client-node's ApiException puts body and headers in its message too).
  const http = typeof code === 'number' && body !== undefined;
  const message = http ? summariseHttpError(code, body) : redactText(err.message);
  const out: Record<string, unknown> = { type: err.name, message };
  if (err.stack)
    out.stack = http
      ? `${err.name}: ${message}${err.stack.slice(err.stack.indexOf('\n    at '))}`
      : redactText(err.stack);
  for (const [key, value] of Object.entries(err)) {
    // An HTTP error's raw body and headers are never logged: its status code says enough.
    if (key === 'body' || key === 'headers' || key === 'response' || key === 'request') continue;
    out[key] = redactEntry(key, value, seen, depth + 1);
  }
  if (err.cause !== undefined) out.cause = redactValue(err.cause, seen, depth + 1);
  return out;
}

function redactEntry(key: string, value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (value === undefined || value === null) return value;
  if (isSensitiveKey(key)) return REDACTED;
  if (typeof value === 'string' && URL_NAME.test(key.toLowerCase())) return redactUrlValue(value);
  return redactValue(value, seen, depth);
}

/**
 * A copy of `value` fit for a log line: credential-named keys blanked at any depth, URLs without their userinfo,
 * errors as plain data with their message and stack redacted. Never mutates its input.
 */
export function redactValue(value: unknown, seen: WeakSet<object> = new WeakSet(), depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (value instanceof Error) return errorValue(value, seen, depth);
    if (Array.isArray(value)) return value.map((v) => redactValue(v, seen, depth + 1));
    if (value instanceof Date) return value;
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
    if (value instanceof Map) return redactValue(Object.fromEntries(value), seen, depth + 1);
    if (value instanceof Set) return redactValue([...value], seen, depth + 1);
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return redactValue(toJSON.call(value), seen, depth + 1);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = redactEntry(key, v, seen, depth + 1);
    return out;
  } finally {
    seen.delete(value);
  }
}
