// The OLM bundle (deployments/olm) passes the operator-framework checks: olm-check (tools/olm, built from Go modules
// by tools/build-olm-check.sh) runs operator-registry's bundle format check, every validator of
// github.com/operator-framework/api that needs no network (the default bundle validators and the operatorframework
// suite: OperatorHub v2, capabilities, categories, good practices, deprecated APIs) and the scorecard's static
// tests (basic-check-spec, olm-*). A broken copy of the bundle shows that each check does fail. And the split of
// the chart's RBAC into the CSV's permissions and clusterPermissions is the chart's own split with watchNamespaces
// set (helm renders it here): namespaced rules as Roles, the policy rules as a ClusterRole.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultBinDir } from '../../src/controlplane/local-plane.ts';
import { BUNDLE_DIR, PACKAGE, type KObject, type Rule } from '../../tools/olm.ts';
import { CHART } from '../../tools/manifests.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

interface CheckResult {
  name: string;
  state: 'pass' | 'fail';
  errors: string[];
  warnings: string[];
}
interface Report {
  format: CheckResult;
  validators: CheckResult[];
  scorecard: CheckResult[];
}

const VALIDATORS = [
  'ClusterServiceVersionValidator',
  'CustomResourceDefinitionValidator',
  'BundleValidator',
  'OperatorHubV2Validator',
  'StandardCapabilitiesValidator',
  'StandardCategoriesValidator',
  'GoodPracticesValidator',
  'AlphaDeprecatedAPIsValidator',
  'ObjectValidator',
];
const SCORECARD = [
  'basic-check-spec',
  'olm-bundle-validation',
  'olm-crds-have-validation',
  'olm-crds-have-resources',
  'olm-spec-descriptors',
  'olm-status-descriptors',
];
/** The Kubernetes version the deprecated-API check looks ahead to: the control plane's. */
const K8S_VERSION = '1.33.0';

let bin = '';

