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

/**
 * Every pattern redactText masks contains one of these words (case aside) or an `@`: a text with none of them is
 * returned as is, without running the four replacements (most log messages and values).
 */
const TEXT_HINT = /password|passwd|secret|token|api[_-]?key|private[_-]?key|authorization|bearer|basic/i;

function normalise(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** Key names repeat from one log line to the next: their verdict is kept (bounded: cleared when full). */
const keyVerdicts = new Map<string, boolean>();
const KEY_VERDICTS_MAX = 4096;

/** True when a key of this name holds a credential (`DATABASE_PASSWORD`, `api.token`, `authorization`, `data`). */
export function isSensitiveKey(name: string): boolean {
  const known = keyVerdicts.get(name);
  if (known !== undefined) return known;
  const n = normalise(name);
  const compact = n.replace(/-/g, '');
  const verdict =
    SENSITIVE_EXACT.has(compact) ||
    (!REFERENCE_NAME.test(compact) && (SENSITIVE_NAME.test(n) || SENSITIVE_NAME.test(compact)));
  if (keyVerdicts.size >= KEY_VERDICTS_MAX) keyVerdicts.clear();
  keyVerdicts.set(name, verdict);
  return verdict;
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
  if (!text.includes('@') && !TEXT_HINT.test(text)) return text;
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

/** Plain data: an array, or an object made by a literal or JSON.parse (no class, no toJSON, no Map, no Error). */
function isPlain(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

/**
 * Whether redactValue would return `value` unchanged: plain data all the way down (to the same depth bound), no
 * credential-named key holding a value, no string redactText would change, no URL-named string with an `@`. It
 * only reads; anything it is not sure about (a class instance, an Error, a Buffer, a cycle, too deep) says no and
 * leaves the case to the full copy below.
 */
function untouched(value: unknown, depth: number, walk: { ancestors: Set<object>; clean: Set<object> }): boolean {
  if (typeof value === 'string') return redactText(value) === value;
  if (typeof value !== 'object' || value === null) return true;
  // A branch already found clean (shared by several parents) is clean again: the walk never goes exponential. A
  // cycle goes to the full path, which marks it.
  if (walk.clean.has(value)) return true;
  if (depth > MAX_DEPTH || !isPlain(value) || walk.ancestors.has(value)) return false;
  walk.ancestors.add(value);
  let ok = true;
  if (Array.isArray(value)) {
    for (const v of value) if (!(ok = untouched(v, depth + 1, walk))) break;
  } else {
    for (const key in value) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined || v === null) continue;
      ok =
        !isSensitiveKey(key) &&
        !(typeof v === 'string' && v.includes('@') && URL_NAME.test(key.toLowerCase())) &&
        untouched(v, depth + 1, walk);
      if (!ok) break;
    }
  }
  walk.ancestors.delete(value);
  if (ok) walk.clean.add(value);
  return ok;
}

/**
 * `value` fit for a log line: credential-named keys blanked at any depth, URLs without their userinfo, errors as
 * plain data with their message and stack redacted. Never mutates its input. The common case, plain data with
 * nothing to blank, is checked without copying and returned as is (the same object); anything else is copied.
 */
export function redactValue(value: unknown, seen?: WeakSet<object>, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (!seen) {
    if (untouched(value, depth, { ancestors: new Set(), clean: new Set() })) return value;
    seen = new WeakSet();
  }
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
