// What a provider definition resolves to, as plain data: its data fields, and what its functions return for a few
// sample specs and environments. Written once from the definitions as they were before the provider factories
// (fixtures/provider-definitions.json) and compared after, so a refactor of providers/ cannot change a kind.
import type { ProviderDefinition } from '../../../src/model/provider.ts';

/** Any variable a binding asks for: URLs and hosts in a form that parses, ports as digits. */
export const SAMPLE_ENV: Record<string, string> = new Proxy<Record<string, string>>(
  {},
  {
    get(_target, key) {
      if (typeof key !== 'string') return undefined;
      if (/PORT$/.test(key)) return '1234';
      if (/(URL|URI)$/.test(key)) return `https://${key.toLowerCase().replace(/_/g, '-')}.example.com/path`;
      if (/HOST(NAME)?$/.test(key)) return `${key.toLowerCase().replace(/_/g, '-')}.example.com`;
      return `value of ${key}: p@ss/w:rd`;
    },
    has: (_target, key) => typeof key === 'string',
  },
);

export const SAMPLE_SPECS: Record<string, unknown>[] = [
  {},
  {
    instance: { plan: 'xs_sml', region: 'mtl' },
    options: { version: '17', encryption: true, kibana: true, apm: false, accessDomain: 'a.example.com' },
    variables: { A: '1', B_2: 'two' },
    buckets: [{ name: 'bucket-one' }],
    pruneBuckets: true,
    bucketDeletionPolicy: 'DeleteContents',
  },
  { instance: { region: 'rbx' }, options: { version: 724, encryption: false, routesDomain: 'r.example.com' } },
];

const attempt = (f: () => unknown): unknown => {
  try {
    return { value: f() };
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
};

export function describeProvider(p: ProviderDefinition): Record<string, unknown> {
  const defined = Object.keys(p)
    .filter((k) => (p as unknown as Record<string, unknown>)[k] !== undefined)
    .sort();
  const specs = SAMPLE_SPECS.map((input) => {
    const parsed = p.spec.safeParse(input);
    if (!parsed.success) return { invalid: parsed.error.issues.map((i) => i.path.join('.')) };
    const s = parsed.data;
    return {
      parsed: s,
      plan: attempt(() => p.plan(s)),
      region: attempt(() => p.region(s)),
      requestedVersion: p.requestedVersion ? attempt(() => p.requestedVersion!(s)) : 'absent',
      options: p.options ? attempt(() => p.options!(s)) : 'absent',
      desiredEnv: p.desiredEnv ? attempt(() => p.desiredEnv!(s)) : 'absent',
      objectStorage: p.objectStorage
        ? {
            buckets: attempt(() => p.objectStorage!.buckets(s)),
            prune: attempt(() => p.objectStorage!.pruneBuckets(s)),
            policy: attempt(() => p.objectStorage!.bucketDeletionPolicy(s)),
          }
        : 'absent',
    };
  });
  const envs = { sample: SAMPLE_ENV, empty: {} };
  const byEnv = Object.fromEntries(
    Object.entries(envs).map(([name, env]) => [
      name,
      {
        binding: attempt(() => p.binding(env)),
        statusFields: p.statusFields ? attempt(() => p.statusFields!(env)) : 'absent',
        connection: p.objectStorage ? attempt(() => p.objectStorage!.connection(env)) : 'absent',
      },
    ]),
  );
  return {
    defined,
    kind: p.kind,
    plural: p.plural,
    singular: p.singular,
    shortNames: p.shortNames,
    crdVersion: p.crdVersion,
    finalizer: p.finalizer,
    providerId: p.providerId,
    description: p.description,
    defaultRegion: p.defaultRegion,
    versions: p.versions ?? 'absent',
    readiness: p.readiness,
    backup: p.backup ?? 'absent',
    printerColumns: p.printerColumns ?? 'absent',
    specs,
    envs: byEnv,
  };
}
