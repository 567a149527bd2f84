// Binding (step 9): the add-on's environment rendered into the connection Secret, server-side applied; a renamed
// Secret's old copy removed; the workloads listed in spec.secret.rolloutRestart restarted on new content. Also the
// Secret's repair from its last known content while Clever Cloud cannot be asked.
import { describeError } from '../../kube/errors.ts';
import type { Addon } from '../../clever/index.ts';
import { secretHashAnnotation } from '../rollout.ts';
import { secretName } from '../names.ts';
import {
  bindingEntries,
  entriesHash,
  isOurSecret,
  renderSecret,
  templateValues,
  type SecretObject,
} from '../secret.ts';
import { renderTemplate } from '../template.ts';
import { decideBind, decideOldSecret, decideSecretRestore } from './decide.ts';
import type { ExternalClient } from './external.ts';
import { decideCopy, lastBoundName, readLastBound, renderLastBound } from './last-bound.ts';
import { SecretConflictError } from './failures.ts';
import type { Pass } from './pass.ts';
import type { CommonSpec, StepContext } from './types.ts';

/** Writes the connection Secret; its name. */
export async function bind(
  c: StepContext,
  pass: Pass,
  ext: ExternalClient,
  addon: Addon,
  spec: CommonSpec,
): Promise<string> {
  const { def } = c;
  const env = await ext.env(addon.id);
  const binding = def.binding(env);
  const entries = {
    ...bindingEntries(env, binding, spec.secret?.dialects),
    ...renderTemplate(spec.secret?.template ?? {}, templateValues(env, binding)),
  };
  Object.assign(pass.status, def.statusFields?.(env) ?? {});
  const name = secretName(pass.name, spec.secret?.name);
  const uid = pass.uid;
  const desired = renderSecret({
    name,
    namespace: pass.namespace,
    owner: { apiVersion: c.apiVersion, kind: def.kind, name: pass.name, uid },
    entries,
    ...(spec.secret?.labels ? { labels: spec.secret.labels } : {}),
    ...(spec.secret?.annotations ? { annotations: spec.secret.annotations } : {}),
  });
  const hash = entriesHash(entries);
  const live = await c.kube.secret(pass.namespace, name, { cached: true });
  const decision = decideBind({ live, desired, hash, recordedHash: pass.status.secretHash, uid });
  if (decision.action === 'refuse') {
    throw new SecretConflictError(`Secret ${name} exists and is not owned by this ${def.kind}; it was left untouched`);
  }
  if (decision.action === 'apply') {
    await c.kube.applySecret(desired);
    if (decision.announce) {
      pass.emit('Normal', 'SecretUpdated', `Secret ${name} updated with new connection details`);
    }
  }
  const previous = pass.status.binding?.name;
  if (previous && previous !== name) {
    const old = await c.kube.secret(pass.namespace, previous, { cached: false });
    const drop = decideOldSecret({ previous, name, old, uid });
    if (drop.action === 'delete') await c.kube.deleteSecret(pass.namespace, drop.name);
  }
  pass.status.binding = { name };
  pass.status.secretHash = hash;
  c.memory.lastBound.set(uid, { secret: desired, hash });
  await keepCopy(c, pass, desired, hash);
  await restartConsumers(c, pass, spec, hash);
  return name;
}

/**
 * Restarts the listed workloads on new content; a missing one keeps Synced False (re-checked at drift time). Also
 * called on passes that bind nothing anew, with the recorded hash: a restart is only made for a hash a workload does
 * not carry yet, and what is wrong with the list is still said.
 */
export async function restartConsumers(c: StepContext, pass: Pass, spec: CommonSpec, hash: string): Promise<void> {
  const targets = spec.secret?.rolloutRestart ?? [];
  if (targets.length === 0) return;
  if (!c.workloadRollouts) {
    // Not a silent no-op: the install left rollouts off (no RBAC on workloads), and the user must learn it here.
    const message =
      `spec.secret.rolloutRestart lists ${targets.map((t) => `${t.kind}/${t.name}`).join(', ')} but workload ` +
      'rollouts are disabled in this installation (chart rbac.workloadRollouts=false, operator --workload-rollouts ' +
      'false): the Secret is up to date, its consumers are not restarted';
    pass.softProblem = { reason: 'RolloutsDisabled', message };
    pass.warnOnce('RolloutsDisabled', 'RolloutsDisabled', message);
    return;
  }
  const annotation = secretHashAnnotation(c.def.kind, pass.name);
  const { bumped, missing } = await c.kube.rolloutRestart(pass.namespace, targets, annotation, hash);
  if (bumped.length > 0) {
    pass.emit('Normal', 'RolloutTriggered', `restarting ${bumped.join(', ')} for the new connection details`);
  }
  if (missing.length > 0) {
    // The Secret is fine and the add-on usable: only Synced reports it.
    const message = `spec.secret.rolloutRestart: ${missing.join(', ')} not found in ${pass.namespace}`;
    pass.softProblem = { reason: 'RolloutTargetNotFound', message };
    pass.warnOnce('RolloutTargetMissing', 'RolloutTargetNotFound', message);
  }
}

