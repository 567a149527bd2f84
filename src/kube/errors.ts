// One place that classifies API server failures. Works for errors thrown by client-node's typed APIs and by our raw
// client alike, since both throw `k8s.ApiException` with the HTTP code and the raw Status body.
import type * as k8s from '@kubernetes/client-node';
import { ApiException } from './api-exception.ts';
import { redactText, summariseHttpError } from '../redact.ts';
import type { Status } from './types.ts';

/**
 * Thrown when an optimistic-concurrency write lost a race (HTTP 409, or a JSON patch `test` op that no longer holds).
 * Reconcilers let it propagate: the controller requeues such keys quickly and without an error log, because the
 * next attempt will read a fresh object.
 */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  readonly code = 409;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The HTTP status of an API error, or undefined for anything else (network errors, bugs). */
export function apiStatusCode(err: unknown): number | undefined {
  if (err instanceof ConflictError) return 409;
  if (err instanceof ApiException) return (err as k8s.ApiException<unknown>).code;
  return undefined;
}

/** The `metav1.Status` carried by an API error, parsed when the body is still text. */
export function apiStatus(err: unknown): Status | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const body = (err as k8s.ApiException<unknown>).body;
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return typeof body === 'object' && body !== null ? body : undefined;
}

export const isConflict = (err: unknown): boolean => apiStatusCode(err) === 409;
export const isNotFound = (err: unknown): boolean => apiStatusCode(err) === 404;
export const isGone = (err: unknown): boolean => apiStatusCode(err) === 410;
export const isAlreadyExists = (err: unknown): boolean =>
  apiStatusCode(err) === 409 && apiStatus(err)?.reason === 'AlreadyExists';
export const isInvalid = (err: unknown): boolean => apiStatusCode(err) === 422;
/** Server-side throttling or overload: back off, do not treat as a failure of the object. */
export const isTooManyRequests = (err: unknown): boolean => apiStatusCode(err) === 429;

/**
 * A short description of an error, safe for logs, conditions and Events. An API error is summarised as its HTTP
 * status, reason and the kind and name it concerns (`HTTP 422 Invalid (secrets db-conn; fields data[x])`): never its
 * body, nor the Status message, which can quote the values the API server refused. Other errors keep their message,
 * with anything that looks like a credential masked.
 */
export function describeError(err: unknown): string {
  if (err instanceof ApiException) return summariseHttpError(apiStatusCode(err), apiStatus(err));
  return redactText(err instanceof Error ? err.message : String(err));
}
