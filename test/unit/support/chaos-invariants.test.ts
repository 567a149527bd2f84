// Guarantee 9 (docs/safety.md): the chaos runs' exposure invariant also looks for the operator's own OAuth token and
// secret, as they are and in the forms they could leak in (percent-encoded, base64).
import { describe, expect, it } from 'vitest';
import { addOperatorCredentials, checkInvariants, credentialForms, type Snapshot } from '../../chaos/invariants.ts';
import { OPERATOR_CREDENTIALS } from '../../support/operator-config.ts';
import { DEV_OAUTH_SECRET, DEV_OAUTH_TOKEN } from '../../../src/simulator/index.ts';

function snapshot(published: Partial<Snapshot['published']>): Snapshot {
  const secretValues = new Set<string>();
  addOperatorCredentials(OPERATOR_CREDENTIALS, secretValues);
  return {
    tracked: [],
    live: new Map(),
    secrets: new Map(),
    addons: [],
    published: { logs: '', events: '', statuses: '', ...published },
    secretValues,
  };
}

const exposure = (s: Snapshot) => checkInvariants(s).find((r) => r.name === 'secret values in logs, events or status')!;

describe('chaos exposure invariant and the operator credentials', () => {
  it('the operator config credentials are the dev OAuth token and secret', () => {
    expect(OPERATOR_CREDENTIALS).toEqual([DEV_OAUTH_TOKEN, DEV_OAUTH_SECRET]);
  });

  it('credentialForms: plain, percent-encoded, base64 (padded, unpadded, URL-safe)', () => {
    expect(credentialForms('a b/c+d')).toEqual(['a b/c+d', 'a%20b%2Fc%2Bd', 'YSBiL2MrZA==', 'YSBiL2MrZA']);
    expect(credentialForms('>>>')).toEqual(['>>>', '%3E%3E%3E', 'Pj4+', 'Pj4-']);
  });

  it('a clean run counts nothing', () => {
    expect(exposure(snapshot({ logs: 'reconciled', events: 'Created add-on', statuses: '{}' })).count).toBe(0);
  });

  it.each([
    ['the token in logs', { logs: `oauth_token="${DEV_OAUTH_TOKEN}"` }],
    ['the secret in a status', { statuses: JSON.stringify({ message: `secret = "${DEV_OAUTH_SECRET}"` }) }],
    ['the percent-encoded token in events', { events: `x ${encodeURIComponent(DEV_OAUTH_TOKEN)} y` }],
    ['the base64 secret in logs', { logs: Buffer.from(DEV_OAUTH_SECRET).toString('base64') }],
  ])('counts %s', (_what, published) => {
    expect(exposure(snapshot(published)).count).toBeGreaterThan(0);
  });
});
