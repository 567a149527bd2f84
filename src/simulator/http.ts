// Response helpers and the two error body shapes of the real API: v2 `Message` and v4 `HTTPErrorBody`.
import { randomUUID } from 'node:crypto';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send this text as is instead of JSON. */
  text?: string;
}

export function json(body: unknown, status = 200): Reply {
  return { status, body };
}

/** v2 error ids. Only 11001 is documented (unknown add-on); the others are stable simulator values. */
export const V2_ERR = {
  notFound: 4004,
  addonNotFound: 11001,
  unauthorized: 2001,
  forbidden: 2002,
  badRequest: 4000,
  paymentRequired: 4020,
  rateLimited: 4290,
  internal: -500,
  conflict: 4009,
} as const;

export function v2Error(status: number, id: number, message: string): Reply {
  return { status, body: { id, message, type: 'error' } };
}

export function v4Error(status: number, code: string, error: string, context: Record<string, unknown> = {}): Reply {
  return { status, body: { apiRequestId: randomUUID(), code, context, error } };
}

export const ADDON_NOT_FOUND = (): Reply => v2Error(404, V2_ERR.addonNotFound, 'This addon does not exist.');
