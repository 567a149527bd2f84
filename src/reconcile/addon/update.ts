// Updating an existing add-on (steps 7 and 8): carrying out a migration decision (decideMigration in decide.ts),
// and keeping a ConfigProvider's variables equal to the spec.
import type { Addon } from '../../clever/index.ts';
import { migrationProgress, type MigrationDecision } from './decide.ts';
import type { ExternalClient } from './external.ts';
import { AddonFailure } from './failures.ts';
import type { Pass } from './pass.ts';

/** Starts or follows a migration as decided; true while one is running. */
export async function carryOutMigration(
  pass: Pass,
  ext: ExternalClient,
  addon: Addon,
  decision: MigrationDecision,
): Promise<boolean> {
  switch (decision.action) {
    case 'none':
      return false;
    case 'refuse':
      throw new AddonFailure('MigrationFailed', decision.message);
    case 'follow': {
      const id = decision.migrationId;
      const latest = await ext.migration(addon.id, id);
      const migration = { ...pass.status.migration, id, status: latest.status };
      pass.status.migration = migration;
      const progress = migrationProgress(latest.status);
      if (progress === 'succeeded') {
        pass.emit('Normal', 'MigrationSucceeded', `migration ${id} finished`);
        return false;
      }
      if (progress === 'failed') {
        migration.status = 'FAILED';
        const detail = latest.steps.find((s) => s.status !== 'OK')?.message ?? 'no detail';
        const message = `migration ${id} failed: ${detail}`;
        pass.emit('Warning', 'MigrationFailed', message);
        throw new AddonFailure('MigrationFailed', message);
      }
      return true;
    }
    case 'migrate': {
      const { planId, version } = decision;
      const { migration, joined } = await ext.migrate(addon.id, { planId, region: addon.region, version });
      pass.status.migration = {
        id: migration.migrationId,
        status: migration.status,
        targetPlanId: planId,
        ...(version ? { targetVersion: version } : {}),
        startedAt: pass.now().toISOString(),
      };
      if (joined) return true;
      pass.emit('Normal', 'MigrationStarted', `migration ${migration.migrationId} started`);
      return migration.status !== 'OK';
    }
  }
}

/** Step 8: keeps a user-managed environment (ConfigProvider variables) equal to the spec, reverting outside edits. */
export async function syncVariables(
  pass: Pass,
  ext: ExternalClient,
  addon: Addon,
  desired: Record<string, string>,
): Promise<void> {
  const current = await ext.variables(addon.realId);
  const same =
    Object.keys(current).length === Object.keys(desired).length &&
    Object.entries(desired).every(([k, v]) => current[k] === v);
  if (same) return;
  await ext.setVariables(addon.realId, desired);
  pass.emit('Normal', 'VariablesUpdated', `set ${Object.keys(desired).length} variables on ${addon.id}`);
}
