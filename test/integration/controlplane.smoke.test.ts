// Proves the local control plane is a real kube-apiserver: CRD establishment, CEL validation, the status
// subresource, printer columns (Table output), watches and server-side apply all behave as the apiserver does.
// A fake API server or a mock would fail most of these assertions.
import * as k8s from '@kubernetes/client-node';
import { request, type RequestOptions } from 'node:https';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, apiError, createTestNamespace, eventually } from '../support/kube.ts';

const group = 'smoke.clever-addon-operator.test';
const plural = 'widgets';
const version = 'v1';

const crd: k8s.V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { kind: 'Widget', plural, singular: 'widget', listKind: 'WidgetList', shortNames: ['wdg'] },
    versions: [
      {
        name: version,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size', 'maxSize', 'region'],
                properties: {
                  size: { type: 'integer' },
                  maxSize: { type: 'integer' },
                  region: {
                    type: 'string',
                    x_kubernetes_validations: [{ rule: 'self == oldSelf', message: 'region is immutable' }],
                  },
                },
                x_kubernetes_validations: [
                  { rule: 'self.size <= self.maxSize', message: 'size must not exceed maxSize' },
                ],
              },
              status: { type: 'object', properties: { phase: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};

interface Widget extends k8s.KubernetesObject {
  spec: { size: number; maxSize: number; region: string };
  status?: { phase?: string };
}

describe('local control plane', () => {
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  let namespace = '';

  const widget = (name: string, spec: Widget['spec']): Widget => ({
    apiVersion: `${group}/${version}`,
    kind: 'Widget',
    metadata: { name, namespace },
    spec,
  });

  beforeAll(async () => {
    namespace = await createTestNamespace(kc, 'smoke');
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({ body: crd });
    await eventually(
      async () => {
        const got = await ext.readCustomResourceDefinition({ name: crd.metadata!.name! });
        return got.status?.conditions?.find((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      },
      30_000,
      'CRD Established',
    );
  });

  it('reports its version and serves discovery for the new group', async () => {
    const v = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(v.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    const groups = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    expect(groups.groups.map((g) => g.name)).toContain(group);
  });

  it('creates, gets and lists custom objects', async () => {
    await custom.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      body: widget('a', { size: 1, maxSize: 3, region: 'par' }),
    });
    const got = (await custom.getNamespacedCustomObject({ group, version, namespace, plural, name: 'a' })) as Widget;
    expect(got.spec.size).toBe(1);
    expect(got.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(got.metadata?.generation).toBe(1);
    const list = (await custom.listNamespacedCustomObject({ group, version, namespace, plural })) as {
      items: Widget[];
    };
    expect(list.items.map((w) => w.metadata?.name)).toEqual(['a']);
  });

  it('rejects an object that violates a CEL rule, with the rule message', async () => {
    const err = await apiError(
      custom.createNamespacedCustomObject({
        group,
        version,
        namespace,
        plural,
        body: widget('too-big', { size: 5, maxSize: 3, region: 'par' }),
      }),
    );
    expect(err.code).toBe(422);
    expect(String(err.body)).toContain('size must not exceed maxSize');
  });

  it('enforces a transition rule (immutable field) on update', async () => {
    await custom.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      body: widget('immutable', { size: 1, maxSize: 3, region: 'par' }),
    });
    const err = await apiError(
      custom.patchNamespacedCustomObject(
        { group, version, namespace, plural, name: 'immutable', body: { spec: { region: 'mtl' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(err.code).toBe(422);
    expect(String(err.body)).toContain('region is immutable');
  });

  it('keeps status and spec apart through the status subresource', async () => {
    await custom.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      body: widget('st', { size: 1, maxSize: 3, region: 'par' }),
    });
    // A status written through the main resource is dropped...
    const viaMain = (await custom.patchNamespacedCustomObject(
      { group, version, namespace, plural, name: 'st', body: { status: { phase: 'Sneaky' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    )) as Widget;
    expect(viaMain.status?.phase).toBeUndefined();
    // ...and one written through /status is kept, while a spec change sent there is ignored without a generation bump.
    const viaStatus = (await custom.patchNamespacedCustomObjectStatus(
      { group, version, namespace, plural, name: 'st', body: { status: { phase: 'Ready' }, spec: { size: 2 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    )) as Widget;
    expect(viaStatus.status?.phase).toBe('Ready');
    expect(viaStatus.spec.size).toBe(1);
    expect(viaStatus.metadata?.generation).toBe(1);
  });

  it('serves the printer columns as a Table', async () => {
    await custom.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      body: widget('tabled', { size: 2, maxSize: 3, region: 'par' }),
    });
    const table = await fetchAsTable(kc, `/apis/${group}/${version}/namespaces/${namespace}/${plural}/tabled`);
    // Custom columns replace the default ones (no implicit Age), which only a real apiserver computes.
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Size', 'Phase']);
    expect(table.rows[0]?.cells.slice(0, 2)).toEqual(['tabled', 2]);
  });

  it('server-side applies with a field manager and reports conflicts between managers', async () => {
    const applied = await objects.patch(
      widget('ssa', { size: 2, maxSize: 4, region: 'par' }),
      undefined,
      undefined,
      'smoke-a',
      false,
      k8s.PatchStrategy.ServerSideApply,
    );
    expect(applied.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toContainEqual(['smoke-a', 'Apply']);
    const conflict = await apiError(
      objects.patch(
        widget('ssa', { size: 3, maxSize: 4, region: 'par' }),
        undefined,
        undefined,
        'smoke-b',
        false,
        k8s.PatchStrategy.ServerSideApply,
      ),
    );
    expect(conflict.code).toBe(409);
    const forced = await objects.patch<Widget>(
      widget('ssa', { size: 3, maxSize: 4, region: 'par' }),
      undefined,
      undefined,
      'smoke-b',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    expect(forced.spec.size).toBe(3);
  });

  it('streams watch events for changes made after the watch starts', async () => {
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    const list = (await custom.listNamespacedCustomObject({ group, version, namespace, plural })) as {
      metadata: { resourceVersion: string };
    };
    const ctrl = await watch.watch(
      `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
      { resourceVersion: list.metadata.resourceVersion },
      (phase, obj: Widget) => seen.push(`${phase}:${obj.metadata?.name}`),
      () => undefined,
    );
    try {
      await custom.createNamespacedCustomObject({
        group,
        version,
        namespace,
        plural,
        body: widget('watched', { size: 1, maxSize: 1, region: 'par' }),
      });
      await custom.deleteNamespacedCustomObject({ group, version, namespace, plural, name: 'watched' });
      await eventually(() => (seen.includes('DELETED:watched') ? true : undefined), 10_000, 'watch events');
      expect(seen).toEqual(['ADDED:watched', 'DELETED:watched']);
    } finally {
      ctrl.abort();
    }
  });

  it('refuses a stale update with 409 Conflict (optimistic concurrency)', async () => {
    const created = (await custom.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      body: widget('occ', { size: 1, maxSize: 3, region: 'par' }),
    })) as Widget;
    await custom.replaceNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      name: 'occ',
      body: { ...created, spec: { ...created.spec, size: 2 } },
    });
    const stale = await apiError(
      custom.replaceNamespacedCustomObject({
        group,
        version,
        namespace,
        plural,
        name: 'occ',
        body: { ...created, spec: { ...created.spec, size: 3 } },
      }),
    );
    expect(stale.code).toBe(409);
  });
});

interface Table {
  columnDefinitions: { name: string }[];
  rows: { cells: unknown[] }[];
}

async function fetchAsTable(kc: k8s.KubeConfig, path: string): Promise<Table> {
  const cluster = kc.getCurrentCluster()!;
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = request(
      `${cluster.server}${path}`,
      { ...opts, headers: { ...opts.headers, Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as Table);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
