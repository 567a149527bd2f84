// The status every add-on kind reports. Two condition axes, as Crossplane does: Ready (is the add-on usable) and
// Synced (did the last reconcile succeed). `addon` repeats `addonId` because the upstream operator's users and
// tools read `.status.addon`.

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: 'Ready' | 'Synced' | 'BackupHealthy';
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type Phase = 'Pending' | 'Provisioning' | 'Ready' | 'Updating' | 'Deleting' | 'Failed' | 'Paused';

/** spec.backup as observed: from the CronJob status and our Jobs (never from pods or the bucket). */
export interface BackupStatus {
  cronJobName?: string;
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
  lastSuccessfulKey?: string;
  lastFailedTime?: string;
  lastRetentionSweepTime?: string;
  /** Why the CronJob cannot be written yet (a missing Cellar or Secret). */
  targetProblem?: string;
}

/** spec.restoreFrom: done once; Succeeded is final, and so are Refused and Skipped (no Job was made). */
export interface RestoreStatus {
  source: string;
  jobName: string;
  phase: 'Running' | 'Succeeded' | 'Failed' | 'Lost' | 'Refused' | 'Skipped';
  /** Why a restore was refused, skipped or lost. */
  message?: string;
  startTime?: string;
  completionTime?: string;
}

/** Clever Cloud's own backups of the add-on (GET /v2/backups), refreshed at most every drift interval. */
export interface PlatformBackupsStatus {
  count: number;
  latest?: { id: string; status: string; createdAt: string };
  checkedAt: string;
}

/**
 * What the spec's plan, region and version resolved to the last time they were applied (status.target): a bound
 * resource keeps them until the spec asks for something else, whatever the live catalogue says meanwhile.
 */
export interface TargetStatus {
  /** metadata.generation when recorded. */
  generation: number;
  plan: { id: string; slug: string };
  region: string;
  version?: string;
  /** The spec's values they were resolved from (a version code as its digits). */
  requested?: { plan?: string; region?: string; version?: string };
}

/**
 * How a resource came to hold its add-on: Created (this resource created it), Adopted (the adoption annotation) or
 * Found (by its deterministic name with no create of this resource pending). Only Created may be restored into.
 */
export type AddonOrigin = 'Created' | 'Adopted' | 'Found';

export interface AddonStatus {
  observedGeneration?: number;
  origin?: AddonOrigin;
  /**
   * The create-pending annotation's value whose outcome this status records: that create is no longer pending (the
   * annotation is left in place rather than removed by a write of its own).
   */
  createdFromIntent?: string;
  /** When Ready was first True: a restore never runs after it. */
  firstReadyTime?: string;
  phase?: Phase;
  addon?: string;
  addonId?: string;
  realId?: string;
  organisation?: string;
  region?: string;
  version?: string;
  plan?: { id: string; slug: string; name: string };
  url?: string;
  adminUrl?: string;
  /** Upstream operator's name for adminUrl (Keycloak), kept for tools that read it. */
  admin_url?: string;
  binding?: { name: string };
  secretHash?: string;
  target?: TargetStatus;
  migration?: { id: string; status: string; targetPlanId?: string; targetVersion?: string; startedAt?: string };
  /** Object-storage kinds (Cellar): the managed buckets (see src/reconcile/buckets.ts). */
  buckets?: { name: string; state: 'Ready' | 'Unavailable' | 'NotEmpty' | 'Deleting'; message?: string }[];
  backup?: BackupStatus;
  restore?: RestoreStatus;
  platformBackups?: PlatformBackupsStatus;
  /** Monthly price of the resolved plan, from Clever's live catalogue (src/policy/). */
  monthlyPrice?: number;
  /** Currency of monthlyPrice, when the catalogue states one. */
  currency?: string;
  /** Set by an AddonPolicy: the deletion policy in force when the spec sets none (an adopted add-on). */
  deletionPolicy?: 'Delete' | 'Orphan';
  conditions?: Condition[];
}

const str = (description: string) => ({ type: 'string', description });

