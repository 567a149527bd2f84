// The generated CRDs on a real API server: upstream operator manifests are accepted unchanged, defaults are applied
// by the server, immutable fields are refused by CEL with a message naming the field, and `kubectl explain` has
// something to say about every field.
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { providers } from '../../providers/index.ts';
import { API_GROUP } from '../../src/model/provider.ts';
import { adminKubeConfig, apiError, createTestNamespace, statusMessage } from '../support/kube.ts';
import { installCrds, kubectl } from '../support/kubectl.ts';

const ORG = 'orga_00000000-0000-4000-8000-0000000000a1';

/** Manifests in the shape of the upstream operator's own examples. */
const upstreamManifests: Record<string, { apiVersion: string; spec: Record<string, unknown> }> = {
  PostgreSql: {
    apiVersion: 'api.clever-cloud.com/v1',
    spec: {
      organisation: ORG,
      options: { version: 17, encryption: false },
      instance: { region: 'par', plan: 'xxs_sml' },
    },
  },
  Redis: {
    apiVersion: 'api.clever-cloud.com/v1',
    spec: {
      organisation: ORG,
      options: { version: 724, encryption: false },
      instance: { region: 'par', plan: 's_mono' },
    },
  },
  Cellar: {
    apiVersion: 'api.clever-cloud.com/v1',
    spec: { organisation: ORG, options: {}, instance: { region: 'par', plan: 's' } },
  },
};

interface Names {
  kind: string;
  plural: string;
  shortNames?: string[];
}
const upstreamCrds = new Map(
  parseAllDocuments(readFileSync('test/fixtures/upstream/clever-kubernetes-operator-v0.8.0-crds.yaml', 'utf8'))
    .map((d) => d.toJS() as { spec: { names: Names; versions: { name: string }[] } } | null)
    .filter((d) => d !== null)
    .map((d) => [d.spec.names.kind, d.spec] as const),
);

