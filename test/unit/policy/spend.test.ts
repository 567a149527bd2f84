// The committed spend of a namespace (what a budget is checked against), kept by SpendIndex from informer events in
// O(1) per decision. Checked against the plain sum over every resource it replaced, on a table of cases and on a
// long seeded sequence of adds, price changes, moves and deletions.
import { describe, expect, it } from 'vitest';
import { SpendIndex, type PricedResource } from '../../../src/policy/runtime.ts';

type Row = PricedResource & { metadata: { namespace: string; uid: string; name?: string } };

/** The O(N) sum the index replaced (its rounding to cents included). */
function reference(resources: Iterable<Row>, namespace: string, exceptUid?: string) {
  let committed = 0;
  let count = 0;
  for (const r of resources) {
    if (r.metadata.namespace !== namespace || (exceptUid && r.metadata.uid === exceptUid)) continue;
    count++;
    committed += r.status?.monthlyPrice ?? 0;
  }
  return { committed: Math.round(committed * 100) / 100, resources: count };
}

const row = (namespace: string, name: string, price?: number): Row => ({
  metadata: { namespace, name, uid: `uid-${namespace}-${name}` },
  ...(price !== undefined ? { status: { monthlyPrice: price } } : {}),
});

describe('SpendIndex', () => {
  const cases: { name: string; rows: Row[]; namespace: string; except?: string; want: object }[] = [
    { name: 'empty namespace', rows: [], namespace: 'a', want: { committed: 0, resources: 0 } },
    {
      name: 'sums one namespace only',
      rows: [row('a', 'x', 10.5), row('a', 'y', 4.25), row('b', 'z', 100)],
      namespace: 'a',
      want: { committed: 14.75, resources: 2 },
    },
    {
      name: 'without the deciding resource',
      rows: [row('a', 'x', 10.5), row('a', 'y', 4.25)],
      namespace: 'a',
      except: 'uid-a-x',
      want: { committed: 4.25, resources: 1 },
    },
    {
      name: 'an except uid of another namespace changes nothing',
      rows: [row('a', 'x', 10.5), row('b', 'y', 4.25)],
      namespace: 'a',
      except: 'uid-b-y',
      want: { committed: 10.5, resources: 1 },
    },
    {
      name: 'no price yet counts as a resource at 0',
      rows: [row('a', 'x'), row('a', 'y', 0.1), row('a', 'z', 0.2)],
      namespace: 'a',
      want: { committed: 0.3, resources: 3 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const index = new SpendIndex();
      for (const r of c.rows) index.set(`PostgreSql/${r.metadata.namespace}/${r.metadata.name}`, r);
      expect(index.spend(c.namespace, c.except)).toEqual(c.want);
      expect(index.spend(c.namespace, c.except)).toEqual(reference(c.rows, c.namespace, c.except));
    });
  }

  it('an update replaces the old price; a delete removes it; same name in two kinds are two resources', () => {
    const index = new SpendIndex();
    index.set('PostgreSql/a/db', row('a', 'db', 10));
    index.set('Redis/a/db', { metadata: { namespace: 'a', uid: 'other' }, status: { monthlyPrice: 5 } });
    index.set('PostgreSql/a/db', row('a', 'db', 12));
    expect(index.spend('a')).toEqual({ committed: 17, resources: 2 });
    index.delete('Redis/a/db');
    expect(index.spend('a')).toEqual({ committed: 12, resources: 1 });
    index.delete('PostgreSql/a/db');
    index.delete('PostgreSql/a/db');
    expect(index.spend('a')).toEqual({ committed: 0, resources: 0 });
  });

  it('agrees with the plain sum over a long seeded sequence of changes', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const index = new SpendIndex();
    const live = new Map<string, Row>();
    const namespaces = ['a', 'b', 'c'];
    for (let step = 0; step < 5_000; step++) {
      const ns = namespaces[Math.floor(random() * namespaces.length)]!;
      const name = `r${Math.floor(random() * 40)}`;
      const key = `PostgreSql/${ns}/${name}`;
      if (random() < 0.25) {
        index.delete(key);
        live.delete(key);
      } else {
        const price = random() < 0.1 ? undefined : Math.round(random() * 10_000) / 100;
        const r = row(ns, name, price);
        index.set(key, r);
        live.set(key, r);
      }
      if (step % 50 === 0) {
        for (const n of namespaces) {
          const except = random() < 0.5 ? `uid-${n}-r${Math.floor(random() * 40)}` : undefined;
          const got = index.spend(n, except);
          const want = reference(live.values(), n, except);
          expect(got.resources).toBe(want.resources);
          expect(got.committed).toBeCloseTo(want.committed, 2);
        }
      }
    }
  });
});
