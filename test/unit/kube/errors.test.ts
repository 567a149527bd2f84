// Guarantee 9 (docs/safety.md): an API server error reaches logs, conditions and Events as a summary (HTTP status,
// reason, kind and name, field names), never as its raw body or Status message, which can quote refused values.
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ConflictError, describeError } from '../../../src/kube/errors.ts';

const VALUE = 'pw-Zq81vXk-c0ffee';

function apiError(code: number, status: object | string): k8s.ApiException<string> {
  const body = typeof status === 'string' ? status : JSON.stringify(status);
  // Built like the operator's client builds them (src/kube/client.ts): the message embeds the body.
  return new k8s.ApiException<string>(code, `HTTP ${code} PATCH /api/v1/x: ${body}`, body, {
    authorization: `Bearer ${VALUE}`,
  });
}

describe('describeError', () => {
  it('summarises a Status body: code, reason, kind, name and field names only', () => {
    const err = apiError(422, {
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      message: `Secret "pg-conn" is invalid: data[PASSWORD]: Invalid value: "${VALUE}"`,
      details: {
        kind: 'secrets',
        name: 'pg-conn',
        causes: [{ reason: 'FieldValueInvalid', field: 'data[PASSWORD]', message: `Invalid value: "${VALUE}"` }],
      },
      code: 422,
    });
    expect(err.message).toContain(VALUE);
    expect(describeError(err)).toBe('HTTP 422 Invalid (secrets pg-conn; fields data[PASSWORD])');
  });

  it('never falls back to a body that is not a Status', () => {
    const text = describeError(apiError(500, `upstream said: password=${VALUE}`));
    expect(text).toBe('HTTP 500');
  });

  it('does not trust names or fields that are not names', () => {
    const err = apiError(409, { reason: 'Conflict', details: { kind: 'x', name: `a "${VALUE}" b` } });
    expect(describeError(err)).toBe('HTTP 409 Conflict (x)');
  });

  it('keeps the message of other errors, with credential text masked', () => {
    expect(describeError(new Error(`connect ECONNREFUSED to https://u:${VALUE}@h`))).toBe(
      'connect ECONNREFUSED to https://***@h',
    );
    expect(describeError(new ConflictError('HTTP 409 Conflict (leases x)'))).toBe('HTTP 409 Conflict (leases x)');
    expect(describeError(`secret=${VALUE}`)).toBe('secret=[redacted]');
  });
});