async function check(dir: string): Promise<{ code: number; report: Report }> {
  try {
    const { stdout } = await run(bin, [dir, K8S_VERSION], { maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, report: JSON.parse(stdout) as Report };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    if (e.code !== 1) throw new Error(`olm-check exited ${e.code}: ${e.stderr}`);
    return { code: 1, report: JSON.parse(e.stdout) as Report };
  }
}

const all = (r: Report) => [r.format, ...r.validators, ...r.scorecard];
const byName = (r: Report, name: string) => all(r).find((x) => x.name === name)!;

beforeAll(() => {
  // `npm run test:integration` builds it first; alone, this file builds it (minutes, cold; progress on stderr).
  execFileSync('bash', [join(root, 'tools/build-olm-check.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  bin = execFileSync('bash', [join(root, 'tools/build-olm-check.sh'), '--print-path'], { encoding: 'utf8' }).trim();
  expect(existsSync(bin)).toBe(true);
}, 900_000);

describe('OLM bundle: operator-framework validators and scorecard static tests', () => {
  it('the committed bundle passes every check', async () => {
    const { code, report } = await check(join(root, BUNDLE_DIR));
    // The summary the issue asks for, in the test log.
    for (const r of all(report))
      console.log(
        `${r.state.toUpperCase()} ${r.name}: ${r.errors.length} errors, ${r.warnings.length} warnings` +
          r.warnings.map((w) => `\n    warning: ${w}`).join(''),
      );
    expect(report.validators.map((v) => v.name)).toEqual(VALIDATORS);
    expect(report.scorecard.map((v) => v.name)).toEqual(SCORECARD);
    expect(all(report).filter((r) => r.state !== 'pass' || r.errors.length > 0)).toEqual([]);
    expect(code).toBe(0);
    // The examples carry no status (the operator writes it): the scorecard's suggestion, not a failure.
    for (const r of all(report).filter((x) => x.name !== 'olm-status-descriptors'))
      expect(r.warnings, r.name).toEqual([]);
  });

  describe('a broken copy of the bundle fails the check that covers each fault', () => {
    let dir = '';
    let report: Report;
    let code = 0;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'olm-broken-'));
      cpSync(join(root, BUNDLE_DIR), dir, { recursive: true });
      const csvPath = join(dir, 'manifests', `${PACKAGE}.clusterserviceversion.yaml`);
      const csv = parse(readFileSync(csvPath, 'utf8')) as {
        metadata: { annotations: Record<string, string> };
        spec: {
          icon: { mediatype: string }[];
          minKubeVersion: string;
          maintainers: { email: string }[];
          customresourcedefinitions: {
            owned: { kind: string; resources?: unknown[]; specDescriptors: { path: string }[] }[];
          };
        };
      };
      csv.spec.icon[0]!.mediatype = 'image/bmp';
      csv.spec.minKubeVersion = 'one.thirty';
      csv.spec.maintainers[0]!.email = 'not an address';
      const pg = csv.spec.customresourcedefinitions.owned.find((o) => o.kind === 'PostgreSql')!;
      pg.specDescriptors = pg.specDescriptors.filter((d) => d.path !== 'instance');
      delete csv.spec.customresourcedefinitions.owned.find((o) => o.kind === 'Redis')!.resources;
      const examples = JSON.parse(csv.metadata.annotations['alm-examples']!) as KObject[];
      const mysql = examples.find((e) => e.kind === 'MySql') as KObject & { spec: Record<string, unknown> };
      mysql.spec.sizeInGigabytes = 5;
      const cellar = examples.find((e) => e.kind === 'Cellar')!;
      delete cellar.spec;
      csv.metadata.annotations['alm-examples'] = JSON.stringify(examples);
      writeFileSync(csvPath, stringify(csv));
      // The bundle image's metadata: no package name.
      const annPath = join(dir, 'metadata', 'annotations.yaml');
      writeFileSync(
        annPath,
        readFileSync(annPath, 'utf8').replace(/^ {2}operators\.operatorframework\.io\.bundle\.package\.v1:.*\n/m, ''),
      );
      ({ code, report } = await check(dir));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('exit code 1', () => {
      expect(code).toBe(1);
    });
    it.each([
      ['bundle-format', 'operators.operatorframework.io.bundle.package.v1'],
      ['OperatorHubV2Validator', 'image/bmp does not have a valid mediatype'],
      ['OperatorHubV2Validator', 'MinKubeVersion has an invalid value'],
      ['OperatorHubV2Validator', 'email not an address is invalid'],
      ['basic-check-spec', 'files has no spec'],
      ['olm-crds-have-validation', 'sizeInGigabytes'],
      ['olm-crds-have-resources', 'redis.api.clever-cloud.com lists no resources'],
      ['olm-spec-descriptors', 'postgresqls.api.clever-cloud.com: spec field instance has no spec descriptor'],
    ])('%s reports: %s', (name, message) => {
      const r = byName(report, name);
      expect(r.state).toBe('fail');
      expect(r.errors.join('\n')).toContain(message);
    });
  });
});

describe("OLM bundle: the chart's own split of its RBAC", () => {
  it('with watchNamespaces, the Roles hold the CSV permissions and the ClusterRoles its clusterPermissions', async () => {
    const helm = join(defaultBinDir(), 'helm');
    const ns = 'clever-addon-operator-system';
    const { stdout } = await run(helm, [
      'template',
      'clever-addon-operator',
      CHART,
      '--namespace',
      ns,
      '--set',
      'watchNamespaces={team-a,team-b}',
      '--set',
      'credentials.existingSecret=clever-addon-operator-credentials',
    ]);
    const docs = parseAllDocuments(stdout)
      .map((d) => d.toJS() as (KObject & { rules?: Rule[] }) | null)
      .filter((d): d is KObject & { rules?: Rule[] } => d !== null);
    type Install = { permissions: { rules: Rule[] }[]; clusterPermissions: { rules: Rule[] }[] };
    const csv = (
      parse(readFileSync(join(root, BUNDLE_DIR, 'manifests', `${PACKAGE}.clusterserviceversion.yaml`), 'utf8')) as {
        spec: { install: { spec: Install } };
      }
    ).spec.install.spec;
    const roles = (kind: string, namespace?: string) =>
      docs
        .filter((d) => d.kind === kind && (namespace === undefined || d.metadata.namespace === namespace))
        .flatMap((d) => d.rules!);
    expect(roles('ClusterRole')).toEqual(csv.clusterPermissions.flatMap((p) => p.rules));
    // A watched namespace's Role, then the release namespace's (leader election): the CSV's permissions, in order.
    expect([...roles('Role', 'team-a'), ...roles('Role', ns)]).toEqual(csv.permissions.flatMap((p) => p.rules));
    expect(roles('Role', 'team-b')).toEqual(roles('Role', 'team-a'));
  });
});
