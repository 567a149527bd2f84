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

    it('refuses a region change and an organisation change, and lets the plan change', async () => {
      const name = `immutable-${provider.singular}`;
      await custom.createNamespacedCustomObject({
        ...params(),
        body: {
          apiVersion: `${API_GROUP}/${provider.crdVersion}`,
          kind,
          metadata: { name },
          spec: { organisation: ORG, instance: { region: 'par', plan: 'a' } },
        },
      });
      const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
      const region = await apiError(
        custom.patchNamespacedCustomObject(
          { ...params(), name, body: { spec: { instance: { region: 'mtl' } } } },
          merge,
        ),
      );
      expect(region.code).toBe(422);
      expect(String(region.body)).toContain('region is immutable');
      const org = await apiError(
        custom.patchNamespacedCustomObject(
          { ...params(), name, body: { spec: { organisation: 'orga_other' } } },
          merge,
        ),
      );
      expect(String(org.body)).toContain('organisation is immutable');
      const planned = (await custom.patchNamespacedCustomObject(
        { ...params(), name, body: { spec: { instance: { plan: 'b' } } } },
        merge,
      )) as { spec: { instance: { plan: string } } };
      expect(planned.spec.instance.plan).toBe('b');
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