const conditionSchema = {
  type: 'object',
  description: 'A condition of the resource.',
  required: ['type', 'status', 'lastTransitionTime'],
  properties: {
    type: str(
      'Ready (the add-on is usable), Synced (the last reconcile succeeded) or BackupHealthy (spec.backup runs).',
    ),
    status: { type: 'string', enum: ['True', 'False', 'Unknown'], description: 'True, False or Unknown.' },
    reason: str('A CamelCase reason, e.g. Available, Creating, InvalidPlan, ReconcileError.'),
    message: str('A human readable explanation (never contains credentials).'),
    observedGeneration: {
      type: 'integer',
      format: 'int64',
      description: 'The spec generation this condition describes.',
    },
    lastTransitionTime: { type: 'string', format: 'date-time', description: 'When the status last changed.' },
  },
};

/** `status.buckets`, only in the CRDs of kinds with object storage (Cellar). */
export const bucketsStatusSchema = {
  type: 'array',
  description: 'Buckets the operator manages on this add-on, and their state.',
  items: {
    type: 'object',
    description: 'A managed bucket.',
    required: ['name', 'state'],
    properties: {
      name: str('Bucket name.'),
      state: str(
        'Ready (exists and usable with the add-on keys), Unavailable (the name is taken by another account), ' +
          'NotEmpty (deletion refused: it holds objects) or Deleting (its objects are being deleted).',
      ),
      message: str('Why the bucket is not Ready (never contains credentials).'),
    },
  },
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['name'],
};

