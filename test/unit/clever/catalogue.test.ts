import { describe, expect, it } from 'vitest';
import { CatalogueCache, describePlans, findPlan, type AddonProvider } from '../../../src/clever/index.ts';

const provider: AddonProvider = {
  id: 'postgresql-addon',
  name: 'PostgreSQL',
  regions: ['par'],
  plans: [
    { id: 'plan_b', name: 'XXS Small Space', slug: 'xxs_sml', price: 5.25 },
    { id: 'plan_a', name: 'DEV', slug: 'dev', price: 0 },
  ],
};

describe('findPlan', () => {
  it('matches id, slug and name case-insensitively', () => {
    expect(findPlan(provider, 'plan_b')?.slug).toBe('xxs_sml');
    expect(findPlan(provider, 'XXS_SML')?.id).toBe('plan_b');
    expect(findPlan(provider, 'dev')?.id).toBe('plan_a');
    expect(findPlan(provider, 'xxs small space')?.id).toBe('plan_b');
    expect(findPlan(provider, 'huge')).toBeUndefined();
    expect(describePlans(provider)).toBe('dev (plan_a), xxs_sml (plan_b)');
  });
});

describe('CatalogueCache', () => {
  function fake() {
    const calls: string[] = [];
    let fail = false;
    const client = {
      listAddonProviders: (ownerId?: string) => {
        calls.push(`list:${ownerId ?? ''}`);
        return fail ? Promise.reject(new Error('down')) : Promise.resolve([provider]);
      },
      getProviderInfo: (id: string) => {
        calls.push(`info:${id}`);
        return Promise.resolve(null);
      },
    };
    return { client, calls, setFail: (v: boolean) => (fail = v) };
  }

  it('shares concurrent misses, expires after the TTL, keys by owner', async () => {
    const { client, calls } = fake();
    let now = 0;
    const cache = new CatalogueCache(client, { ttlMs: 1000, now: () => now });
    await Promise.all([cache.providers(), cache.providers(), cache.provider('postgresql-addon')]);
    expect(calls).toEqual(['list:']);
    await cache.providers('orga_1');
    expect(await cache.providerInfo('cellar-addon')).toBeNull();
    await cache.providerInfo('cellar-addon');
    now = 999;
    await cache.providers();
    expect(calls).toEqual(['list:', 'list:orga_1', 'info:cellar-addon']);
    now = 1000;
    await cache.providers();
    expect(calls.filter((c) => c === 'list:')).toHaveLength(2);
    cache.clear();
    await cache.providers();
    expect(calls.filter((c) => c === 'list:')).toHaveLength(3);
  });

  it('does not cache failures', async () => {
    const { client, calls, setFail } = fake();
    const cache = new CatalogueCache(client, { now: () => 0 });
    setFail(true);
    await expect(cache.providers()).rejects.toThrow('down');
    setFail(false);
    await expect(cache.provider('postgresql-addon')).resolves.toMatchObject({ id: 'postgresql-addon' });
    expect(calls).toEqual(['list:', 'list:']);
  });
});
