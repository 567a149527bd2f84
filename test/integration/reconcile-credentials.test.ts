// Where a resource's Clever Cloud credentials come from, on the real API server and the simulator, with no global
// configuration: the namespace Secret (plain keys, or the upstream operator's `config` key), spec.credentialsRef
// (an API token: requests go to the bridge host), none at all (a condition that names what to create), and
// isolation between namespaces (a Secret of one namespace never serves another). No credential ever shows up in
// logs, Events or status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEV_API_TOKEN,
  DEV_OAUTH_SECRET,
  DEV_OAUTH_TOKEN,
  DEV_ORG_ID,
  DEV_USER_ID,
  OTHER_API_TOKEN,
  OTHER_OAUTH_SECRET,
  OTHER_OAUTH_TOKEN,
  OTHER_ORG_ID,
  OTHER_USER_ID,
} from '../../src/simulator/index.ts';
import { adminKubeConfig, createTestNamespace } from '../support/kube.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';
import {
  CELLAR,
  CREATE_ROUTE,
  POSTGRESQL,
  REDIS,
  condition,
  namespaceApi,
  type NamespaceApi,
  type Resource,
} from '../support/resources.ts';

const NAMESPACE_SECRET = 'clever-kubernetes-operator';

// Guarantee 9 (docs/safety.md): recognisable credentials in a `config` key whose line 3 never closes its string.
const MALFORMED_TOKEN = 'malformed-cfg-token-5f1e9a';
const MALFORMED_SECRET = 'malformed-cfg-secret-c0ffee';
const MALFORMED_CONFIG = ['[api]', `token = "${MALFORMED_TOKEN}"`, `secret = "${MALFORMED_SECRET}`, ''].join('\n');
/** Where smol-toml stops: the end of line 3, where the string should have been closed. */
const MALFORMED_AT = `line 3, column ${`secret = "${MALFORMED_SECRET}`.length + 1}`;

