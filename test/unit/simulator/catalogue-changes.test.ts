// The simulator's catalogue changes: a plan or version retired, a version added, per instance.
import { describe, expect, it } from 'vitest';
import { CatalogueChanges, parseCatalogueChange } from '../../../src/simulator/catalogue-changes.ts';

describe('CatalogueChanges', () => {
  it('retires a plan from the catalogue as served and refuses creates on it, leaving other instances alone', () => {
    const changes = new CatalogueChanges();
    const plan = changes.find('postgresql-addon')!.plans.find((p) => p.slug === 'xs_sml')!;
    changes.apply({ retirePlan: { providerId: 'postgresql-addon', plan: 'xs_sml' } });
    expect(changes.find('postgresql-addon')!.plans.map((p) => p.slug)).not.toContain('xs_sml');
    expect(changes.retired('postgresql-addon', plan.id, undefined)).toContain('no longer offered');
    expect(new CatalogueChanges().find('postgresql-addon')!.plans.map((p) => p.slug)).toContain('xs_sml');
  });

  it('retires a version and offers it again when added back; adds a new one', () => {
    const changes = new CatalogueChanges();
    const keys = () => changes.find('mysql-addon')!.versions!.dedicated.map((v) => v.key);
    changes.apply({ retireVersion: { providerId: 'mysql-addon', version: '8.4' } });
    expect(keys()).toEqual(['5.7', '8.0']);
    changes.apply({ addVersion: { providerId: 'mysql-addon', version: '8.4' } });
    changes.apply({ addVersion: { providerId: 'mysql-addon', version: '9.1', full: '9.1.0' } });
    expect(keys()).toEqual(['5.7', '8.0', '8.4', '9.1']);
    expect(changes.list()).toHaveLength(3);
  });

  it.each([
    [{ retirePlan: { providerId: 'postgresql-addon', plan: 'nope' } }, 'no plan nope'],
    [{ retireVersion: { providerId: 'mysql-addon', version: '1.0' } }, 'no version 1.0'],
    [{ addVersion: { providerId: 'cellar-addon', version: '1' } }, 'has no versions'],
  ])('refuses %j', (change, message) => {
    expect(() => new CatalogueChanges().apply(parseCatalogueChange(change))).toThrow(message);
  });

  it('reads only well-formed admin bodies', () => {
    expect(() => parseCatalogueChange({ retirePlan: { providerId: '' } })).toThrow('providerId');
    expect(() => parseCatalogueChange({ other: {} })).toThrow('expected one of');
  });
});
