// The chart's RBAC is sufficient and minimal, for each shape of install: the default (a ClusterRole, the whole
// cluster watched, workload rollouts off), watchNamespaces = one namespace (Roles) with rbac.workloadRollouts on, and
// strict policy mode with watchNamespaces (Roles): there a namespace no AddonPolicy selects gets nothing, so the test
// first sees the resource refused (PolicyDenied, rule strictMode, no Clever write), then applies (as admin) an
// AddonPolicy selecting the namespace and sees the cycle complete, the policy status patch included.
// The chart's ServiceAccount and RBAC objects are applied to the real API server; the operator runs with a token of
// that ServiceAccount (from the TokenRequest API), and with the --workload-rollouts value the rendered Deployment
// passes, through a full create -> Ready -> rollout (or its refusal) -> delete cycle on the simulator. Sufficient: the
// cycle completes and the API server refused nothing. Minimal: every API call the operator made is recorded, and
// each (resource, verb) the chart grants was used, but for the exceptions listed with their reason; the granted set
// also equals the list below, derived from the code, so a new verb in the code fails here until the chart grants it.
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultBinDir } from '../../src/controlplane/local-plane.ts';
import { applyObject } from '../../src/kube/apply.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { getObject } from '../../src/kube/objects.ts';
import {
  POLICY_GROUP,
  POLICY_MODES,
  POLICY_PLURAL,
  POLICY_VERSION,
  type AddonPolicySpec,
  type PolicyMode,
} from '../../src/policy/types.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { CHART } from '../../tools/manifests.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';
import { ensureCrds, startOperator, type OperatorHarness } from '../support/operator.ts';
import { writeCalls } from '../support/resources.ts';

const run = promisify(execFile);

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** What the code does, per resource (src/kube, src/reconcile, src/operator/manager.ts), rollouts off. */
const EXPECTED_BASE = [
  'api.clever-cloud.com/<kinds>/finalizers: update',
  'api.clever-cloud.com/<kinds>/status: patch',
  'api.clever-cloud.com/<kinds>: get list patch watch',
  'coordination.k8s.io/leases: create get update',
  'core/events: create patch',
  'core/namespaces: list watch',
  'core/secrets: create delete get list patch watch',
  'policy.clever-addon-operator.io/addonpolicies/status: patch',
  'policy.clever-addon-operator.io/addonpolicies: list watch',
];
/** What spec.secret.rolloutRestart adds (rbac.workloadRollouts=true). */
const EXPECTED_ROLLOUTS = [
  'apps/daemonsets: get patch',
  'apps/deployments: get patch',
  'apps/statefulsets: get patch',
  'paperclip.inc/instances: get patch',
];

/** Granted but not exercised by this cycle, and why. */
const NOT_EXERCISED: Record<string, string> = {
  'api.clever-cloud.com/<kinds> get':
    'reads come from the informer cache; a direct get happens only when a write hits NotFound, to tell a resource ' +
    'deleted mid-reconcile from a real error (fail() in src/reconcile/addon/reconciler.ts)',
  'api.clever-cloud.com/<kinds>/finalizers update':
    'needed only where the OwnerReferencesPermissionEnforcement admission plugin runs (OpenShift): the ' +
    "connection Secret's ownerReference sets blockOwnerDeletion; this API server does not enable that plugin",
  'core/events patch': 'bumps the count of a repeated event; a clean cycle repeats none',
  'core/secrets create':
    'used as a PATCH: the API server authorizes a server-side apply that creates the connection Secret as create ' +
    '(without this rule: 403 "cannot create resource secrets", which this test caught)',
  'apps/statefulsets get': 'same code path as deployments (src/reconcile/rollout.ts), exercised with a Deployment',
  'apps/statefulsets patch': 'same code path as deployments',
  'apps/daemonsets get': 'same code path as deployments',
  'apps/daemonsets patch': 'same code path as deployments',
  'paperclip.inc/instances get': 'same code path as deployments; the Paperclip CRD is not installed here',
  'paperclip.inc/instances patch': 'same code path as deployments',
  'policy.clever-addon-operator.io/addonpolicies/status patch':
    'the committed spend is written only when an AddonPolicy selects a namespace: exercised by the strict install ' +
    '(its `exercises`) and by test/integration/policy.test.ts',
};

const kindsPlurals = new Set<string>();