describe('credentials: global, namespace Secret, credentialsRef, missing, isolation', () => {
  const kc = adminKubeConfig();
  /** a: namespace Secret with plain keys (dev account); also hosts credentialsRef cases. */
  let a: NamespaceApi;
  /** b: namespace Secret of the `other` account, plus a Secret only b has. */
  let b: NamespaceApi;
  /** c: namespace Secret in the upstream `config` format. */
  let c: NamespaceApi;
  /** d: no credentials at all (until the test creates them). */
  let d: NamespaceApi;
  /** e: a namespace Secret whose `config` key does not parse (and quotes a token and a secret). */
  let e: NamespaceApi;
  let op: OperatorHarness;

  beforeAll(async () => {
    [a, b, c, d, e] = (await Promise.all(
      ['cred-a', 'cred-b', 'cred-c', 'cred-d', 'cred-e'].map(async (p) =>
        namespaceApi(kc, await createTestNamespace(kc, p)),
      ),
    )) as [NamespaceApi, NamespaceApi, NamespaceApi, NamespaceApi, NamespaceApi];
    await a.createSecret(NAMESPACE_SECRET, {
      token: DEV_OAUTH_TOKEN,
      secret: DEV_OAUTH_SECRET,
      organisation: DEV_ORG_ID,
    });
    await b.createSecret(NAMESPACE_SECRET, {
      token: OTHER_OAUTH_TOKEN,
      secret: OTHER_OAUTH_SECRET,
      organisation: OTHER_ORG_ID,
    });
    await b.createSecret('b-only', { apiToken: OTHER_API_TOKEN });
    // The upstream operator's layout: data.config holds base64 of the TOML text (so it is encoded twice).
    const toml = ['[api]', `token = "${DEV_OAUTH_TOKEN}"`, `secret = "${DEV_OAUTH_SECRET}"`, ''].join('\n');
    await c.createSecret(NAMESPACE_SECRET, { config: Buffer.from(toml).toString('base64') });
    await e.createSecret(NAMESPACE_SECRET, { config: MALFORMED_CONFIG });
    op = await startOperator({ namespaces: [a, b, c, d, e].map((n) => n.namespace), global: null });
  });
  afterAll(async () => {
    await op?.stop();
  });

  /** The create call that made this resource's add-on (matched by owner and time is not enough: by the add-on). */
  function createCallsFor(ownerId: string) {
    return op.sim.requests().filter((r) => r.route === CREATE_ROUTE && r.path.includes(`/organisations/${ownerId}/`));
  }

  it('uses the namespace Secret with plain token/secret keys', async () => {
    await a.create(POSTGRESQL, 'ns-plain', { instance: { plan: 'xxs_sml' } });
    const res = await a.waitReady(POSTGRESQL, 'ns-plain');
    expect(res.status?.organisation).toBe(DEV_ORG_ID);
    const addon = op.sim.addons().find((x) => x.id === res.status?.addonId)!;
    expect(addon.ownerId).toBe(DEV_ORG_ID);
    const calls = createCallsFor(DEV_ORG_ID);
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls.every((r) => r.host === 'api' && r.principal === DEV_USER_ID)).toBe(true);
  });

  it("uses the namespace Secret in the upstream format (base64 TOML in the 'config' key)", async () => {
    await c.create(REDIS, 'ns-config', {});
    const res = await c.waitReady(REDIS, 'ns-config');
    // No organisation in that config: the personal space of the credentials, as upstream does.
    expect(res.status?.organisation).toBe(DEV_USER_ID);
    expect(op.sim.addons().find((x) => x.id === res.status?.addonId)?.ownerId).toBe(DEV_USER_ID);
    expect(createCallsFor(DEV_USER_ID).every((r) => r.host === 'api' && r.principal === DEV_USER_ID)).toBe(true);
  });

  it('uses spec.credentialsRef with an API token, through the bridge host', async () => {
    await a.createSecret('pg-token', { apiToken: DEV_API_TOKEN, organisation: DEV_ORG_ID });
    const bridgeBefore = op.sim.requests().filter((r) => r.host === 'bridge').length;
    await a.create(CELLAR, 'by-ref', { credentialsRef: { name: 'pg-token' } });
    const res = await a.waitReady(CELLAR, 'by-ref');
    const bridge = op.sim.requests().filter((r) => r.host === 'bridge');
    expect(bridge.length).toBeGreaterThan(bridgeBefore);
    const created = bridge.filter((r) => r.route === CREATE_ROUTE);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ status: 200, principal: DEV_USER_ID });
    // Every call for this resource went to the bridge: none of the api-host creates is for a Cellar.
    expect(op.sim.addons().find((x) => x.id === res.status?.addonId)?.providerId).toBe('cellar-addon');
    expect(op.sim.addons().filter((x) => x.providerId === 'cellar-addon')).toHaveLength(1);
  });

  it('isolation: a credentialsRef naming a Secret of another namespace is missing, never read there', async () => {
    await a.create(POSTGRESQL, 'ref-elsewhere', { credentialsRef: { name: 'b-only' } });
    const res = await a.waitSyncedFalse(POSTGRESQL, 'ref-elsewhere', 'CredentialsMissing');
    const message = condition(res, 'Synced')!.message;
    expect(message).toContain(`Secret ${a.namespace}/b-only`);
    expect(message).toContain('spec.credentialsRef');
    expect(message).not.toContain(b.namespace);
    // b's API token (the only bridge credential of the other account here) was never used.
    expect(op.sim.requests().filter((r) => r.host === 'bridge' && r.principal === OTHER_USER_ID)).toEqual([]);
    const warnings = await a.waitEvent('ref-elsewhere', 'CredentialsProblem');
    expect(warnings[0]).toMatchObject({ type: 'Warning' });
  });

  it("isolation: the other account's namespace Secret creates the add-on in the other account's organisation", async () => {
    await b.create(POSTGRESQL, 'other-pg', { instance: { plan: 'xxs_sml' } });
    const res = await b.waitReady(POSTGRESQL, 'other-pg');
    expect(res.status?.organisation).toBe(OTHER_ORG_ID);
    const addon = op.sim.addons().find((x) => x.id === res.status?.addonId)!;
    expect(addon.ownerId).toBe(OTHER_ORG_ID);
    const calls = createCallsFor(OTHER_ORG_ID);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ principal: OTHER_USER_ID, host: 'api', status: 200 });
    // And the dev organisation holds nothing of b's.
    expect(op.sim.addons().filter((x) => x.ownerId === DEV_ORG_ID && x.name.includes(res.metadata!.uid!))).toEqual([]);
  });

  it('missing credentials: says what to create (never using another namespace), then converges once created', async () => {
    const before = op.sim.requests().length;
    await d.create(POSTGRESQL, 'no-creds', {});
    const res = await d.waitSyncedFalse(POSTGRESQL, 'no-creds', 'CredentialsMissing');
    const message = condition(res, 'Synced')!.message;
    expect(message).toContain(`Secret ${d.namespace}/${NAMESPACE_SECRET}`);
    expect(message).toContain('spec.credentialsRef');
    expect(message).toMatch(/CLEVER_OPERATOR_API_TOKEN|config file/);
    expect(condition(res, 'Synced')!.observedGeneration).toBe(res.metadata?.generation);
    const warnings = await d.waitEvent('no-creds', 'CredentialsProblem');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: 'Warning' });
    // Namespaces a, b and c all have credentials; none of them served d.
    expect(
      op.sim
        .requests()
        .slice(before)
        .filter((r) => r.method !== 'GET'),
    ).toEqual([]);

    await d.createSecret(NAMESPACE_SECRET, { token: DEV_OAUTH_TOKEN, secret: DEV_OAUTH_SECRET });
    // Credentials Secrets are not watched (no cluster-wide Secret watch): the retry backoff picks it up.
    const ready = await d.waitReady(POSTGRESQL, 'no-creds', 30_000);
    expect(ready.status?.organisation).toBe(DEV_USER_ID);
  });

  it('a malformed config key: condition and Warning Event name the Secret, key, line and column; the token and secret appear nowhere', async () => {
    await e.create(POSTGRESQL, 'bad-config', {});
    const res = await e.waitSyncedFalse(POSTGRESQL, 'bad-config', 'CredentialsInvalid');
    const message = condition(res, 'Synced')!.message;
    expect(message).toContain(`Secret ${e.namespace}/${NAMESPACE_SECRET} key config: cannot be parsed as TOML`);
    expect(message).toContain(MALFORMED_AT);
    const warnings = await e.waitEvent('bad-config', 'CredentialsProblem');
    expect(warnings[0]).toMatchObject({ type: 'Warning' });
    expect(warnings[0]!.message).toContain(`Secret ${e.namespace}/${NAMESPACE_SECRET} key config`);
    expect(warnings[0]!.message).toContain(MALFORMED_AT);

    // A few more passes (the credentials re-check) so that retries and their logs are part of what is checked.
    await new Promise((r) => setTimeout(r, 2_000));
    const status = JSON.stringify((await e.get(POSTGRESQL, 'bad-config'))?.status);
    const events = JSON.stringify(await e.events());
    const logs = op.logs.text();
    expect(logs).toContain('bad-config');
    for (const value of [MALFORMED_TOKEN, MALFORMED_SECRET]) {
      for (const form of [value, encodeURIComponent(value), Buffer.from(value).toString('base64')]) {
        expect(status).not.toContain(form);
        expect(events).not.toContain(form);
        expect(logs).not.toContain(form);
      }
    }
    expect(op.sim.requests().filter((r) => r.method !== 'GET' && r.path.includes(res.metadata!.uid!))).toEqual([]);
  });

  it('never writes a credential or an add-on secret into logs, Events or status', async () => {
    const values = [
      DEV_OAUTH_TOKEN,
      DEV_OAUTH_SECRET,
      DEV_API_TOKEN,
      OTHER_OAUTH_TOKEN,
      OTHER_OAUTH_SECRET,
      OTHER_API_TOKEN,
      ...op.sim
        .addons()
        .flatMap((x) => x.env)
        .filter((e) => /PASSWORD|SECRET|KEY_ID|_URI|_URL/.test(e.name))
        .map((e) => e.value),
    ];
    expect(values.length).toBeGreaterThan(5);
    const spaces = [a, b, c, d];
    const events = JSON.stringify(
      (await Promise.all(spaces.map((n) => n.events()))).flat().map((e) => [e.message, e.reason]),
    );
    const statuses: (Resource | undefined)[] = await Promise.all([
      a.get(POSTGRESQL, 'ns-plain'),
      a.get(CELLAR, 'by-ref'),
      a.get(POSTGRESQL, 'ref-elsewhere'),
      b.get(POSTGRESQL, 'other-pg'),
      c.get(REDIS, 'ns-config'),
      d.get(POSTGRESQL, 'no-creds'),
    ]);
    const status = JSON.stringify(statuses.map((r) => r?.status));
    expect(statuses.every((r) => r?.status)).toBe(true);
    const logs = op.logs.text();
    expect(logs.length).toBeGreaterThan(0);
    for (const v of values) {
      expect(logs).not.toContain(v);
      expect(events).not.toContain(v);
      expect(status).not.toContain(v);
    }
  });
});