/**
 * The copy that outlives this process (last-bound.ts): written after the Secret, so it never names content the
 * Secret did not hold. A failed write fails the pass (and is retried): guarantee 12 needs the copy. A name held by
 * someone else's Secret (or the connection Secret itself) is left alone and logged: only a restart loses more then.
 */
async function keepCopy(c: StepContext, pass: Pass, desired: SecretObject, hash: string): Promise<void> {
  const copy = renderLastBound(desired, hash, pass.name);
  const live = await c.kube.secret(pass.namespace, copy.metadata?.name ?? '', { cached: true });
  const secretName = desired.metadata?.name ?? '';
  const decision = decideCopy({ live, desired: copy, uid: pass.uid, secretName });
  if (decision.action === 'write') await c.kube.applySecret(copy);
  else if (secretName === copy.metadata?.name || (live && !isOurSecret(live, pass.uid)))
    pass.ctx.logger.warn({ secret: copy.metadata?.name }, 'cannot keep the last-bound copy: ' + decision.why);
}

/** How a restore is announced: "while <why>", or (before any Clever call) "before asking Clever Cloud". */
export type RestoreWhen = { while: string } | 'before asking Clever Cloud';

/**
 * Puts the Secret back as this resource last bound it, when it was deleted or edited: at the start of a pass, before
 * any Clever call (Clever may be down, the operator may just have restarted), and again when a pass fails because
 * Clever cannot be asked (an outage, refused or missing credentials); a successful pass then reconciles it against
 * Clever as usual. The last content comes from this process's memory, else from the copy in the cluster, whichever
 * status.secretHash names. Best effort: a failure here is logged (without content) and the pass goes on.
 */
export async function keepLastBoundSecret(c: StepContext, pass: Pass, when: RestoreWhen): Promise<void> {
  const uid = pass.res.metadata?.uid;
  if (!uid || !pass.status.secretHash) return;
  try {
    const remembered = c.memory.lastBound.get(uid);
    let last = remembered?.hash === pass.status.secretHash ? remembered : undefined;
    if (!last) {
      const copy = await c.kube.secret(pass.namespace, lastBoundName(pass.name), { cached: true });
      last = copy ? readLastBound(copy, uid) : undefined;
    }
    const input = {
      uid,
      deleting: Boolean(pass.res.metadata?.deletionTimestamp),
      last,
      secretHash: pass.status.secretHash,
      bindingName: pass.status.binding?.name,
    };
    let decision = decideSecretRestore({ ...input, live: undefined });
    if (decision.action === 'read') {
      const name = decision.name;
      const live = await c.kube.secret(pass.namespace, name, { cached: true });
      decision = decideSecretRestore({ ...input, live: { secret: live } });
      // The cache may lag behind our own apply (a pass our write triggered): a restore is decided on the Secret as
      // the API server holds it, never on the cached copy alone.
      if (decision.action === 'restore') {
        const stored = await c.kube.secret(pass.namespace, name, { cached: false });
        decision = decideSecretRestore({ ...input, live: { secret: stored } });
      }
    }
    if (decision.action !== 'restore') return;
    await c.kube.applySecret(decision.secret);
    if (last) c.memory.lastBound.set(uid, last);
    const name = decision.secret.metadata?.name ?? '';
    const verb = decision.existed ? 'reverted' : 'restored';
    const phrase = typeof when === 'string' ? when : `while ${when.while}`;
    pass.emit('Normal', 'SecretRestored', `Secret ${name} ${verb} to its last known content ${phrase}`);
  } catch (restoreErr) {
    pass.ctx.logger.warn(
      { err: describeError(restoreErr) },
      'could not restore the Secret from its last known content',
    );
  }
}
