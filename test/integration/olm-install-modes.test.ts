// The four install modes the OLM bundle declares, each run for real: the operator process (`clever-addon-operator
// run`, as the CSV's container runs it) against a real API server, with what OLM would give it in that mode:
//   - the environment of the CSV's container, resolved as the kubelet would for a pod in the operator's namespace
//     whose olm.targetNamespaces annotation OLM set to the OperatorGroup's target namespaces (comma-separated; empty
//     for AllNamespaces): the downward API feeds it to the operator's watch-namespace setting;
//   - the CSV's RBAC as OLM grants it: `permissions` as a Role + RoleBinding in the operator's namespace and in each
//     target namespace (a ClusterRole + ClusterRoleBinding in AllNamespaces mode), `clusterPermissions` as a
//     ClusterRole + ClusterRoleBinding; the process authenticates with a token of the CSV's ServiceAccount.
// Each mode creates a PostgreSql in the operator's namespace, in each target namespace and in one outside namespace:
// exactly the watched ones become Ready with their Secret, the others are never touched, and nothing is refused.
// It runs on a control plane of its own: in AllNamespaces mode the operator watches every namespace, and on the
// shared plane it would reconcile the resources of the test files running beside this one.
// Outside a pod the Lease namespace cannot come from the pod's own namespace (src/commands/run.ts, leaseNamespace:
// only an in-cluster run reads POD_NAMESPACE), so the test passes the operator's namespace as
// --leader-election-namespace, which is what POD_NAMESPACE resolves to in the pod.
import * as k8s from '@kubernetes/client-node';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envVarName } from '../../src/config/global.ts';
import { startLocalPlane, type LocalPlane } from '../../src/controlplane/local-plane.ts';
import { applyObject } from '../../src/kube/apply.ts';
import { getObject } from '../../src/kube/objects.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { startSimulator, type Simulator } from '../../src/simulator/index.ts';
import { BUNDLE_DIR, PACKAGE, TARGET_NAMESPACES_ANNOTATION, type Rule } from '../../tools/olm.ts';
import { apiError, eventually } from '../support/kube.ts';
import { writeDevOperatorConfig } from '../support/operator-config.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface Csv {
  spec: {
    installModes: { type: string; supported: boolean }[];
    install: {
      spec: {
        deployments: {
          spec: { template: { spec: { serviceAccountName: string; containers: { args: string[]; env: EnvVar[] }[] } } };
        }[];
        permissions: { serviceAccountName: string; rules: Rule[] }[];
        clusterPermissions: { serviceAccountName: string; rules: Rule[] }[];
      };
    };
  };
}
const csv = parse(
  readFileSync(join(root, BUNDLE_DIR, 'manifests', `${PACKAGE}.clusterserviceversion.yaml`), 'utf8'),
) as Csv;
const install = csv.spec.install.spec;
const pod = install.deployments[0]!.spec.template.spec;
const container = pod.containers[0]!;

/** The container's environment as the kubelet resolves it for this pod; optional Secret keys absent (no Secret). */
function resolveEnv(namespace: string, annotations: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) {
      const path = e.valueFrom.fieldRef.fieldPath;
      const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(path)?.[1];
      if (path === 'metadata.namespace') env[e.name] = namespace;
      // A missing annotation resolves to the empty string.
      else if (annotation !== undefined) env[e.name] = annotations[annotation] ?? '';
      else throw new Error(`the test does not resolve fieldRef ${path}`);
    } else if (e.valueFrom?.secretKeyRef) {
      expect(e.valueFrom.secretKeyRef.optional).toBe(true);
    } else throw new Error(`the test does not resolve env ${e.name}`);
  }
  return env;
}

interface Mode {
  type: 'OwnNamespace' | 'SingleNamespace' | 'MultiNamespace' | 'AllNamespaces';
  /** The OperatorGroup's target namespaces, from the operator's namespace and two others. */
  targets: (op: string, a: string, b: string) => string[];
}
// AllNamespaces first: its operator would otherwise also reconcile the resources the other modes left behind.
const MODES: Mode[] = [
  { type: 'AllNamespaces', targets: () => [] },
  { type: 'OwnNamespace', targets: (op) => [op] },
  { type: 'SingleNamespace', targets: (_op, a) => [a] },
  { type: 'MultiNamespace', targets: (_op, a, b) => [a, b] },
];

let plane: LocalPlane;
let admin: k8s.KubeConfig;

