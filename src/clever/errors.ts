// The error classes the reconciler acts on. Classification happens once, here and in http.ts, so callers switch
// on `instanceof` instead of re-reading status codes:
//
//   RetryableError       requeue with backoff (5xx, 429, 408, timeouts, socket resets, refused connections)
//   TerminalError        stop and surface a condition: retrying the same request cannot succeed (400/402/409/422…)
//   UnauthorizedError    credentials are missing, expired or wrong (401)
//     ForbiddenError     authenticated but not allowed, e.g. another owner's ids (403); a subclass so a single
//                        `instanceof UnauthorizedError` catches every credentials problem
//   NotFoundError        404
//   OutcomeUnknownError  a non-idempotent POST (create add-on, create migration) may or may not have been applied:
//                        look the resource up (by name) before trying again
//   ResponseShapeError   a 2xx body that does not match the schema; not retryable
//
// Messages never carry credentials, headers or bodies of sensitive routes (env, credentials-bearing v4 reads).

export interface CleverErrorContext {
  method: string;
  /** The route template, e.g. `/v2/organisations/{ownerId}/addons/{addonId}`: never a URL with ids. */
  route: string;
  status?: number;
  /** v2 `id` (number) or v4 `code` (string), or a transport code such as `ECONNRESET` / `TIMEOUT`. */
  code?: string | number;
  cause?: unknown;
}

export class CleverApiError extends Error {
  readonly method: string;
  readonly route: string;
  readonly status?: number;
  readonly code?: string | number;

  constructor(message: string, context: CleverErrorContext) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.method = context.method;
    this.route = context.route;
    if (context.status !== undefined) this.status = context.status;
    if (context.code !== undefined) this.code = context.code;
  }
}

export class RetryableError extends CleverApiError {
  /** Server-requested delay (Retry-After), in ms, already capped. */
  readonly retryAfterMs?: number;

  constructor(message: string, context: CleverErrorContext & { retryAfterMs?: number }) {
    super(message, context);
    if (context.retryAfterMs !== undefined) this.retryAfterMs = context.retryAfterMs;
  }
}

export class TerminalError extends CleverApiError {}

export class UnauthorizedError extends CleverApiError {}

export class ForbiddenError extends UnauthorizedError {}

export class NotFoundError extends CleverApiError {}

export class OutcomeUnknownError extends CleverApiError {}

export class ResponseShapeError extends CleverApiError {
  /** JSON path of the first offending field, e.g. `$[0].plans[2].id`. */
  readonly path: string;

  constructor(message: string, context: CleverErrorContext & { path: string }) {
    super(message, context);
    this.path = context.path;
  }
}

/** Thrown at construction time for unusable credentials; names the offending field, never its value. */
export class InvalidCredentialsError extends Error {
  readonly field: string;

  constructor(field: string, reason: string) {
    super(`invalid Clever Cloud credentials: ${field} ${reason}`);
    this.name = 'InvalidCredentialsError';
    this.field = field;
  }
}