/** Collapses the 15 add-on plurals into `<kinds>` (the chart grants the same to all). */
function resourceKey(group: string, resource: string): string {
  const [plural, sub] = resource.split('/');
  const name = kindsPlurals.has(plural!) ? `<kinds>${sub ? `/${sub}` : ''}` : resource;
  return `${group === '' ? 'core' : group}/${name}`;
}

function granted(rules: Rule[]): string[] {
  const verbs = new Map<string, Set<string>>();
  for (const r of rules)
    for (const g of r.apiGroups)
      for (const res of r.resources) {
        const key = resourceKey(g, res);
        const set = verbs.get(key) ?? new Set<string>();
        for (const v of r.verbs) set.add(v);
        verbs.set(key, set);
      }
  return [...verbs].map(([k, v]) => `${k}: ${[...v].sort().join(' ')}`).sort();
}

/** `GET /apis/g/v/namespaces/ns/plural/name/sub?watch=true` -> `g/plural/sub watch`; discovery -> undefined. */
function callKey(method: string, path: string, watch: boolean): string | undefined {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const group = parts[0] === 'api' ? '' : parts[1]!;
  let rest = parts.slice(parts[0] === 'api' ? 2 : 3);
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  // The Namespace list and watch (their labels select AddonPolicies); a single namespace object is never touched.
  else if (rest[0] === 'namespaces' && rest.length === 1) rest = ['namespaces'];
  else if (rest[0] === 'namespaces') return undefined;
  if (rest.length === 0) return undefined; // discovery
  const [plural, name, sub] = rest;
  const resource = sub ? `${plural}/${sub}` : plural!;
  const verb =
    method === 'GET'
      ? watch
        ? 'watch'
        : name
          ? 'get'
          : 'list'
      : ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method]!;
  return `${resourceKey(group, resource)} ${verb}`;
}

interface Install {
  title: string;
  /** helm --set values beyond the namespace. */
  values: (namespace: string) => string[];
  /** RBAC kinds the install renders. */
  kinds: string[];
  /** Rendered for the whole cluster (ClusterRole) rather than watched namespaces (Roles). */
  watchAll: boolean;
  expected: string[];
  /** The --policy-mode the rendered Deployment must pass. */
  policyMode: PolicyMode;
  /** Keys of NOT_EXERCISED this install's cycle does exercise (so they must be used). */
  exercises?: string[];
}

/** The label the strict install puts on its namespace, which its AddonPolicy selects. */
const POLICY_LABEL = 'rbac-test.clever-addon-operator.io/namespace';
const POLICY_STATUS_PATCH = 'policy.clever-addon-operator.io/addonpolicies/status patch';

/** What the cycle creates (a PostgreSql without a plan: the cheapest, with the global credentials), nothing more. */
function cyclePolicy(namespace: string): AddonPolicySpec {
  return {
    namespaceSelector: { matchLabels: { [POLICY_LABEL]: namespace } },
    credentials: { allowGlobal: true },
    kinds: ['PostgreSql'],
    plans: ['dev'],
  };
}

const INSTALLS: Install[] = [
  {
    title: 'default install (ClusterRole, whole cluster, rollouts off)',
    // A release name of its own: ClusterRoles are cluster-scoped, and the ServiceAccount is named after the release.
    values: (namespace) => ['--set', `fullnameOverride=${namespace}-cao`],
    kinds: ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'],
    watchAll: true,
    expected: EXPECTED_BASE,
    policyMode: 'open',
  },
  {
    title: 'watchNamespaces install (Roles) with rbac.workloadRollouts=true',
    values: (namespace) => ['--set', `watchNamespaces={${namespace}}`, '--set', 'rbac.workloadRollouts=true'],
    // AddonPolicies are cluster-scoped: their read rules are a ClusterRole in every install.
    kinds: ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'],
    watchAll: false,
    expected: [...EXPECTED_BASE, ...EXPECTED_ROLLOUTS].sort(),
    policyMode: 'open',
  },
  {
    title: 'strict policy mode, watchNamespaces install (Roles)',
    values: (namespace) => ['--set', 'policy.mode=strict', '--set', `watchNamespaces={${namespace}}`],
    kinds: ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'],
    watchAll: false,
    expected: EXPECTED_BASE,
    policyMode: 'strict',
    // An AddonPolicy selects the namespace: the operator writes its status (the committed spend).
    exercises: [POLICY_STATUS_PATCH],
  },
];

