// The transport under every Clever call: signing, per-request timeout, the client-side budget (token-bucket rate and
// in-flight cap, served by priority: src/clever/limiter.ts), error classification, retries with backoff +
// Retry-After (a 429 pauses every caller of the client until its Retry-After), metrics and one debug line per attempt.
//
// Retry rule. GET/PUT/DELETE are idempotent and are retried on any RetryableError. A POST (create add-on, create
// migration) is re-sent only when the server provably did not act on it: the connection was refused (or DNS failed)
// before anything was written, a 429 (rejected before processing), or a 503 carrying Clever's "No resource
// available" provider message. Any other failure of a POST (timeout, reset, 5xx) becomes an OutcomeUnknownError.
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { httpRequest } from '../util/http.ts';
import type { Logger } from '../log.ts';
import { backoffDelay, type BackoffPolicy } from '../util/backoff.ts';
import type { RequestSigner } from './auth.ts';
import {
  CleverApiError,
  ForbiddenError,
  NotFoundError,
  OutcomeUnknownError,
  RetryableError,
  TerminalError,
  UnauthorizedError,
  type CleverErrorContext,
} from './errors.ts';
import type { CleverMetrics } from './metrics.ts';
import { PriorityLimiter } from './limiter.ts';
import { currentCleverPriority } from './priority.ts';
import { fillRoute, type RouteDef } from './routes.ts';

/** Upper bound on a server-requested Retry-After: longer than any sane outage hint, short enough to stay live. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** Transport error codes raised before a single byte of the request reached the server. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const NO_RESOURCE_AVAILABLE = /no resource available/i;

export interface TransportOptions {
  signer: RequestSigner;
  baseUrl: string;
  timeoutMs: number;
  retry: { maxAttempts: number; baseMs: number; maxMs: number };
  concurrency: number;
  rateLimit: { ratePerSecond: number; burst: number };
  metrics?: CleverMetrics;
  logger: Logger;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  dispatcher?: Dispatcher;
}

export interface CallSpec {
  route: RouteDef;
  params?: Readonly<Record<string, string>>;
  query?: Readonly<Record<string, string | undefined>>;
  body?: unknown;
}

export interface CallResult {
  status: number;
  /** Parsed JSON, or undefined for an empty body (204, content-length 0). */
  body: unknown;
}

/** One failed attempt, with whether the request provably never reached the server's business logic. */
interface AttemptFailure {
  error: CleverApiError;
  notProcessed: boolean;
}

class TimeoutSignal extends Error {}

export class HttpTransport {
  private readonly options: TransportOptions;
  private readonly base: URL;
  private readonly basePath: string;
  private readonly limiter: PriorityLimiter;
  private readonly policy: BackoffPolicy;

