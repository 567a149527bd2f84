// Regression for what the benchmark showed: after a restart, the operator re-checked every settled resource before
// anything else, so with 1,000 resources a resource applied during the restart waited minutes behind drift checks
// paced by the Clever rate limit. Now settled resources get their first pass spread out, new work goes first, and
// the settled ones are answered by one list of the organisation rather than a read each;
// every settled resource is still checked once, soon after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providers } from '../../providers/index.ts';
import { createLogger } from '../../src/log.ts';
import { Manager } from '../../src/operator/manager.ts';
import { DEV_OAUTH_SECRET, DEV_OAUTH_TOKEN, DEV_ORG_ID } from '../../src/simulator/index.ts';
import { adminKubeConfig, createTestNamespace } from '../support/kube.ts';
import { LogCapture, startOperator, type OperatorHarness } from '../support/operator.ts';
import { CELLAR, CREATE_ROUTE, namespaceApi, type NamespaceApi } from '../support/resources.ts';

const SETTLED = 30;

describe('first pass after a restart', () => {
  const kc = adminKubeConfig();
  let api: NamespaceApi;
  let op: OperatorHarness;
  let restarted: Manager | undefined;

  beforeAll(async () => {
    const namespace = await createTestNamespace(kc, 'restart-order');
    api = namespaceApi(kc, namespace);
    op = await startOperator({ namespaces: [namespace] });
  });
  afterAll(async () => {
    await restarted?.stop(5_000);
    await op?.stop();
  });

  it('reconciles a resource applied while the operator was down before re-checking settled ones', async () => {
    await Promise.all(Array.from({ length: SETTLED }, (_, i) => api.create(CELLAR, `settled-${i}`, {})));
    const settled = await Promise.all(
      Array.from({ length: SETTLED }, (_, i) => api.waitReady(CELLAR, `settled-${i}`, 60_000)),
    );
    await op.manager.stop(5_000);

    // While it is down, three settled add-ons are deleted on Clever: their first pass after the restart must see it.
    const gone = [3, 17, 29].map((i) => settled[i]!);
    for (const r of gone) op.sim.deleteAddonBehindBack(r.status!.addonId!);
    await api.create(CELLAR, 'zz-late', {});
    op.sim.clearRequests();
    restarted = new Manager({
      kubeConfig: op.kc,
      providers,
      global: {
        credentials: { kind: 'oauth1', token: DEV_OAUTH_TOKEN, secret: DEV_OAUTH_SECRET },
        organisation: DEV_ORG_ID,
        source: 'test global configuration',
      },
      clientOptions: { apiUrl: op.sim.url, bridgeUrl: op.sim.bridgeUrl },
      namespaces: [api.namespace],
      driftIntervalMs: 60_000,
      logger: createLogger({ level: 'info', format: 'json', destination: new LogCapture() }),
    });
    await restarted.start();
    await api.waitReady(CELLAR, 'zz-late', 30_000);

    const ids = settled.map((r) => r.status!.addonId!);
    const log = op.sim.requests();
    const create = log.findIndex((r) => r.route === CREATE_ROUTE);
    const askedBeforeCreate = new Set(ids.filter((id) => log.slice(0, create).some((r) => r.path.includes(id))));
    // All 30 used to be read one by one first; now the organisation's list answers for the settled ones, and only
    // those it leaves out are asked about by id.
    for (const id of askedBeforeCreate) expect(gone.map((r) => r.status!.addonId)).toContain(id);
    // Every settled resource still gets its pass within the spread window (30 x 250 ms): the deleted ones say so.
    for (const r of gone) await api.waitSyncedFalse(CELLAR, r.metadata!.name!, 'AddonMissing', 20_000);
    const lists = op.sim.requests().filter((r) => r.route === CREATE_ROUTE.replace('POST', 'GET'));
    expect(lists.length).toBeLessThanOrEqual(3);
    // The settled ones still there were read by id not at all.
    const present = ids.filter((id) => !gone.some((r) => r.status!.addonId === id));
    expect(present.filter((id) => op.sim.requests().some((r) => r.path.includes(id)))).toEqual([]);
  });
});
