// The Helm chart and the plain manifests, with the helm built from Go modules (tools/helm): generated files up to
// date, lint, rendering for default and non-default values, values rejected by the schema, and the rendered
// manifests applied to the real API server (`kubectl apply -f deployments/` installs everything).
import { execFile } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { defaultBinDir } from '../../src/controlplane/local-plane.ts';
import { CHART, DEPLOYMENT_VALUES, NAMESPACE } from '../../tools/manifests.ts';
import { adminKubeConfig, createTestNamespace } from '../support/kube.ts';
import { kubectl } from '../support/kubectl.ts';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const helmBin = join(defaultBinDir(), 'helm');

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

async function helm(args: string[]): Promise<string> {
  try {
    return (await run(helmBin, args, { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`helm ${args.join(' ')}: ${e.stderr ?? ''}${e.stdout ?? ''}`, { cause: err });
  }
}

async function helmFails(args: string[]): Promise<string> {
  try {
    await run(helmBin, args);
  } catch (err) {
    return (err as { stderr: string }).stderr;
  }
  throw new Error(`helm ${args.join(' ')} succeeded but should have failed`);
}

const docs = (text: string): Doc[] =>
  parseAllDocuments(text)
    .map((d) => d.toJSON() as Doc | null)
    .filter((d): d is Doc => d !== null);

const template = async (namespace: string, ...values: string[]) =>
  docs(await helm(['template', 'clever-addon-operator', CHART, '--namespace', namespace, ...values]));

const NON_DEFAULT = [
  '--set',
  'watchNamespaces={team-a,team-b}',
  '--set',
  'replicaCount=2',
  '--set',
  'metrics.serviceMonitor.enabled=true',
  '--set',
  'metrics.prometheusRule.enabled=true',
  '--set',
  'metrics.grafanaDashboard.enabled=true',
  '--set',
  'credentials.existingSecret=clever-creds',
  '--set',
  'podDisruptionBudget.enabled=true',
  '--set',
  'networkPolicy.enabled=true',
  '--set',
  'log.level=debug',
  '--set',
  'operator.backupImage=registry.example.com/tools/backup:1.2',
];

function deploymentOf(all: Doc[]) {
  const d = all.find((x) => x.kind === 'Deployment')!;
  type Container = {
    args: string[];
    env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
    securityContext: Record<string, unknown>;
    resources: { requests?: Record<string, string>; limits?: Record<string, string> };
    livenessProbe: { httpGet: { path: string } };
    readinessProbe: { httpGet: { path: string } };
  };
  const spec = d.spec as {
    replicas: number;
    template: { spec: { securityContext: Record<string, unknown>; containers: Container[] } };
  };
  return { replicas: spec.replicas, pod: spec.template.spec, container: spec.template.spec.containers[0]! };
}

describe('helm chart', () => {
  it('generated files are up to date; the chart ships crds/ itself (a symlink, no copy to go stale)', async () => {
    await run(process.execPath, ['tools/manifests.ts', '--check'], { cwd: root });
    expect(lstatSync(join(CHART, 'crds')).isSymbolicLink()).toBe(true);
    const ours = readdirSync(join(root, 'crds')).sort();
    expect(readdirSync(join(CHART, 'crds')).sort()).toEqual(ours);
    // What helm packages is what crds/ holds.
    const out = mkdtempSync(join(tmpdir(), 'helm-package-'));
    await helm(['package', CHART, '--destination', out]);
    const { stdout } = await run('tar', [
      '-xzOf',
      join(out, 'clever-addon-operator-0.1.0.tgz'),
      `clever-addon-operator/crds/${ours[0]}`,
    ]);
    expect(stdout).toBe(readFileSync(join(root, 'crds', ours[0]!), 'utf8'));
  });

  it('helm lint --strict passes for default and non-default values', async () => {
    expect(await helm(['lint', '--strict', CHART])).toContain('0 chart(s) failed');
    expect(await helm(['lint', '--strict', CHART, ...NON_DEFAULT])).toContain('0 chart(s) failed');
  });

  it('default values: ClusterRole, one replica with leader election, hardened pod, probes, no credentials', async () => {
    const all = await template('ops');
    // Two ClusterRoles: the operator's, and reading AddonPolicies and Namespace labels.
    expect(all.map((d) => d.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRole',
      'ClusterRoleBinding',
      'ClusterRoleBinding',
      'Deployment',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
    ]);
    const { replicas, pod, container } = deploymentOf(all);
    expect(replicas).toBe(1);
    expect(container.args).toContain('--leader-election=true');
    expect(container.args.some((a) => a.startsWith('--namespace'))).toBe(false);
    expect(container.args.some((a) => a.startsWith('--backup-image'))).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.env.map((e) => e.name)).toEqual(['POD_NAMESPACE', 'NODE_OPTIONS']);
    // In the pod the Lease namespace is given explicitly too: the release namespace, where the Lease Role is.
    expect(container.args).toContain('--leader-election-namespace=ops');
    // The Lease Role is in the release namespace, limited to the Lease's name except for create.
    const lease = all.find((d) => d.kind === 'Role')!;
    expect(lease.metadata.namespace).toBe('ops');
    expect(lease.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['clever-addon-operator'],
        verbs: ['get', 'update'],
      },
    ]);
  });

  it('no wildcard anywhere in RBAC, and credentials never in a ConfigMap', async () => {
    for (const all of [await template('ops'), await template('ops', ...NON_DEFAULT)]) {
      for (const d of all.filter((x) => x.rules)) {
        for (const r of d.rules!) {
          expect(
            [...r.apiGroups, ...r.resources, ...r.verbs].filter((x) => x.includes('*')),
            d.metadata.name,
          ).toEqual([]);
        }
      }
      for (const cm of all.filter((d) => d.kind === 'ConfigMap')) {
        expect(Object.keys(cm.data ?? {})).toEqual(['clever-addon-operator.json']);
      }
    }
    const created = await template('ops', '--set', 'credentials.create=true', '--set', 'credentials.token=t0k');
    const secret = created.find((d) => d.kind === 'Secret')! as Doc & { stringData: Record<string, string> };
    expect(secret.stringData).toEqual({ token: 't0k' });
  });

  it('non-default values: a Role per watched namespace, 2 replicas, ServiceMonitor, alerts, dashboard, existing Secret', async () => {
    const all = await template('ops', ...NON_DEFAULT);
    // AddonPolicies are cluster-scoped: reading them (and Namespace labels) is the only ClusterRole left.
    expect(all.filter((d) => d.kind === 'ClusterRole').map((d) => d.metadata.name)).toEqual([
      'clever-addon-operator-policies',
    ]);
    const roles = all.filter((d) => d.kind === 'Role' && !d.metadata.name.endsWith('leader-election'));
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(['team-a', 'team-b']);
    expect(
      all
        .filter((d) => d.kind === 'RoleBinding')
        .map((r) => r.metadata.namespace)
        .sort(),
    ).toEqual(['ops', 'team-a', 'team-b']);
    const { replicas, container } = deploymentOf(all);
    expect(replicas).toBe(2);
    expect(container.args).toEqual(expect.arrayContaining(['--leader-election=true', '--namespace=team-a,team-b']));
    expect(container.args).toContain('--log-level=debug');
    expect(container.args).toContain('--backup-image=registry.example.com/tools/backup:1.2');
    const fromSecret = container.env.filter((e) => e.valueFrom?.secretKeyRef?.name === 'clever-creds');
    expect(fromSecret.map((e) => `${e.name}<-${e.valueFrom!.secretKeyRef!.key}`).sort()).toEqual([
      'CLEVER_OPERATOR_API_API_TOKEN<-apiToken',
      'CLEVER_OPERATOR_API_CONSUMER_KEY<-consumerKey',
      'CLEVER_OPERATOR_API_CONSUMER_SECRET<-consumerSecret',
      'CLEVER_OPERATOR_API_ORGANISATION<-organisation',
      'CLEVER_OPERATOR_API_SECRET<-secret',
      'CLEVER_OPERATOR_API_TOKEN<-token',
    ]);
    const monitor = all.find((d) => d.kind === 'ServiceMonitor')!;
    expect(monitor.spec).toMatchObject({ endpoints: [{ port: 'metrics', path: '/metrics' }] });
    const service = all.find((d) => d.kind === 'Service')!;
    for (const [k, v] of Object.entries(
      (monitor.spec!.selector as { matchLabels: Record<string, string> }).matchLabels,
    ))
      expect(service.metadata.labels![k], k).toBe(v);
    const rules = JSON.stringify(all.find((d) => d.kind === 'PrometheusRule')!.spec);
    expect(rules).toContain('clever_addons');
    const dashboard = all.find((d) => d.kind === 'ConfigMap')!;
    expect(JSON.parse(dashboard.data!['clever-addon-operator.json']!)).toMatchObject({ uid: 'clever-addon-operator' });
    expect(all.find((d) => d.kind === 'PodDisruptionBudget')!.spec).toMatchObject({ minAvailable: 1 });
    expect(all.find((d) => d.kind === 'NetworkPolicy')).toBeDefined();
  });

  it('rbac.backups adds exactly the batch rules backups use', async () => {
    const rulesOf = (all: Doc[]) => all.find((d) => d.kind === 'ClusterRole')!.rules!;
    const base = rulesOf(await template('ops'));
    const withBackups = rulesOf(
      await template('ops', '--set', 'rbac.backups=true', '--set', 'operator.backupImage=r.example/b@sha256:0'),
    );
    expect(base.some((r) => r.apiGroups.includes('batch'))).toBe(false);
    expect(withBackups.slice(base.length)).toEqual([
      // list, watch: the backup controller watches the CronJobs it owns (label-selected).
      { apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
    ]);
  });

  it('secure defaults: no workload rules and rollouts off, one value turns both on', async () => {
    const workloadGroups = ['apps', 'paperclip.inc'];
    const off = await template('ops');
    const rules = off.find((d) => d.kind === 'ClusterRole')!.rules!;
    expect(rules.filter((r) => r.apiGroups.some((g) => workloadGroups.includes(g)))).toEqual([]);
    expect(deploymentOf(off).container.args).toContain('--workload-rollouts=false');
    const on = await template('ops', '--set', 'rbac.workloadRollouts=true');
    expect(on.find((d) => d.kind === 'ClusterRole')!.rules!.slice(rules.length)).toEqual([
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'patch'] },
      { apiGroups: ['paperclip.inc'], resources: ['instances'], verbs: ['get', 'patch'] },
    ]);
    expect(deploymentOf(on).container.args).toContain('--workload-rollouts=true');
  });

  it('memory: the benchmark-sized default, and the Node heap cap follows the limit', async () => {
    const heapOf = async (...values: string[]) =>
      deploymentOf(await template('ops', ...values)).container.env.find((e) => e.name === 'NODE_OPTIONS')?.value;
    // docs/benchmarks.md: 443.4 MiB peak with 10,000 idle add-ons, 319.5 MiB creating 1,000.
    const { container } = deploymentOf(await template('ops'));
    expect(container.resources).toMatchObject({ requests: { memory: '320Mi' }, limits: { memory: '512Mi' } });
    expect(await heapOf()).toBe('--max-old-space-size=384');
    expect(await heapOf('--set', 'resources.limits.memory=1Gi')).toBe('--max-old-space-size=768');
    expect(await heapOf('--set', 'resources.limits.memory=2048Mi')).toBe('--max-old-space-size=1536');
    // 1000M = 953 MiB (rounded down), 75 %: 714.
    expect(await heapOf('--set', 'resources.limits.memory=1000M')).toBe('--max-old-space-size=714');
    expect(await heapOf('--set-string', 'resources.limits.memory=1073741824')).toBe('--max-old-space-size=768');
    expect(await heapOf('--set', 'resources.limits.memory=1Gi', '--set', 'nodeHeapPercent=50')).toBe(
      '--max-old-space-size=512',
    );
    // No limit: no cap (Node's own default), rather than a cap computed from nothing.
    expect(await heapOf('--set', 'resources.limits=null')).toBeUndefined();
    expect(await helmFails(['template', 'x', CHART, '--set', 'resources.limits.memory=64Mi'])).toContain(
      'resources.limits.memory 64Mi is 64 MiB',
    );
    expect(await helmFails(['template', 'x', CHART, '--set', 'resources.limits.memory=1Xi'])).toContain(
      'unknown unit "Xi"',
    );
  });

  it('backups need an image of your own: no default pointing at a registry this chart does not control', async () => {
    expect(await helmFails(['template', 'x', CHART, '--set', 'rbac.backups=true'])).toContain(
      'rbac.backups=true needs operator.backupImage',
    );
    const pinned = 'registry.example.com/ops/backup-tools@sha256:' + 'a'.repeat(64);
    const { container } = deploymentOf(
      await template('ops', '--set', 'rbac.backups=true', '--set', `operator.backupImage=${pinned}`),
    );
    expect(container.args).toContain(`--backup-image=${pinned}`);
  });

  it('bad values fail at install: schema violations and replicas > 1 without leader election', async () => {
    expect(await helmFails(['template', 'x', CHART, '--set', 'replicaCnt=2'])).toContain("'replicaCnt' not allowed");
    expect(await helmFails(['template', 'x', CHART, '--set', 'log.level=verbose'])).toContain('/log/level');
    expect(await helmFails(['template', 'x', CHART, '--set', 'replicaCount=-1'])).toContain('/replicaCount');
    expect(
      await helmFails(['template', 'x', CHART, '--set', 'replicaCount=2', '--set', 'leaderElection.enabled=false']),
    ).toContain('needs leaderElection.enabled=true');
  });

  it('rendered non-default manifests, ServiceMonitor and PrometheusRule included, are accepted by the real API server', async () => {
    const namespace = await createTestNamespace(adminKubeConfig(), 'helm');
    // The Prometheus Operator's two kinds, as minimal CRDs (schema left open): enough for the API server to take
    // the rendered ServiceMonitor and PrometheusRule as objects of those kinds.
    const monitoringCrd = (kind: string, plural: string) => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.monitoring.coreos.com` },
      spec: {
        group: 'monitoring.coreos.com',
        scope: 'Namespaced',
        names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    });
    await kubectl(
      ['apply', '--server-side', '-f', '-'],
      [monitoringCrd('ServiceMonitor', 'servicemonitors'), monitoringCrd('PrometheusRule', 'prometheusrules')]
        .map((c) => JSON.stringify(c))
        .join('\n'),
    );
    await kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=30s',
      'crd/servicemonitors.monitoring.coreos.com',
      'crd/prometheusrules.monitoring.coreos.com',
    ]);
    const rendered = await helm([
      'template',
      'rendered',
      CHART,
      '--namespace',
      namespace,
      '--set',
      `watchNamespaces={${namespace}}`,
      '--set',
      'replicaCount=2',
      '--set',
      'credentials.create=true',
      '--set',
      'credentials.token=fake',
      '--set',
      'podDisruptionBudget.enabled=true',
      '--set',
      'networkPolicy.enabled=true',
      '--set',
      'metrics.grafanaDashboard.enabled=true',
      '--set',
      'metrics.serviceMonitor.enabled=true',
      '--set',
      'metrics.prometheusRule.enabled=true',
    ]);
    const out = await kubectl(['apply', '--server-side', '-f', '-'], rendered);
    expect(out).toContain('deployment.apps/rendered-clever-addon-operator serverside-applied');
    const kinds = await kubectl([
      '-n',
      namespace,
      'get',
      'deploy,sa,role,rolebinding,secret,svc,pdb,netpol,cm,servicemonitor,prometheusrule',
      '-o',
      'name',
    ]);
    for (const want of [
      'deployment.apps/rendered-clever-addon-operator',
      'serviceaccount/rendered-clever-addon-operator',
      'role.rbac.authorization.k8s.io/rendered-clever-addon-operator',
      'role.rbac.authorization.k8s.io/rendered-clever-addon-operator-leader-election',
      'secret/rendered-clever-addon-operator-credentials',
      'service/rendered-clever-addon-operator-metrics',
      'poddisruptionbudget.policy/rendered-clever-addon-operator',
      'networkpolicy.networking.k8s.io/rendered-clever-addon-operator',
      'configmap/rendered-clever-addon-operator-dashboard',
      'servicemonitor.monitoring.coreos.com/rendered-clever-addon-operator',
      'prometheusrule.monitoring.coreos.com/rendered-clever-addon-operator',
    ]) {
      expect(kinds).toContain(want);
    }
  });

  it('kubectl apply -f deployments/ installs everything on the real API server', async () => {
    // deployments/olm/ is the OLM bundle (tools/olm.ts), a folder: `kubectl apply -f deployments/` does not recurse.
    const entries = readdirSync(join(root, 'deployments'), { withFileTypes: true });
    expect(entries.filter((e) => e.isDirectory()).map((e) => e.name)).toEqual(['olm']);
    const names = entries.filter((e) => !e.isDirectory()).map((e) => e.name);
    expect(names).toEqual([
      '00-namespace.yaml',
      ...readdirSync(join(root, 'crds'))
        .sort()
        .map((f) => `10-crd-${f}`),
      '20-operator.yaml',
    ]);
    expect(DEPLOYMENT_VALUES).toContain('credentials.existingSecret=clever-addon-operator-credentials');
    await kubectl(['apply', '-f', join(root, 'deployments')]);
    const got = await kubectl(['-n', NAMESPACE, 'get', 'deploy,sa,role,rolebinding,svc', '-o', 'name']);
    expect(got).toContain('deployment.apps/clever-addon-operator');
    expect(got).toContain('serviceaccount/clever-addon-operator');
    expect(await kubectl(['get', 'clusterrole,clusterrolebinding', '-o', 'name'])).toContain(
      'clusterrole.rbac.authorization.k8s.io/clever-addon-operator',
    );
    expect(await kubectl(['get', 'crd', 'postgresqls.api.clever-cloud.com', '-o', 'name'])).toContain('postgresqls');
  });
});
