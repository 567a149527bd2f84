// Step 6, before the create call: the Secret (and the backup CronJob) this resource will write must be deliverable,
// or no add-on is created. The spec alone decides most of it (checkDeliverable); the names held by someone else's
// objects are read from Kubernetes (decideNamesFree). Each refusal names the field; none costs a Clever write call.
import { backupCronJobName } from '../backup/index.ts';
import { InvalidSpecError } from '../catalogue.ts';
import { secretName } from '../names.ts';
import { checkDeliverable, decideNamesFree } from './decide-deliverable.ts';
import { NameTakenError } from './failures.ts';
import type { Pass } from './pass.ts';
import type { CommonSpec, StepContext } from './types.ts';

export async function ensureDeliverable(c: StepContext, pass: Pass, spec: CommonSpec, now: Date): Promise<void> {
  const { def } = c;
  const backup = def.backup ? spec.backup : undefined;
  const problem = checkDeliverable({
    resourceName: pass.name,
    secret: spec.secret,
    backup,
    envKeys: def.envKeys,
    binding: (env) => def.binding(env),
    now,
  });
  if (problem?.kind === 'template') throw problem.error;
  if (problem) throw new InvalidSpecError('InvalidSpec', problem.field, `${problem.message}; no add-on was created`);
  const name = secretName(pass.name, spec.secret?.name);
  // The CronJob name is read only where one will be written: never without spec.backup, never with backups off
  // (the install then has no RBAC on batch objects).
  const cronJob = backup && c.backups !== false ? backupCronJobName(pass.name) : undefined;
  const names = decideNamesFree({
    uid: pass.uid,
    kind: def.kind,
    secret: {
      name,
      field: 'spec.secret.name',
      live: await c.kube.secret(pass.namespace, name, { cached: false }),
    },
    cronJob: cronJob
      ? {
          name: cronJob,
          live: await c.kube.get({ apiVersion: 'batch/v1', kind: 'CronJob', namespace: pass.namespace, name: cronJob }),
        }
      : undefined,
  });
  if (names.action === 'taken') throw new NameTakenError(names.kind, names.message);
}
