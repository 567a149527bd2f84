// The status every add-on kind reports. Two condition axes, as Crossplane does: Ready (is the add-on usable) and
// Synced (did the last reconcile succeed). `addon` repeats `addonId` because the upstream operator's users and
// tools read `.status.addon`.

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: 'Ready' | 'Synced';
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type Phase = 'Pending' | 'Provisioning' | 'Ready' | 'Updating' | 'Deleting' | 'Failed' | 'Paused';

export interface AddonStatus {
  observedGeneration?: number;
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
  migration?: { id: string; status: string; targetPlanId?: string; targetVersion?: string; startedAt?: string };
  /** Object-storage kinds (Cellar): the managed buckets (see src/reconcile/buckets.ts). */
  buckets?: { name: string; state: 'Ready' | 'Unavailable' | 'NotEmpty' | 'Deleting'; message?: string }[];
  conditions?: Condition[];
}

const str = (description: string) => ({ type: 'string', description });

const conditionSchema = {
  type: 'object',
  description: 'A condition of the resource.',
  required: ['type', 'status', 'lastTransitionTime'],
  properties: {
    type: str('Ready (the add-on is usable) or Synced (the last reconcile succeeded).'),
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
    conditions: {
      type: 'array',
      description: 'Ready and Synced conditions.',
      items: conditionSchema,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    },
  },
};