describe('generated CRDs on a real API server', () => {
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let namespace = '';

  beforeAll(async () => {
    await installCrds();
    namespace = await createTestNamespace(kc, 'crds');
  });

  describe.each(providers.map((p) => [p.kind, p] as const))('%s', (kind, provider) => {
    const params = () => ({ group: API_GROUP, version: provider.crdVersion, namespace, plural: provider.plural });

    it('keeps the upstream group, version, plural and short names', () => {
      const upstream = upstreamCrds.get(kind);
      // FSBucket is ours alone; every other kind must match the upstream CRD exactly.
      if (kind === 'FSBucket') {
        expect(upstream).toBeUndefined();
        return;
      }
      expect(upstream, `upstream CRD for ${kind}`).toBeDefined();
      expect(provider.plural).toBe(upstream!.names.plural);
      expect(provider.shortNames).toEqual(upstream!.names.shortNames ?? []);
      expect(upstream!.versions.map((v) => v.name)).toEqual([provider.crdVersion]);
    });

    it('accepts an empty spec, defaulting region and deletion policy', async () => {
      const name = `minimal-${provider.singular}`;
      await custom.createNamespacedCustomObject({
        ...params(),
        body: { apiVersion: `${API_GROUP}/${provider.crdVersion}`, kind, metadata: { name } },
      });
      const got = (await custom.getNamespacedCustomObject({ ...params(), name })) as {
        spec: { deletionPolicy: string; instance: { region: string } };
      };
      expect(got.spec.deletionPolicy).toBe('Delete');
      expect(got.spec.instance.region).toBe(provider.defaultRegion);
    });

    // Region and owner were immutable from creation on (a field rule, `self == oldSelf`), so a typo in a resource
    // whose add-on was never created could not be fixed; and that rule did not run when spec.organisation was added
    // later, so a bound resource could be moved to another owner. The rules now sit on the root and hold exactly
    // once status.addonId is set (issue 13, guarantees 2 and 11).
    it('lets region and organisation be corrected before the add-on exists, and refuses both after', async () => {
      const name = `immutable-${provider.singular}`;
      const hasRegion = Boolean((provider.spec as unknown as { shape: Record<string, unknown> }).shape.instance);
      await custom.createNamespacedCustomObject({
        ...params(),
        body: {
          apiVersion: `${API_GROUP}/${provider.crdVersion}`,
          kind,
          metadata: { name },
          spec: hasRegion ? { instance: { region: 'par', plan: 'a' } } : {},
        },
      });
      const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
      const patch = (spec: Record<string, unknown>) =>
        custom.patchNamespacedCustomObject({ ...params(), name, body: { spec } }, merge) as Promise<{
          spec: { organisation?: string; instance?: { region: string; plan: string } };
        }>;
      // Nothing created yet: a typo can be corrected, and the owner added or changed.
      if (hasRegion) expect((await patch({ instance: { region: 'mtl' } })).spec.instance?.region).toBe('mtl');
      expect((await patch({ organisation: 'orga_typo' })).spec.organisation).toBe('orga_typo');
      expect((await patch({ organisation: null })).spec.organisation).toBeUndefined();

      // The operator records the add-on.
      await custom.patchNamespacedCustomObjectStatus(
        { ...params(), name, body: { status: { addonId: 'addon_x', organisation: ORG } } },
        merge,
      );
      // Adding an owner the add-on does not live in (absent before: a field rule never ran here).
      const added = await apiError(patch({ organisation: 'orga_other' }));
      expect(added.code).toBe(422);
      expect(String(added.body)).toContain('organisation is immutable once the add-on exists');
      // Writing down the owner it already lives in is allowed; changing it afterwards is not.
      expect((await patch({ organisation: ORG })).spec.organisation).toBe(ORG);
      const changed = await apiError(patch({ organisation: 'orga_other' }));
      expect(String(changed.body)).toContain('organisation is immutable once the add-on exists');
      if (hasRegion) {
        const region = await apiError(patch({ instance: { region: 'rbx' } }));
        expect(region.code).toBe(422);
        expect(String(region.body)).toContain('region is immutable once the add-on exists');
        expect((await patch({ instance: { plan: 'b' } })).spec.instance?.plan).toBe('b');
      }
    });

    it('refuses an unknown deletion policy, naming the field and the allowed values', async () => {
      const err = await apiError(
        custom.createNamespacedCustomObject({
          ...params(),
          body: {
            apiVersion: `${API_GROUP}/${provider.crdVersion}`,
            kind,
            metadata: { name: `bad-policy-${provider.singular}` },
            spec: { deletionPolicy: 'Keep' },
          },
        }),
      );
      expect(err.code).toBe(422);
      expect(statusMessage(err)).toContain('spec.deletionPolicy');
      expect(statusMessage(err)).toContain('"Delete", "Orphan"');
    });
  });

  it.each(Object.entries(upstreamManifests))(
    'accepts an upstream %s manifest unchanged and applies our defaults',
    async (kind, manifest) => {
      const provider = providers.find((p) => p.kind === kind)!;
      const params = { group: API_GROUP, version: provider.crdVersion, namespace, plural: provider.plural };
      const name = `upstream-${provider.singular}`;
      await custom.createNamespacedCustomObject({
        ...params,
        body: { apiVersion: manifest.apiVersion, kind, metadata: { name }, spec: manifest.spec },
      });
      const got = (await custom.getNamespacedCustomObject({ ...params, name })) as { spec: Record<string, unknown> };
      expect(got.spec).toMatchObject({ ...manifest.spec, deletionPolicy: 'Delete' });
    },
  );

  it('refuses changing encryption of a database once set', async () => {
    const params = { group: API_GROUP, version: 'v1', namespace, plural: 'postgresqls' };
    await custom.createNamespacedCustomObject({
      ...params,
      body: {
        apiVersion: `${API_GROUP}/v1`,
        kind: 'PostgreSql',
        metadata: { name: 'enc' },
        spec: { options: { encryption: false } },
      },
    });
    const err = await apiError(
      custom.patchNamespacedCustomObject(
        { ...params, name: 'enc', body: { spec: { options: { encryption: true } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(String(err.body)).toContain('encryption is immutable');
  });

  it('documents fields for kubectl explain and groups kinds under `kubectl get clever`', async () => {
    const explained = await kubectl(['explain', 'postgresql.spec.instance.plan']);
    expect(explained).toContain('Plan as a slug');
    const listed = await kubectl(['get', 'clever', '-n', namespace, '-o', 'name']);
    expect(listed).toContain('postgresql.api.clever-cloud.com/minimal-postgresql');
    expect(listed).toContain('cellar.api.clever-cloud.com/minimal-cellar');
  });
});