export const statusSchema = {
  type: 'object',
  description: 'Observed state, written by the operator.',
  properties: {
    observedGeneration: { type: 'integer', format: 'int64', description: 'The spec generation last reconciled.' },
    origin: {
      type: 'string',
      enum: ['Created', 'Adopted', 'Found'],
      description:
        'How this resource came to hold its add-on: Created by it, Adopted (annotation) or Found (by name). ' +
        'spec.restoreFrom only runs into a Created add-on.',
    },
    createdFromIntent: {
      type: 'string',
      description:
        'The value of the create-pending annotation whose create this status records: a create with that value is ' +
        'no longer pending.',
    },
    firstReadyTime: {
      type: 'string',
      format: 'date-time',
      description: 'When Ready was first True; spec.restoreFrom never runs after it.',
    },
    phase: {
      type: 'string',
      description: 'Summary of the lifecycle: Pending, Provisioning, Ready, Updating, Deleting, Failed or Paused.',
    },
    addon: str('Clever Cloud add-on id (addon_...); same as addonId, kept for upstream operator compatibility.'),
    addonId: str('Clever Cloud add-on id (addon_...).'),
    realId: str('Provider-specific id of the add-on (e.g. postgresql_...).'),
    organisation: str('The owner the add-on lives in, as resolved (orga_... or user_...).'),
    region: str('Region of the add-on.'),
    version: str('Version of the service as Clever Cloud reports or was asked for.'),
    plan: {
      type: 'object',
      description: 'The plan the add-on runs on, as resolved from spec.instance.plan.',
      properties: { id: str('Plan id (plan_...).'), slug: str('Plan slug.'), name: str('Plan name.') },
    },
    url: str('Main URL of the service, for application add-ons (Keycloak, Metabase, ...).'),
    adminUrl: str('Administration URL, where the service has one.'),
    admin_url: str('Same as adminUrl, under the name the upstream operator uses.'),
    binding: {
      type: 'object',
      description: 'servicebinding.io ProvisionedService: the Secret holding the connection details.',
      properties: { name: str('Name of the connection Secret in this namespace.') },
    },
    secretHash: str('SHA-256 of the connection Secret data; changes when credentials change.'),
    target: {
      type: 'object',
      description:
        'The plan, region and version the spec resolved to when last applied. A bound resource keeps them until ' +
        'the spec asks for another value: a plan or version Clever Cloud retires, or a newer minor version, ' +
        'changes nothing for it.',
      properties: {
        generation: { type: 'integer', format: 'int64', description: 'The spec generation they were resolved at.' },
        plan: {
          type: 'object',
          description: 'The plan resolved.',
          properties: { id: str('Plan id (plan_...).'), slug: str('Plan slug.') },
        },
        region: str('The region resolved.'),
        version: str('The version resolved, when the provider has versions.'),
        requested: {
          type: 'object',
          description: 'The spec values they were resolved from.',
          properties: {
            plan: str('spec.instance.plan as written.'),
            region: str('The region asked for.'),
            version: str('spec.options.version as written (a version code as its digits).'),
          },
        },
      },
    },
    migration: {
      type: 'object',
      description: 'The plan or version migration in progress or last run.',
      properties: {
        id: str('Clever Cloud migration id.'),
        status: str('Migration status as Clever Cloud reports it.'),
        targetPlanId: str('Plan being migrated to.'),
        targetVersion: str('Version being migrated to.'),
        startedAt: { type: 'string', format: 'date-time', description: 'When the migration was requested.' },
      },
    },
    backup: {
      type: 'object',
      description: 'Off-platform backups (spec.backup), as observed from the CronJob and its Jobs.',
      properties: {
        cronJobName: str('Name of the backup CronJob in this namespace.'),
        lastScheduleTime: { type: 'string', format: 'date-time', description: 'When a backup last started.' },
        lastSuccessfulTime: { type: 'string', format: 'date-time', description: 'When a backup last succeeded.' },
        lastSuccessfulKey: str('Object key of the last successful backup.'),
        lastFailedTime: { type: 'string', format: 'date-time', description: 'When a backup last failed.' },
        lastRetentionSweepTime: {
          type: 'string',
          format: 'date-time',
          description: 'When dumps beyond spec.backup.retention were last deleted.',
        },
        targetProblem: str('Why the CronJob cannot be written (the target Cellar or Secret is missing).'),
      },
    },
    restore: {
      type: 'object',
      description: 'The one-off restore of spec.restoreFrom.',
      properties: {
        source: str('What is restored: an object key, or the newest dump under a prefix.'),
        jobName: str('Name of the restore Job in this namespace.'),
        phase: {
          type: 'string',
          enum: ['Running', 'Succeeded', 'Failed', 'Lost', 'Refused', 'Skipped'],
          description:
            'Running, Succeeded or Failed; Lost (its Job vanished before it finished: not run again); Refused (the ' +
            'add-on was not created by this resource) or Skipped (it had been Ready): no Job was made.',
        },
        message: str('Why the restore was refused, skipped or lost.'),
        startTime: { type: 'string', format: 'date-time', description: 'When the restore Job started.' },
        completionTime: { type: 'string', format: 'date-time', description: 'When the restore Job finished.' },
      },
    },
    platformBackups: {
      type: 'object',
      description: "Clever Cloud's own backups of the add-on, refreshed at most every drift interval.",
      properties: {
        count: { type: 'integer', description: 'How many backups Clever Cloud keeps.' },
        latest: {
          type: 'object',
          description: 'The newest platform backup.',
          properties: {
            id: str('Backup id.'),
            status: str('Backup status as Clever Cloud reports it.'),
            createdAt: { type: 'string', format: 'date-time', description: 'When it was taken.' },
          },
        },
        checkedAt: { type: 'string', format: 'date-time', description: 'When the list was read.' },
      },
    },
    monthlyPrice: {
      type: 'number',
      description: "Monthly price of the resolved plan, from Clever Cloud's live catalogue (counted in budgets).",
    },
    currency: str('Currency of monthlyPrice, when the catalogue states one.'),
    deletionPolicy: {
      type: 'string',
      enum: ['Delete', 'Orphan'],
      description:
        'Deletion policy set by an AddonPolicy for an adopted add-on whose spec sets none (or whose adoption was ' +
        'refused): it wins over the default of spec.deletionPolicy.',
    },
    conditions: {
      type: 'array',
      description: 'Ready, Synced and (with spec.backup) BackupHealthy conditions.',
      items: conditionSchema,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    },
  },
};
