// Every kind resolves to the definition it had before providers were built from shared factories: the data fields,
// and what plan, region, version, options, binding and status functions return for sample specs and environments.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applicationProvider } from '../../../providers/application.ts';
import { databaseProvider } from '../../../providers/database.ts';
import { providers } from '../../../providers/index.ts';
import { defineProvider } from '../../../src/model/provider.ts';
import { addonSpec, instanceField, regionOnlyInstanceField } from '../../../src/model/spec.ts';
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

/** The names of a kind made up for these tests. */
const sample = {
  kind: 'Sample',
  plural: 'samples',
  singular: 'sample',
  finalizer: 'api.clever-cloud.com/sample',
  providerId: 'sample-addon',
  description: 'A sample.',
};

describe('defineProvider', () => {
  const base = {
    ...sample,
    readiness: { kind: 'exists' as const },
    binding: () => ({ serviceBinding: { type: 'sample' }, consumer: {} }),
  };

  it('reads plan and region from spec.instance and the default region from its instance field', () => {
    const spec = addonSpec({ instance: regionOnlyInstanceField('mtl') }, 'A sample.');
    const p = defineProvider({ ...base, spec });
    expect(p.defaultRegion).toBe('mtl');
    expect(p.crdVersion).toBe('v1');
    expect(p.shortNames).toEqual([]);
    const parsed = spec.parse({ instance: { plan: 'xs' } });
    expect(p.plan(parsed)).toBe('xs');
    expect(p.region(parsed)).toBe('mtl');
    expect(p.region(spec.parse({ instance: { region: 'rbx' } }))).toBe('rbx');
  });

  it('keeps what the module states itself', () => {
    const spec = addonSpec({ instance: instanceField('par') }, 'A sample.');
    const p = defineProvider({
      ...base,
      spec,
      crdVersion: 'v1beta1',
      shortNames: ['s'],
      defaultRegion: 'rbx',
      plan: () => 'fixed',
    });
    expect([p.crdVersion, p.shortNames, p.defaultRegion, p.plan(spec.parse({}))]).toEqual([
      'v1beta1',
      ['s'],
      'rbx',
      'fixed',
    ]);
  });

  it('refuses a spec without an instance field when no default region is given', () => {
    const spec = z.object({ instance: z.object({ region: z.string().optional() }) });
    expect(() => defineProvider({ ...base, spec })).toThrow(/Sample: the spec has no instance field/);
  });
});

describe('the shared factories', () => {
  const kind = {
    ...sample,
    specDescription: 'A sample managed by Clever Cloud.',
  };

  it('databaseProvider: backup fields only for kinds with dump tools, extra options as create options', () => {
    const binding = () => ({ serviceBinding: { type: 'sample' }, consumer: {} });
    const tools = { dump: ['dump'], restore: ['load'], extension: 'dump' };
    const withTools = databaseProvider({ ...kind, upstreamCodes: {}, binding, backup: tools });
    const without = databaseProvider({
      ...kind,
      upstreamCodes: { 1: '1.0' },
      binding,
      extraOptions: {
        shape: { fast: z.boolean().optional() },
        create: (o): Record<string, string> => (o.fast ? { fast: 'yes' } : {}),
      },
    });
    const backup = {
      schedule: '0 3 * * *',
      retention: '7d',
      target: { cellarRef: { name: 'store', bucket: 'dumps' } },
    };
    expect(withTools.spec.parse({ backup })).toHaveProperty('backup');
    expect(without.spec.parse({ backup })).not.toHaveProperty('backup');
    expect(without.options!(without.spec.parse({ options: { fast: true, encryption: true } }))).toEqual({
      encryption: 'true',
      fast: 'yes',
    });
    expect(without.requestedVersion!(without.spec.parse({ options: { version: 1 } }))).toBe(1);
    expect(without.versions).toEqual({ upstreamCodes: { 1: '1.0' } });
  });

  it('applicationProvider: a version only for versioned kinds; URL and admin URL from the named variables', () => {
    const app = applicationProvider({ ...kind, versioned: false, bindingType: 'sample', urlVar: 'URL' });
    expect('requestedVersion' in app).toBe(false);
    expect(app.spec.parse({ options: { version: '1', accessDomain: 'a.example.com' } }).options).toEqual({
      accessDomain: 'a.example.com',
    });
    const versioned = applicationProvider({
      ...kind,
      versioned: true,
      routesDomain: true,
      bindingType: 'sample',
      urlVar: 'URL',
      adminUrlVar: 'ADMIN',
    });
    const spec = versioned.spec.parse({ options: { version: '2', routesDomain: 'r.example.com' } });
    expect(versioned.requestedVersion!(spec)).toBe('2');
    expect(versioned.options!(spec)).toEqual({ 'routes-domain': 'r.example.com' });
    expect(versioned.statusFields!({ URL: 'https://app.example.com', ADMIN: 'https://admin.example.com' })).toEqual({
      url: 'https://app.example.com',
      adminUrl: 'https://admin.example.com',
      admin_url: 'https://admin.example.com',
    });
  });
});