for (const install of INSTALLS)
  describe(`RBAC: the operator with exactly the chart permissions, ${install.title}`, () => {
    let namespace: string;
    let rules: Rule[] = [];
    let op: OperatorHarness | undefined;
    let sa = '';
    let rollouts = false;
    let backups = false;
    let policyMode: PolicyMode = 'open';
    const policyName = () => `${namespace}-cycle`;
    const clusterScoped: KubeObject[] = [];
    const calls = new Map<string, number>();
    const forbidden: string[] = [];
    // Called with the recorded client as `this` (see the wrappers below).
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const originalRequest = KubeClient.prototype.request;
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const originalWatch = KubeClient.prototype.watch;

    beforeAll(async () => {
      await ensureCrds();
      const admin = adminKubeConfig();
      namespace = await createTestNamespace(admin, 'rbac');
      // The label the strict install's AddonPolicy selects (no policy selects it yet).
      if (install.policyMode === 'strict')
        await admin
          .makeApiClient(k8s.CoreV1Api)
          .patchNamespace(
            { name: namespace, body: { metadata: { labels: { [POLICY_LABEL]: namespace } } } },
            k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
          );
      // The chart's RBAC objects, rendered for this namespace.
      const { stdout } = await run(join(defaultBinDir(), 'helm'), [
        'template',
        'clever-addon-operator',
        CHART,
        '--namespace',
        namespace,
        ...install.values(namespace),
      ]);
      const docs = parseAllDocuments(stdout)
        .map((d) => d.toJSON() as (KubeObject & { rules?: Rule[] }) | null)
        .filter((d): d is KubeObject & { rules?: Rule[] } => d !== null);
      // The add-on kinds only: the policy kind has rules of its own.
      const crds = parseAllDocuments(await readCrds())
        .map((d) => d.toJSON() as { spec: { group: string; names: { plural: string } } } | null)
        .filter(
          (d): d is { spec: { group: string; names: { plural: string } } } =>
            d !== null && d.spec.group === 'api.clever-cloud.com',
        );
      for (const c of crds) kindsPlurals.add(c.spec.names.plural);
      expect([...new Set(docs.filter((x) => x.kind?.match(/Role|ServiceAccount/)).map((x) => x.kind))].sort()).toEqual(
        [...install.kinds].sort(),
      );
      for (const d of docs.filter((x) => install.kinds.includes(x.kind!))) {
        await applyObject(admin, d, 'rbac-test', { force: true });
        if (d.kind!.startsWith('Cluster')) clusterScoped.push(d);
        if (d.kind === 'ServiceAccount') sa = d.metadata!.name!;
        rules.push(...(d.rules ?? []));
      }
      rules = rules.filter(Boolean);
      // The operator runs with the rollout switch the rendered Deployment passes, as the pod would.
      const deployment = docs.find((x) => x.kind === 'Deployment') as
        (KubeObject & { spec: { template: { spec: { containers: { args: string[] }[] } } } }) | undefined;
      const args = deployment!.spec.template.spec.containers[0]!.args;
      expect(args).toContain(`--leader-election-namespace=${namespace}`);
      rollouts = args.includes('--workload-rollouts=true');
      backups = args.includes('--backups=true');
      const mode = args.find((a) => a.startsWith('--policy-mode='))?.slice('--policy-mode='.length);
      expect(POLICY_MODES).toContain(mode);
      policyMode = mode as PolicyMode;
      expect(policyMode).toBe(install.policyMode);

      // A token for the ServiceAccount, as the kubelet would mount it.
      const token = await admin.makeApiClient(k8s.CoreV1Api).createNamespacedServiceAccountToken({
        name: sa,
        namespace,
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      });
      const saConfig = new k8s.KubeConfig();
      const cluster = admin.getCurrentCluster()!;
      saConfig.loadFromOptions({
        clusters: [{ ...cluster }],
        users: [{ name: 'sa', token: token.status!.token }],
        contexts: [{ name: 'sa', cluster: cluster.name, user: 'sa', namespace }],
        currentContext: 'sa',
      });

      // Record every call the operator's client makes (the admin's calls go through other KubeClient instances).
      const saClient = KubeClient.for(saConfig);
      const record = (method: string, path: string, watch: boolean, err?: unknown) => {
        const key = callKey(method, path, watch);
        if (key) calls.set(key, (calls.get(key) ?? 0) + 1);
        if (err instanceof k8s.ApiException && err.code === 403) forbidden.push(`${method} ${path}`);
      };
      KubeClient.prototype.request = async function <T>(this: KubeClient, ...args: Parameters<KubeClient['request']>) {
        if (this !== saClient) return originalRequest.apply(this, args) as Promise<T>;
        try {
          const result = (await originalRequest.apply(this, args)) as T;
          record(args[0], args[1], false);
          return result;
        } catch (err) {
          record(args[0], args[1], false, err);
          throw err;
        }
      };
      KubeClient.prototype.watch = async function (this: KubeClient, ...args: Parameters<KubeClient['watch']>) {
        if (this === saClient) record('GET', args[0], true);
        try {
          return await originalWatch.apply(this, args);
        } catch (err) {
          if (this === saClient) record('GET', args[0], true, err);
          throw err;
        }
      };

      op = await startOperator({
        // The whole-cluster install is authorised by its ClusterRole, but its operator watches only this test's
        // namespace: the control plane is shared by the test files running beside this one, and an operator
        // watching every namespace would reconcile (and write status and events on) their resources too.
        namespaces: [namespace],
        simulator: { provisioningDelayMs: 300 },
        manager: {
          kubeConfig: saConfig,
          workloadRollouts: rollouts,
          backups,
          policyMode,
          // Often enough that the cycle sees the status of the policy that selects the namespace written.
          ...(policyMode === 'strict' ? { policyStatusIntervalMs: 500 } : {}),
          // Short timings so the cycle sees lease renewals (update), not only the acquisition.
          leaderElection: {
            namespace,
            name: 'clever-addon-operator',
            identity: 'rbac-test',
            leaseDurationMs: 3_000,
            renewDeadlineMs: 2_000,
            retryPeriodMs: 500,
          },
        },
      });
    });

    afterAll(async () => {
      await op?.stop();
      KubeClient.prototype.request = originalRequest;
      KubeClient.prototype.watch = originalWatch;
      const admin = adminKubeConfig();
      await admin
        .makeApiClient(k8s.CustomObjectsApi)
        .deleteClusterCustomObject({
          group: POLICY_GROUP,
          version: POLICY_VERSION,
          plural: POLICY_PLURAL,
          name: policyName(),
        })
        .catch(() => undefined);
      for (const d of clusterScoped) {
        await admin
          .makeApiClient(k8s.RbacAuthorizationV1Api)
          [d.kind === 'ClusterRole' ? 'deleteClusterRole' : 'deleteClusterRoleBinding']({ name: d.metadata!.name! })
          .catch(() => undefined);
      }
    });

    it('the chart grants exactly what the code uses (no more, no wildcard)', () => {
      expect(granted(rules)).toEqual(install.expected);
    });

    it('create -> Ready -> rollout (or its refusal) -> delete completes with the chart permissions, nothing refused', async () => {
      const admin = adminKubeConfig();
      await applyObject(
        admin,
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'app', namespace },
          spec: {
            selector: { matchLabels: { app: 'app' } },
            template: { metadata: { labels: { app: 'app' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
          },
        },
        'rbac-test',
      );
      const ref = { apiVersion: 'api.clever-cloud.com/v1', kind: 'PostgreSql', namespace, name: 'db' };
      await applyObject(
        admin,
        {
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: 'db', namespace },
          spec: { secret: { rolloutRestart: [{ kind: 'Deployment', name: 'app' }] } },
        },
        'rbac-test',
      );
      type Res = KubeObject & {
        status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
      };
      if (policyMode === 'strict') {
        // No AddonPolicy selects the namespace yet: refused, before any Clever write.
        const synced = await eventually(
          async () => {
            const r = await getObject<Res>(admin, ref);
            return r?.status?.conditions?.find((c) => c.type === 'Synced' && c.reason === 'PolicyDenied');
          },
          15_000,
          'Synced=False PolicyDenied',
        );
        expect(synced.status).toBe('False');
        expect(synced.message).toContain('rule strictMode');
        expect(writeCalls(op!.sim.requests())).toEqual([]);
        expect(op!.sim.addons()).toHaveLength(0);
        // The policy that allows what the cycle creates: the resource is looked at again.
        await admin.makeApiClient(k8s.CustomObjectsApi).createClusterCustomObject({
          group: POLICY_GROUP,
          version: POLICY_VERSION,
          plural: POLICY_PLURAL,
          body: {
            apiVersion: `${POLICY_GROUP}/${POLICY_VERSION}`,
            kind: 'AddonPolicy',
            metadata: { name: policyName() },
            spec: cyclePolicy(namespace),
          },
        });
      }
      await eventually(
        async () => {
          const r = await getObject<Res>(admin, ref);
          return r?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
        },
        30_000,
        'PostgreSql db Ready',
      );
      const secret = await getObject<KubeObject & { data?: Record<string, string> }>(admin, {
        apiVersion: 'v1',
        kind: 'Secret',
        namespace,
        name: 'db-secrets',
      });
      expect(Object.keys(secret?.data ?? {})).toContain('DATABASE_URL');
      const annotated = async () => {
        const d = await getObject<
          KubeObject & { spec: { template: { metadata: { annotations?: Record<string, string> } } } }
        >(admin, { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'app' });
        // The Secret's content hash, under clever-cloud.com/secret-hash (or a per-resource variant of that key).
        return Object.keys(d?.spec.template.metadata.annotations ?? {}).find((k) =>
          k.startsWith('clever-cloud.com/secret-hash'),
        );
      };
      if (rollouts) {
        await eventually(annotated, 15_000, 'the Deployment rolled');
      } else {
        // Rollouts off at install: not a silent no-op, and no workload call at all (the RBAC would refuse it).
        await eventually(
          async () => {
            const r = await getObject<Res>(admin, ref);
            return r?.status?.conditions?.some((c) => c.type === 'Synced' && c.reason === 'RolloutsDisabled')
              ? true
              : undefined;
          },
          15_000,
          'Synced=False RolloutsDisabled',
        );
        expect(await annotated()).toBeUndefined();
        expect([...calls.keys()].filter((k) => k.startsWith('apps/'))).toEqual([]);
      }
      expect(op!.sim.addons()).toHaveLength(1);

      await admin.makeApiClient(k8s.CustomObjectsApi).deleteNamespacedCustomObject({
        group: 'api.clever-cloud.com',
        version: 'v1',
        namespace,
        plural: 'postgresqls',
        name: 'db',
      });
      await eventually(async () => ((await getObject(admin, ref)) ? undefined : true), 30_000, 'PostgreSql db gone');
      expect(op!.sim.addons()).toHaveLength(0);
      expect(
        await getObject(admin, { apiVersion: 'v1', kind: 'Secret', namespace, name: 'db-secrets' }),
      ).toBeUndefined();
      expect(forbidden).toEqual([]);
      expect(op!.logs.text()).not.toMatch(/forbidden/i);
      expect(op!.manager.isLeader()).toBe(true);
    });

    it('every granted (resource, verb) was used by the cycle, but for the documented exceptions', async () => {
      // A renewal is periodic: wait for one rather than depend on how long the cycle happened to take.
      await eventually(
        () => (calls.has('coordination.k8s.io/leases update') ? true : undefined),
        10_000,
        'a lease renewal',
      );
      for (const key of install.exercises ?? [])
        await eventually(() => (calls.has(key) ? true : undefined), 10_000, key);
      const used = new Set(calls.keys());
      const unused: string[] = [];
      for (const line of granted(rules)) {
        const [resource, verbs] = line.split(': ');
        for (const verb of verbs!.split(' ')) {
          const key = `${resource} ${verb}`;
          if (!used.has(key) && (!NOT_EXERCISED[key] || install.exercises?.includes(key))) unused.push(key);
        }
      }
      expect(unused, `used: ${[...used].sort().join(', ')}`).toEqual([]);
      // And nothing was used that is not granted (the API server would have refused it, but say which).
      const grantedKeys = new Set(
        granted(rules).flatMap((l) =>
          l
            .split(': ')[1]!
            .split(' ')
            .map((v) => `${l.split(': ')[0]} ${v}`),
        ),
      );
      expect([...used].filter((k) => !grantedKeys.has(k))).toEqual([]);
    });
  });

async function readCrds(): Promise<string> {
  const { readFile, readdir } = await import('node:fs/promises');
  const dir = join(CHART, 'crds');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
  return (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('\n---\n');
}
