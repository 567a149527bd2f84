// What consumers get: the dialects chosen, template keys rendered from the add-on's values (and refused visibly
// when wrong), and credential rotation reaching exactly the workloads listed in spec.secret.rolloutRestart, a
// Paperclip Instance included.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { getObject } from '../../src/kube/objects.ts';
import type { AddonStatus } from '../../src/model/status.ts';
import { secretHashAnnotation } from '../../src/reconcile/rollout.ts';

const SECRET_HASH_ANNOTATION = secretHashAnnotation('PostgreSql', 'rotated');
import type { SecretObject } from '../../src/reconcile/secret.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';
import { ensurePaperclipCrd } from '../support/paperclip.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';

const GROUP = 'api.clever-cloud.com';

interface Pg extends k8s.KubernetesObject {
  status?: AddonStatus;
}

describe('connection Secret content and rotation', () => {
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const kube = KubeClient.for(kc);
  let namespace = '';
  let op: OperatorHarness;

  const pg = (name: string, secret: Record<string, unknown>) =>
    custom.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace,
      plural: 'postgresqls',
      body: { apiVersion: `${GROUP}/v1`, kind: 'PostgreSql', metadata: { name }, spec: { secret } },
    });
  const get = (name: string) =>
    custom.getNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace,
      plural: 'postgresqls',
      name,
    }) as Promise<Pg>;
  const condition = (r: Pg, type: 'Ready' | 'Synced') => r.status?.conditions?.find((c) => c.type === type);
  const secretData = async (name: string) => {
    const s = await getObject<SecretObject>(kc, { apiVersion: 'v1', kind: 'Secret', namespace, name });
    return (
      s && Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]))
    );
  };
  const deployment = (name: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'example/app:1' }] },
      },
    },
  });
  const podTemplateHash = async (name: string) =>
    (
      await kube.request<{ spec: { template: { metadata: { annotations?: Record<string, string> } } } }>(
        'GET',
        `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
      )
    ).spec.template.metadata.annotations?.[SECRET_HASH_ANNOTATION];
  const instanceHash = async () =>
    (
      await kube.request<{ spec: { podAnnotations?: Record<string, string> } }>(
        'GET',
        `/apis/paperclip.inc/v1alpha1/namespaces/${namespace}/instances/paperclip`,
      )
    ).spec.podAnnotations?.[SECRET_HASH_ANNOTATION];

  beforeAll(async () => {
    namespace = await createTestNamespace(kc, 'secret-content');
    await ensurePaperclipCrd();
    // Rotations are looked for at every drift check here (hourly by default).
    op = await startOperator({
      namespaces: [namespace],
      manager: { driftIntervalMs: 2_000, rotationCheckMs: 2_000 },
    });
  });
  afterAll(async () => {
    await op?.stop();
  });

  it('writes only the chosen dialects plus the rendered template keys', async () => {
    await pg('consumer-only', {
      dialects: ['consumer'],
      template: {
        JDBC_URL: 'jdbc:postgresql://{{ host }}:{{ port }}/{{ database }}',
        PW_ENC: '{{ password | urlencode }}',
      },
    });
    const data = await eventually(() => secretData('consumer-only-secrets'), 30_000, 'Secret');
    expect(Object.keys(data).sort()).toEqual(['DATABASE_URL', 'JDBC_URL', 'PW_ENC']);
    const uid = (await get('consumer-only')).metadata!.uid!;
    const addon = op.sim.addons().find((a) => a.name.endsWith(uid))!;
    const env = Object.fromEntries(addon.env.map((e) => [e.name, e.value]));
    expect(data.JDBC_URL).toBe(
      `jdbc:postgresql://${env.POSTGRESQL_ADDON_HOST}:${env.POSTGRESQL_ADDON_PORT}/${env.POSTGRESQL_ADDON_DB}`,
    );
    expect(data.PW_ENC).toBe(encodeURIComponent(env.POSTGRESQL_ADDON_PASSWORD!));
  });

  it('reports a template naming an unknown value in status, and recovers when fixed', async () => {
    await pg('bad-template', { template: { URL: 'postgres://{{ hots }}' } });
    const res = await eventually(
      async () => {
        const r = await get('bad-template');
        return condition(r, 'Synced')?.reason === 'TemplateError' ? r : undefined;
      },
      30_000,
      'TemplateError',
    );
    expect(condition(res, 'Synced')?.message).toContain('spec.secret.template.URL: refers to "hots"');
    expect(await secretData('bad-template-secrets')).toBeUndefined();
    await custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: 'v1',
        namespace,
        plural: 'postgresqls',
        name: 'bad-template',
        body: { spec: { secret: { template: { URL: 'postgres://{{ host }}' } } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually(
      async () => (condition(await get('bad-template'), 'Synced')?.status === 'True' ? true : undefined),
      30_000,
      'fixed',
    );
    expect((await secretData('bad-template-secrets'))?.URL).toMatch(/^postgres:\/\/[a-z0-9]+-postgresql\./);
  });

  it('bumps exactly the listed workloads, a Paperclip Instance included, when credentials rotate', async () => {
    for (const name of ['api', 'worker', 'unrelated'])
      await kube.request('POST', `/apis/apps/v1/namespaces/${namespace}/deployments`, { body: deployment(name) });
    await kube.request('POST', `/apis/paperclip.inc/v1alpha1/namespaces/${namespace}/instances`, {
      body: {
        apiVersion: 'paperclip.inc/v1alpha1',
        kind: 'Instance',
        metadata: { name: 'paperclip' },
        spec: { image: { tag: 'v1' } },
      },
    });
    await pg('rotated', {
      rolloutRestart: [
        { kind: 'Deployment', name: 'api' },
        { kind: 'Deployment', name: 'worker' },
        { kind: 'Instance', name: 'paperclip' },
      ],
    });
    const first = await eventually(
      async () => {
        const r = await get('rotated');
        return condition(r, 'Ready')?.status === 'True' && r.status?.secretHash ? r.status.secretHash : undefined;
      },
      30_000,
      'Ready',
    );
    await eventually(
      async () => ((await podTemplateHash('api')) === first ? true : undefined),
      10_000,
      'api annotated',
    );
    expect(await podTemplateHash('worker')).toBe(first);
    expect(await instanceHash()).toBe(first);
    expect(await podTemplateHash('unrelated')).toBeUndefined();

    op.sim.rotateCredentials((await get('rotated')).status!.addonId!);
    const second = await eventually(
      async () => {
        const h = (await get('rotated')).status?.secretHash;
        return h && h !== first ? h : undefined;
      },
      20_000,
      'new hash after rotation',
    );
    await eventually(
      async () => ((await podTemplateHash('api')) === second ? true : undefined),
      10_000,
      'api re-annotated',
    );
    expect(await podTemplateHash('worker')).toBe(second);
    expect(await instanceHash()).toBe(second);
    expect(await podTemplateHash('unrelated')).toBeUndefined();
  });

  it('says which roll-out target is missing, while the add-on stays Ready', async () => {
    await pg('missing-target', { rolloutRestart: [{ kind: 'StatefulSet', name: 'nope' }] });
    const res = await eventually(
      async () => {
        const r = await get('missing-target');
        return condition(r, 'Synced')?.reason === 'RolloutTargetNotFound' && condition(r, 'Ready')?.status === 'True'
          ? r
          : undefined;
      },
      30_000,
      'RolloutTargetNotFound once Ready',
    );
    expect(condition(res, 'Synced')?.message).toContain('StatefulSet/nope not found');
    expect(condition(res, 'Ready')?.status).toBe('True');
  });
});