async function kubectl(args: string[]): Promise<string> {
  const { stdout } = await run(join(plane.binDir, 'kubectl'), ['--kubeconfig', plane.kubeconfigPath, ...args]);
  return stdout;
}

beforeAll(async () => {
  plane = await startLocalPlane({ log: (m) => console.log(`[olm-plane] ${m}`) });
  admin = new k8s.KubeConfig();
  admin.loadFromFile(plane.kubeconfigPath);
  await kubectl(['apply', '--server-side', '-f', join(root, 'crds')]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', join(root, 'crds')]);
}, 120_000);

afterAll(async () => {
  await plane?.stop();
});

it('the bundle declares exactly the modes run below', () => {
  expect(
    csv.spec.installModes
      .filter((m) => m.supported)
      .map((m) => m.type)
      .sort(),
  ).toEqual(MODES.map((m) => m.type).sort());
  // The watch setting comes from OLM's annotation, through the downward API.
  const watch = container.env.find((e) => e.name === envVarName('operator.watch-namespaces'));
  expect(watch?.valueFrom?.fieldRef?.fieldPath).toBe(`metadata.annotations['${TARGET_NAMESPACES_ANNOTATION}']`);
});

for (const mode of MODES)
  describe(`OLM install mode ${mode.type}`, () => {
    const slug = mode.type.replace(/Namespaces?$/, '').toLowerCase();
    const opNs = `olm-${slug}-operator`;
    const others = [`olm-${slug}-a`, `olm-${slug}-b`];
    const outside = `olm-${slug}-outside`;
    const targets = mode.targets(opNs, others[0]!, others[1]!);
    const all = [opNs, ...others, outside];
    const watched = mode.type === 'AllNamespaces' ? all : targets;
    let sim: Simulator;
    let child: ChildProcess | undefined;
    let output = '';
    let sa: k8s.KubeConfig;
    const dirs: string[] = [];

    beforeAll(async () => {
      const core = admin.makeApiClient(k8s.CoreV1Api);
      for (const name of all) await core.createNamespace({ body: { metadata: { name } } });
      // What OLM creates for the CSV in this mode.
      const name = `${PACKAGE}-${slug}`;
      const saName = pod.serviceAccountName;
      const apply = (o: KubeObject) => applyObject(admin, o, 'olm-test', { force: true });
      await apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: saName, namespace: opNs } });
      const subjects = [{ kind: 'ServiceAccount', name: saName, namespace: opNs }];
      const rbac = 'rbac.authorization.k8s.io/v1';
      const grant = async (kind: 'Role' | 'ClusterRole', rules: Rule[], namespace?: string, suffix = '') => {
        const metadata = namespace ? { name: name + suffix, namespace } : { name: name + suffix };
        await apply({ apiVersion: rbac, kind, metadata, rules } as KubeObject);
        await apply({
          apiVersion: rbac,
          kind: `${kind}Binding`,
          metadata,
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: metadata.name },
          subjects,
        } as KubeObject);
      };
      const permissions = install.permissions.flatMap((p) => p.rules);
      if (mode.type === 'AllNamespaces') await grant('ClusterRole', permissions);
      else for (const ns of new Set([opNs, ...targets])) await grant('Role', permissions, ns);
      await grant(
        'ClusterRole',
        install.clusterPermissions.flatMap((p) => p.rules),
        undefined,
        '-cluster',
      );
      for (const p of [...install.permissions, ...install.clusterPermissions])
        expect(p.serviceAccountName).toBe(saName);

      // The ServiceAccount's token, as the kubelet mounts it.
      const token = await core.createNamespacedServiceAccountToken({
        name: saName,
        namespace: opNs,
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      });
      const cluster = admin.getCurrentCluster()!;
      sa = new k8s.KubeConfig();
      sa.loadFromOptions({
        clusters: [{ ...cluster }],
        users: [{ name: 'sa', token: token.status!.token }],
        contexts: [{ name: 'sa', cluster: cluster.name, user: 'sa' }],
        currentContext: 'sa',
      });
      const dir = mkdtempSync(join(tmpdir(), `olm-${slug}-`));
      dirs.push(dir);
      writeFileSync(join(dir, 'kubeconfig'), sa.exportConfig());

      sim = await startSimulator({ port: 0, bridgePort: 0, provisioningDelayMs: 300 });
      const config = writeDevOperatorConfig(sim.url, sim.bridgeUrl, 'olm-operator-');
      dirs.push(join(config, '..'));
      const env = resolveEnv(opNs, { [TARGET_NAMESPACES_ANNOTATION]: targets.join(',') });
      expect(env[envVarName('operator.watch-namespaces')]).toBe(targets.join(','));
      const args = container.args
        .map((a) =>
          a.startsWith('--metrics-address=') || a.startsWith('--health-address=')
            ? `${a.split('=')[0]}=127.0.0.1:0`
            : a,
        )
        .concat(['--kubeconfig', join(dir, 'kubeconfig'), '--config', config, `--leader-election-namespace=${opNs}`]);
      expect(args[0]).toBe('run');
      child = spawn(process.execPath, ['src/cli.ts', ...args], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Nothing of this process's environment: only what the pod would have (and a PATH, an empty HOME).
        env: { PATH: process.env.PATH!, HOME: dir, ...env },
      });
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    }, 60_000);

    afterAll(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await sim?.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it(`the operator watches ${mode.type === 'AllNamespaces' ? 'every namespace' : 'the target namespaces'}`, async () => {
      const started = await eventually(
        () =>
          output
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as { msg?: string; namespaces?: string[] | string })
            .find((l) => l.msg === 'starting clever-addon-operator'),
        30_000,
        `the operator's start line (output so far: ${output.slice(-2000)})`,
      );
      expect(started.namespaces).toEqual(mode.type === 'AllNamespaces' ? 'all' : targets);
    });

    it('exactly the watched namespaces get their add-on and Secret; the others are not touched; nothing refused', async () => {
      const pg = (namespace: string) => ({
        apiVersion: 'api.clever-cloud.com/v1',
        kind: 'PostgreSql',
        namespace,
        name: 'db',
      });
      for (const namespace of all)
        await applyObject(
          admin,
          { apiVersion: 'api.clever-cloud.com/v1', kind: 'PostgreSql', metadata: { name: 'db', namespace }, spec: {} },
          'olm-test',
        );
      type Res = KubeObject & {
        metadata: { finalizers?: string[] };
        status?: { addonId?: string; conditions?: { type: string; status: string }[] };
      };
      for (const namespace of watched) {
        const r = await eventually(
          async () => {
            const x = await getObject<Res>(admin, pg(namespace));
            return x?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? x : undefined;
          },
          45_000,
          `PostgreSql ${namespace}/db Ready (operator output: ${output.slice(-3000)})`,
        );
        expect(r.status?.addonId).toMatch(/^addon_/);
        const secret = await getObject<KubeObject & { data?: Record<string, string> }>(admin, {
          apiVersion: 'v1',
          kind: 'Secret',
          namespace,
          name: 'db-secrets',
        });
        expect(Object.keys(secret?.data ?? {})).toContain('DATABASE_URL');
      }
      expect(sim.addons()).toHaveLength(watched.length);
      for (const namespace of all.filter((n) => !watched.includes(n))) {
        const r = await getObject<Res>(admin, pg(namespace));
        expect(r?.status, namespace).toBeUndefined();
        expect(r?.metadata.finalizers ?? [], namespace).toEqual([]);
      }
      expect(output).not.toMatch(/forbidden/i);
      expect(child?.exitCode).toBeNull();
    });

    it(`the RBAC OLM grants in this mode reaches ${mode.type === 'AllNamespaces' ? 'every namespace' : 'the target namespaces only'}`, async () => {
      const api = sa.makeApiClient(k8s.CustomObjectsApi);
      const list = (namespace?: string) =>
        namespace
          ? api.listNamespacedCustomObject({
              group: 'api.clever-cloud.com',
              version: 'v1',
              namespace,
              plural: 'postgresqls',
            })
          : api.listClusterCustomObject({ group: 'api.clever-cloud.com', version: 'v1', plural: 'postgresqls' });
      const secrets = sa.makeApiClient(k8s.CoreV1Api);
      if (mode.type === 'AllNamespaces') {
        await list();
        await secrets.listSecretForAllNamespaces();
      } else {
        expect((await apiError(list())).code).toBe(403);
        expect((await apiError(secrets.listSecretForAllNamespaces())).code).toBe(403);
        expect((await apiError(list(outside))).code).toBe(403);
        for (const ns of targets) await list(ns);
      }
      // The cluster-wide reads every mode needs (tenancy policies select namespaces by label).
      await secrets.listNamespace();
    });
  });
