import { describe, expect, it } from 'vitest';
import { providers } from '../../../providers/index.ts';
import { buildCrd, specSchema } from '../../../src/model/crd.ts';
import { z } from 'zod';
import { defineProvider } from '../../../src/model/provider.ts';

type Schema = Record<string, unknown> & { properties?: Record<string, Schema> };
const prop = (s: Schema, path: string): Schema =>
  path.split('.').reduce<Schema>((node, key) => node?.properties?.[key] as Schema, s);

describe.each(providers.map((p) => [p.kind, p] as const))('CRD of %s', (_kind, provider) => {
  const crd = buildCrd(provider);
  const version = (crd.spec.versions as Schema[])[0]!;
  const root = (version.schema as { openAPIV3Schema: Schema }).openAPIV3Schema;
  const spec = prop(root, 'spec');

  it('is namespaced, in the clever category, with the status subresource', () => {
    expect(crd.metadata.name).toBe(`${provider.plural}.api.clever-cloud.com`);
    expect(crd.spec.scope).toBe('Namespaced');
    expect((crd.spec.names as { categories: string[] }).categories).toEqual(['clever']);
    expect(version.subresources).toEqual({ status: {} });
  });

  it('shows Ready, Synced, Plan, Region first and Age last', () => {
    const names = (version.additionalPrinterColumns as { name: string; priority?: number }[])
      .filter((c) => !c.priority)
      .map((c) => c.name);
    expect(names.slice(0, 4)).toEqual(['Ready', 'Synced', 'Plan', 'Region']);
    expect(names[names.length - 1]).toBe('Age');
  });

  // Region and owner: immutable once the add-on exists (root rules, which see oldSelf.status.addonId), correctable
  // before; a field rule could neither see status nor run when the field was absent before (issue 13).
  it('makes region and organisation immutable once the add-on exists, encryption always, and keeps plan mutable', () => {
    const rule = (s: Schema | undefined) =>
      (s?.['x-kubernetes-validations'] as { rule: string }[] | undefined)?.[0]?.rule;
    expect(rule(prop(spec, 'instance.region'))).toBeUndefined();
    expect(rule(prop(spec, 'organisation'))).toBeUndefined();
    const rootRules = (root['x-kubernetes-validations'] as { rule: string; message: string }[]).map((r) => r.rule);
    expect(rootRules).toHaveLength(2);
    for (const r of rootRules)
      expect(r.startsWith('!has(oldSelf.status) || !has(oldSelf.status.addonId) || ')).toBe(true);
    expect(rootRules[0]).toContain('self.spec.organisation == oldSelf.status.organisation');
    expect(rootRules[1]).toContain('self.spec.instance.region == oldSelf.spec.instance.region');
    expect(rule(prop(spec, 'instance.plan'))).toBeUndefined();
    const encryption = prop(spec, 'options.encryption');
    if (encryption) expect(rule(encryption)).toBe('self == oldSelf');
  });

  it('accepts upstream integer version codes and version strings in one int-or-string field', () => {
    const v = prop(spec, 'options.version');
    if (provider.versions?.upstreamCodes) {
      expect(v['x-kubernetes-int-or-string']).toBe(true);
      expect(v.anyOf).toBeUndefined();
    }
  });

  it('defaults deletionPolicy to Delete and requires nothing the upstream operator did not', () => {
    expect(prop(spec, 'deletionPolicy').default).toBe('Delete');
    expect(spec.required ?? []).toEqual([]);
  });
});

describe('specSchema', () => {
  it('refuses a provider whose spec has a field without description', () => {
    const bad = defineProvider({
      ...providers[0]!,
      kind: 'Bad',
      spec: z.object({ undocumented: z.string() }).meta({ description: 'x' }),
    });
    expect(() => specSchema(bad)).toThrow(/Bad: fields without a description: spec.undocumented/);
  });
});

describe('spec parsing', () => {
  const pg = providers.find((p) => p.kind === 'PostgreSql')!;
  it('applies the same defaults as the CRD', () => {
    const spec = pg.spec.parse({}) as { deletionPolicy: string; instance: { region: string } };
    expect(spec.deletionPolicy).toBe('Delete');
    expect(spec.instance.region).toBe('par');
  });
  it('reads an upstream manifest unchanged', () => {
    const spec = pg.spec.parse({
      organisation: 'orga_00000000-0000-4000-8000-0000000000a1',
      options: { version: 17, encryption: false },
      instance: { region: 'par', plan: 'xxs_sml' },
    });
    expect(pg.plan(spec)).toBe('xxs_sml');
    expect(pg.requestedVersion?.(spec)).toBe(17);
    expect(pg.options?.(spec)).toEqual({ encryption: 'false' });
  });
});
