// Every kind resolves to the definition it had before providers were built from shared factories: the data fields,
// and what plan, region, version, options, binding and status functions return for sample specs and environments.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { providers } from '../../../providers/index.ts';
import { describeProvider } from './provider-snapshot.ts';

const expected = JSON.parse(
  readFileSync(new URL('./fixtures/provider-definitions.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

describe('provider definitions', () => {
  it('serve the same kinds, in the same order', () => {
    expect(providers.map((p) => p.kind)).toEqual(Object.keys(expected));
  });

  it.each(providers.map((p) => [p.kind, p] as const))('%s resolves as before', (kind, provider) => {
    expect(JSON.parse(JSON.stringify(describeProvider(provider)))).toEqual(expected[kind]);
  });
});
