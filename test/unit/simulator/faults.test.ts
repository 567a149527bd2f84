import { describe, expect, it } from 'vitest';
import { FaultEngine, parseFaultRules, routeMatches } from '../../../src/simulator/faults.ts';
import { Rng } from '../../../src/simulator/rng.ts';

const CREATE = 'POST /v2/organisations/{ownerId}/addons';
const LIST = 'GET /v2/organisations/{ownerId}/addons';

describe('routeMatches', () => {
  it('matches exact templates, path-only templates and wildcards', () => {
    expect(routeMatches(CREATE, CREATE)).toBe(true);
    expect(routeMatches(CREATE, LIST)).toBe(false);
    expect(routeMatches('/v2/organisations/{ownerId}/addons', LIST)).toBe(true);
    expect(routeMatches('/v2/organisations/{ownerId}/addons', 'GET /v2/self/addons')).toBe(false);
    expect(routeMatches('*', LIST)).toBe(true);
    expect(routeMatches(undefined, LIST)).toBe(true);
  });
});

describe('FaultEngine', () => {
  it('applies a counted rule to the next N matches only, then expires it', () => {
    const f = new FaultEngine([{ route: CREATE, kind: 'error', status: 503, count: 2 }], new Rng(1));
    expect(f.decide(LIST).terminal).toBeUndefined();
    expect(f.decide(CREATE).terminal).toMatchObject({ status: 503 });
    expect(f.decide(CREATE).terminal).toMatchObject({ status: 503 });
    expect(f.decide(CREATE).terminal).toBeUndefined();
    expect(f.list()).toEqual([]);
  });

  it('draws probabilities from the seeded RNG: same seed, same decisions', () => {
    const run = (seed: number) => {
      const f = new FaultEngine([{ kind: 'reset', probability: 0.3 }], new Rng(seed));
      return Array.from({ length: 200 }, () => (f.decide(LIST).terminal ? 1 : 0));
    };
    const a = run(7);
    expect(run(7)).toEqual(a);
    expect(run(8)).not.toEqual(a);
    const hits = a.reduce<number>((s, x) => s + x, 0);
    expect(hits).toBeGreaterThan(35);
    expect(hits).toBeLessThan(85);
  });

  it('does not consume the count of a rule whose draw missed', () => {
    const f = new FaultEngine([{ kind: 'reset', probability: 0.5, count: 1 }], new Rng(3));
    let fired = 0;
    for (let i = 0; i < 50; i++) if (f.decide(LIST).terminal) fired++;
    expect(fired).toBe(1);
  });

  it('stacks latency with the first terminal fault', () => {
    const f = new FaultEngine(
      [
        { kind: 'latency', ms: 30 },
        { kind: 'latency', ms: 20, route: LIST },
        { kind: 'rateLimit', retryAfterSeconds: 2, route: LIST },
        { kind: 'error', status: 500 },
      ],
      new Rng(1),
    );
    expect(f.decide(LIST)).toEqual({
      latencyMs: 50,
      kinds: ['latency', 'latency', 'rateLimit'],
      terminal: { kind: 'rateLimit', retryAfterSeconds: 2, route: LIST },
    });
    expect(f.decide(CREATE)).toMatchObject({ latencyMs: 30, terminal: { kind: 'error' } });
  });

  it('replaces rules and does not share them with the caller', () => {
    const rules = [{ kind: 'reset' as const, count: 1 }];
    const f = new FaultEngine([], new Rng(1));
    f.set(rules);
    f.decide(LIST);
    expect(rules[0]!.count).toBe(1);
  });
});

describe('parseFaultRules', () => {
  it('accepts valid rules and explains invalid ones', () => {
    expect(parseFaultRules([{ kind: 'latency', ms: 5, route: '*' }])).toHaveLength(1);
    expect(() => parseFaultRules({})).toThrow(/array/);
    expect(() => parseFaultRules([{ kind: 'boom' }])).toThrow(/rule 0: kind/);
    expect(() => parseFaultRules([{ kind: 'error' }])).toThrow(/status/);
    expect(() => parseFaultRules([{ kind: 'reset', probability: 2 }])).toThrow(/probability/);
    expect(() => parseFaultRules([{ kind: 'rateLimit' }])).toThrow(/retryAfterSeconds/);
  });
});
