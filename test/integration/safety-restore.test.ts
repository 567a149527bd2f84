// Guarantee 5: spec.restoreFrom restores only into what is new. A restore replaces the database's content
// (pg_restore --clean, mongorestore --drop), so it runs only into an add-on the resource created itself, before its
// first Ready, once. On the real API server and the simulator; Job runs are simulated as in backup.test.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleverClient, findPlan, type Addon } from '../../src/clever/index.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { DEV_OAUTH_SECRET, DEV_OAUTH_TOKEN, DEV_ORG_ID } from '../../src/simulator/index.ts';
import { JobSimulator } from '../support/jobs.ts';
import { adminKubeConfig, createTestNamespace } from '../support/kube.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';
import { CELLAR, GROUP, POSTGRESQL, condition, namespaceApi } from '../support/resources.ts';

const ADDON_ID_ANNOTATION = 'clever-cloud.com/addon-id';

describe('safety 5: restore only into what is new', () => {
  const kc = adminKubeConfig();
  const kube = KubeClient.for(kc);
  let namespace = '';
  let api: ReturnType<typeof namespaceApi>;
  let op: OperatorHarness;
  let jobs: JobSimulator;
  let clever: CleverClient;
  const target = { cellarRef: { name: 'store', bucket: 'backups' } };
  const restoreJobs = (owner: string) => jobs.list(`clever-cloud.com/backup-of=${owner}`);
  /** Writes the status subresource as a tool that drops or rewrites status would (a migration, a restore). */
  const patchStatus = (name: string, patch: unknown[]) =>
    kube.request('PATCH', `/apis/${GROUP}/v1/namespaces/${namespace}/postgresqls/${name}/status`, {
      body: patch,
      contentType: 'application/json-patch+json',
    });

  beforeAll(async () => {
    namespace = await createTestNamespace(kc, 'safety-restore');
    api = namespaceApi(kc, namespace);
    jobs = new JobSimulator(kube, namespace);
    op = await startOperator({ namespaces: [namespace], manager: { driftIntervalMs: 2_000 } });
    clever = new CleverClient({
      credentials: { kind: 'oauth1', token: DEV_OAUTH_TOKEN, secret: DEV_OAUTH_SECRET },
      apiUrl: op.sim.url,
      retry: { baseMs: 10, maxMs: 50 },
    });
    await api.create(CELLAR, 'store', {});
    await api.waitReady(CELLAR, 'store', 30_000);
  });
  afterAll(async () => {
    await op?.stop();
  });

  async function createOnClever(name: string): Promise<Addon> {
    const provider = (await clever.listAddonProviders()).find((p) => p.id === 'postgresql-addon')!;
    return clever.createAddon(DEV_ORG_ID, {
      name,
      providerId: provider.id,
      plan: findPlan(provider, 'xs_sml')!.id,
      region: 'par',
    });
  }

  it('refuses restoreFrom on an adopted add-on: no restore Job, Synced=False RestoreRefused, a Warning', async () => {
    // A disaster-recovery re-apply: the manifest still carries restoreFrom, and now the adoption annotation too.
    const live = await createOnClever('live-database');
    await api.create(
      POSTGRESQL,
      'dr-reapply',
      { restoreFrom: { key: `${namespace}/db/20200101T000000Z.dump`, target } },
      { [ADDON_ID_ANNOTATION]: live.id },
    );
    const refused = await api.waitSyncedFalse(POSTGRESQL, 'dr-reapply', 'RestoreRefused');
    expect(condition(refused, 'Synced')?.message).toContain('spec.restoreFrom');
    expect(refused.status?.addonId).toBe(live.id);
    expect(refused.status?.origin).toBe('Adopted');
    expect(refused.status?.restore).toMatchObject({ phase: 'Refused' });
    const warnings = await api.waitEvent('dr-reapply', 'RestoreRefused');
    expect(warnings).toMatchObject([{ type: 'Warning' }]);
    // Several passes later (drift every 2 s): still no Job, and the Warning was emitted once.
    await sleep(5_000);
    expect(await restoreJobs('dr-reapply')).toEqual([]);
    expect(await api.eventsWithReason('dr-reapply', 'RestoreRefused')).toHaveLength(1);
    expect(condition(await api.get(POSTGRESQL, 'dr-reapply'), 'Synced')?.reason).toBe('RestoreRefused');
  });

  it('does not restore again into a resource that was Ready, even when status.restore is lost', async () => {
    await api.create(POSTGRESQL, 'was-ready', {
      restoreFrom: { key: `${namespace}/db/20200101T000000Z.dump`, target },
    });
    const job = await jobs.restoreJobOf('was-ready');
    await jobs.finish(job.metadata!.name!, 'Complete');
    const ready = await api.waitReady(POSTGRESQL, 'was-ready', 20_000);
    expect(ready.status?.restore?.phase).toBe('Succeeded');
    expect(ready.status?.origin).toBe('Created');
    expect(ready.status?.firstReadyTime).toBeTruthy();
    // The finished Job is cleaned up and the restore record dropped (a status-rewriting migration, a restore of the
    // object from a backup): the database has been in use since; restoring again would overwrite it.
    await kube.request('DELETE', `/apis/batch/v1/namespaces/${namespace}/jobs/${job.metadata!.name}`, {
      body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
    });
    await patchStatus('was-ready', [{ op: 'remove', path: '/status/restore' }]);
    const skipped = await api.waitFor(
      POSTGRESQL,
      'was-ready',
      (r) => r.status?.restore?.phase === 'Skipped',
      'status.restore.phase Skipped',
      20_000,
    );
    expect(condition(skipped, 'Ready')?.status).toBe('True');
    expect(await api.waitEvent('was-ready', 'RestoreSkipped')).toMatchObject([{ type: 'Warning' }]);
    await sleep(3_000);
    expect(await restoreJobs('was-ready')).toEqual([]);
  });

  it('does not restore into an add-on found again after its whole status was lost', async () => {
    await api.create(POSTGRESQL, 'status-lost', {
      restoreFrom: { key: `${namespace}/db/20200101T000000Z.dump`, target },
    });
    const job = await jobs.restoreJobOf('status-lost');
    await jobs.finish(job.metadata!.name!, 'Complete');
    const ready = await api.waitReady(POSTGRESQL, 'status-lost', 20_000);
    const addonId = ready.status!.addonId;
    await kube.request('DELETE', `/apis/batch/v1/namespaces/${namespace}/jobs/${job.metadata!.name}`, {
      body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
    });
    await patchStatus('status-lost', [{ op: 'replace', path: '/status', value: {} }]);
    const refused = await api.waitSyncedFalse(POSTGRESQL, 'status-lost', 'RestoreRefused');
    // Found again by its name, not created now: it holds live data.
    expect(refused.status?.addonId).toBe(addonId);
    expect(refused.status?.origin).toBe('Found');
    await sleep(3_000);
    expect(await restoreJobs('status-lost')).toEqual([]);
  });
});