  constructor(options: TransportOptions) {
    this.options = options;
    this.base = new URL(options.baseUrl);
    this.basePath = this.base.pathname.replace(/\/+$/, '');
    this.limiter = new PriorityLimiter({
      ...options.rateLimit,
      concurrency: options.concurrency,
      now: options.now,
      sleep: options.sleep,
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    this.policy = { baseMs: options.retry.baseMs, maxMs: options.retry.maxMs };
  }

  /** Removes every credential value from a text meant for an error message. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.options.signer.secrets) {
      // Also the percent-encoded form, as it appears inside an echoed OAuth header.
      for (const form of new Set([secret, encodeURIComponent(secret)])) {
        if (form) out = out.split(form).join('[redacted]');
      }
    }
    return out;
  }

  async call(spec: CallSpec): Promise<CallResult> {
    const { route } = spec;
    const url = this.buildUrl(spec);
    const idempotent = route.method !== 'POST';
    const { maxAttempts } = this.options.retry;
    // The end of the account-wide pause this call set after its own 429 and already waited out.
    let pauseServed: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(spec, url, attempt, pauseServed);
      if (!('error' in outcome)) return outcome;
      const { error, notProcessed } = outcome;
      if (!(error instanceof RetryableError)) throw error;
      const delayMs = error.retryAfterMs ?? backoffDelay(attempt - 1, this.policy, this.options.random);
      if (error.status === 429) {
        // Over the account's budget: every caller of this client holds off, whatever its priority (this one too,
        // even when it gives up now).
        pauseServed = this.options.now() + delayMs;
        this.limiter.pause(pauseServed);
      }
      if (!idempotent && !notProcessed) {
        throw new OutcomeUnknownError(
          `${route.method} ${route.template}: outcome unknown (${error.message}); ` +
            'look the resource up before trying again',
          { method: route.method, route: route.template, status: error.status, code: error.code, cause: error },
        );
      }
      if (attempt >= maxAttempts) throw error;
      this.options.metrics?.retries.inc({ route: route.template, method: route.method });
      this.options.logger.debug(
        { method: route.method, route: route.template, attempt, delayMs, status: error.status, code: error.code },
        'clever api retry scheduled',
      );
      await this.options.sleep(delayMs);
    }
  }

  private buildUrl(spec: CallSpec): URL {
    const url = new URL(this.base.origin);
    url.pathname = this.basePath + fillRoute(spec.route.template, spec.params ?? {});
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    return url;
  }

  private async attempt(
    spec: CallSpec,
    url: URL,
    attempt: number,
    pauseServed: number | undefined,
  ): Promise<CallResult | AttemptFailure> {
    const { route } = spec;
    const { metrics, logger, timeoutMs } = this.options;
    const release = await this.limiter.acquire(
      currentCleverPriority(),
      pauseServed === undefined ? {} : { pauseServed },
    );
    metrics?.inFlight.inc();
    const started = performance.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutSignal()), timeoutMs);
    let status: number | undefined;
    let result: CallResult | AttemptFailure;
    try {
      const headers: Record<string, string> = {
        accept: 'application/json',
        'user-agent': 'clever-addon-operator',
        authorization: this.options.signer.authorization(route.method, url),
      };
      let body: string | undefined;
      if (spec.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(spec.body);
      }
      const response = await httpRequest(url, {
        method: route.method,
        headers,
        body,
        signal: controller.signal,
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
      // Read the whole body under the same timeout: a response that stalls mid-body is as dead as one that never
      // starts.
      const text = await response.body.text();
      status = response.statusCode;
      result =
        status >= 200 && status < 300
          ? { status, body: this.parseSuccess(route, status, text) }
          : this.httpFailure(route, status, text, response.headers['retry-after']);
    } catch (cause) {
      if (cause instanceof CleverApiError) {
        // A 2xx whose body is not JSON: classified in parseSuccess.
        result = { error: cause, notProcessed: false };
      } else {
        result = this.transportFailure(route, cause, controller.signal.reason);
      }
    } finally {
      clearTimeout(timer);
      metrics?.inFlight.dec();
      release();
    }
    const seconds = (performance.now() - started) / 1000;
    const outcome = 'error' in result ? outcomeLabel(result.error) : 'success';
    metrics?.requests.inc({
      route: route.template,
      method: route.method,
      code: status === undefined ? 'error' : String(status),
      outcome,
    });
    metrics?.duration.observe({ route: route.template, method: route.method }, seconds);
    logger.debug(
      {
        method: route.method,
        route: route.template,
        status: status ?? 'error',
        durationMs: Math.round(seconds * 1000),
        attempt,
        outcome,
      },
      'clever api request',
    );
    return result;
  }

  private parseSuccess(route: RouteDef, status: number, text: string): unknown {
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new TerminalError(`${route.method} ${route.template}: HTTP ${status} with a body that is not JSON`, {
        method: route.method,
        route: route.template,
        status,
        code: 'INVALID_JSON',
      });
    }
  }

  private httpFailure(
    route: RouteDef,
    status: number,
    text: string,
    retryAfterHeader: string | string[] | undefined,
  ): AttemptFailure {
    const { message: apiMessage, code } = parseErrorBody(text);
    // Error bodies of sensitive routes are never quoted: an env route could echo values back.
    const detail = route.sensitive || !apiMessage ? '' : `: ${this.redact(truncate(apiMessage, 500))}`;
    const message = `${route.method} ${route.template} failed: HTTP ${status}${code === undefined ? '' : ` (${code})`}${detail}`;
    const context: CleverErrorContext = { method: route.method, route: route.template, status, code };
    if (status === 401) return { error: new UnauthorizedError(message, context), notProcessed: true };
    if (status === 403) return { error: new ForbiddenError(message, context), notProcessed: true };
    if (status === 404) return { error: new NotFoundError(message, context), notProcessed: true };
    if (status === 408 || status === 429 || status >= 500) {
      const header = Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader;
      const retryAfterMs = parseRetryAfter(header, this.options.now());
      const error = new RetryableError(message, { ...context, retryAfterMs });
      const notProcessed = status === 429 || (status === 503 && NO_RESOURCE_AVAILABLE.test(text));
      return { error, notProcessed };
    }
    return { error: new TerminalError(message, context), notProcessed: true };
  }

  private transportFailure(route: RouteDef, cause: unknown, abortReason: unknown): AttemptFailure {
    const context = { method: route.method, route: route.template };
    if (abortReason instanceof TimeoutSignal) {
      return {
        error: new RetryableError(`${route.method} ${route.template} timed out after ${this.options.timeoutMs} ms`, {
          ...context,
          code: 'TIMEOUT',
        }),
        notProcessed: false,
      };
    }
    const code = errorCode(cause);
    if (code === 'UND_ERR_INVALID_ARG' || cause instanceof TypeError) {
      // A programming error (bad header, bad URL), not a network condition.
      return {
        error: new TerminalError(`${route.method} ${route.template}: invalid request: ${errorText(cause)}`, {
          ...context,
          code: code ?? 'INVALID_REQUEST',
          cause,
        }),
        notProcessed: true,
      };
    }
    const text = this.redact(errorText(cause));
    return {
      error: new RetryableError(`${route.method} ${route.template} failed: ${code ?? 'network error'} (${text})`, {
        ...context,
        code: code ?? 'NETWORK',
        cause,
      }),
      notProcessed: code !== undefined && NOT_SENT_CODES.has(code),
    };
  }
}

/** Parses Retry-After (delta seconds or HTTP date) into a delay in ms, capped at MAX_RETRY_AFTER_MS. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(trimmed)) {
    ms = Number(trimmed) * 1000;
  } else {
    // An HTTP date always names its day/month; this also stops Date.parse accepting '-3' as a year.
    if (!/[a-z]/i.test(trimmed)) return undefined;
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** v2 `{id, message, type}`, v4 `{code, error, context}`, bridge `{code}`, or a bare string. */
export function parseErrorBody(text: string): { message?: string; code?: string | number } {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: text.trim() };
  }
  if (typeof parsed === 'string') return { message: parsed };
  if (typeof parsed !== 'object' || parsed === null) return {};
  const body = parsed as Record<string, unknown>;
  const message =
    typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : undefined;
  const rawCode = body.code ?? body.id;
  const code = typeof rawCode === 'string' || typeof rawCode === 'number' ? rawCode : undefined;
  return { ...(message === undefined ? {} : { message }), ...(code === undefined ? {} : { code }) };
}

function outcomeLabel(error: CleverApiError): string {
  if (error instanceof ForbiddenError) return 'forbidden';
  if (error instanceof UnauthorizedError) return 'unauthorized';
  if (error instanceof NotFoundError) return 'not_found';
  if (error instanceof TerminalError) return 'terminal';
  if (error.code === 'TIMEOUT') return 'timeout';
  if (error.status === 429) return 'rate_limited';
  if (error.status !== undefined) return 'server_error';
  return 'network';
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined || cause === error ? undefined : errorCode(cause);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
