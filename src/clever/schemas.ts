// Response shapes of the Clever Cloud API calls in client.ts. Objects are loose: the API adds fields without notice and we must keep
// working; only the fields the operator relies on are required, so a missing one fails loudly with its JSON path.
import * as z from 'zod';

const str = z.string();
const optStr = z.string().nullish();

// ---- catalogue ------------------------------------------------------------------------------------------------

export const PlanFeatureSchema = z.looseObject({
  name: str,
  type: optStr,
  value: optStr,
  computable_value: optStr,
  name_code: optStr,
});

export const PlanSchema = z.looseObject({
  id: str,
  name: str,
  slug: str,
  price: z.number().nullish(),
  price_id: optStr,
  zones: z.array(str).nullish(),
  features: z.array(PlanFeatureSchema).nullish(),
});

export const AddonProviderSchema = z.looseObject({
  id: str,
  name: str,
  status: optStr,
  regions: z.array(str),
  canUpgrade: z.boolean().nullish(),
  features: z.array(z.looseObject({ name: str, type: optStr, name_code: optStr })).nullish(),
  plans: z.array(PlanSchema),
});
export const AddonProviderListSchema = z.array(AddonProviderSchema);

const ToggleFeatureSchema = z.looseObject({ name: str, enabled: z.boolean() });

export const ProviderInfoSchema = z.looseObject({
  providerId: str,
  clusters: z
    .array(
      z.looseObject({
        id: str,
        label: optStr,
        zone: str,
        version: str,
        features: z.array(ToggleFeatureSchema).nullish(),
      }),
    )
    .default([]),
  // Object form `{ "<version>": { features: [...] } }`, keyed by dedicated version.
  dedicated: z.record(str, z.looseObject({ features: z.array(ToggleFeatureSchema).default([]) })).default({}),
  defaultDedicatedVersion: optStr,
});

export const ZoneSchema = z.looseObject({
  id: str,
  name: str,
  country: optStr,
  countryCode: optStr,
  city: optStr,
  displayName: optStr,
  lat: z.number().nullish(),
  lon: z.number().nullish(),
  outboundIPs: z.array(str).nullish(),
  tags: z.array(str).default([]),
});
export const ZoneListSchema = z.array(ZoneSchema);

// ---- identity -------------------------------------------------------------------------------------------------

export const SelfSchema = z.looseObject({
  id: str,
  email: optStr,
  name: optStr,
});

export const OrganisationSchema = z.looseObject({
  id: str,
  name: str,
});
export const OrganisationListSchema = z.array(OrganisationSchema);

const AddonSummarySchema = z.looseObject({
  id: str,
  name: optStr,
  realId: str,
  providerId: str,
});

export const SummarySchema = z.looseObject({
  user: z.looseObject({ id: str, name: optStr, addons: z.array(AddonSummarySchema).default([]) }),
  organisations: z.array(z.looseObject({ id: str, name: str, addons: z.array(AddonSummarySchema).default([]) })),
});

// ---- add-ons (v2) ---------------------------------------------------------------------------------------------

export const AddonSchema = z.looseObject({
  id: str,
  // Nullable in the Rust SDK; the operator names every add-on it creates, so absence is tolerated, not expected.
  name: optStr,
  realId: str,
  region: str,
  zoneId: optStr,
  provider: z.looseObject({ id: str, name: optStr }),
  plan: z.looseObject({ id: str, name: optStr, slug: str }),
  creationDate: z.number(),
  configKeys: z.array(str).default([]),
});
export const AddonListSchema = z.array(AddonSchema);

export const EnvVarSchema = z.looseObject({ name: str, value: str });
export const EnvVarListSchema = z.array(EnvVarSchema);

export const MigrationSchema = z.looseObject({
  migrationId: str,
  requestDate: z.union([str, z.number()]).nullish(),
  status: str,
  steps: z
    .array(
      z.looseObject({
        name: str,
        value: z.unknown().optional(),
        status: str,
        startDate: z.union([str, z.number()]).nullish(),
        endDate: z.union([str, z.number()]).nullish(),
        message: optStr,
      }),
    )
    .default([]),
});
export const MigrationListSchema = z.array(MigrationSchema);

export const InstanceSchema = z.looseObject({
  id: str,
  appId: optStr,
  ip: optStr,
  appPort: z.number().nullish(),
  state: str,
});
export const InstanceListSchema = z.array(InstanceSchema);

export const BackupSchema = z.looseObject({
  backup_id: str,
  entity_id: optStr,
  status: str,
  creation_date: z.union([str, z.number()]),
  delete_at: z.union([str, z.number()]).nullish(),
  download_url: optStr,
});
export const BackupListSchema = z.array(BackupSchema);

// ---- provider-specific (v4) -----------------------------------------------------------------------------------

export const DatabaseInfoSchema = z.looseObject({
  id: optStr,
  app_id: optStr,
  owner_id: optStr,
  plan: optStr,
  zone: optStr,
  status: str,
  version: optStr,
  host: optStr,
  port: z.number().nullish(),
  database: optStr,
  user: optStr,
  password: optStr,
  features: z.array(ToggleFeatureSchema).nullish(),
});

export const PulsarSchema = z.looseObject({
  id: str,
  owner_id: optStr,
  tenant: str,
  namespace: str,
  cluster_id: str,
  token: str,
  status: str,
  plan: optStr,
  creation_date: optStr,
});

export const PulsarClusterSchema = z.looseObject({
  id: str,
  url: str,
  pulsar_port: z.number(),
  pulsar_tls_port: z.number(),
  web_port: z.number().nullish(),
  web_tls_port: z.number().nullish(),
  version: optStr,
  available: z.boolean().nullish(),
  zone: optStr,
});

export const MateriaKvSchema = z.looseObject({
  id: str,
  clusterId: optStr,
  ownerId: optStr,
  kind: optStr,
  plan: optStr,
  host: str,
  port: z.number(),
  token: optStr,
  tokenId: optStr,
  status: str,
});

export const OperatorSchema = z.looseObject({
  resourceId: str,
  addonId: str,
  name: optStr,
  ownerId: str,
  plan: optStr,
  version: str,
  accessUrl: str,
  availableVersions: z.array(str).default([]),
  resources: z.record(str, z.unknown()).default({}),
  envVars: z.record(str, z.unknown()).nullish(),
  initialCredentials: z.looseObject({ user: str, password: str }).nullish(),
  api: z.looseObject({ url: str }).nullish(),
});

export type Plan = z.infer<typeof PlanSchema>;
export type AddonProvider = z.infer<typeof AddonProviderSchema>;
export type ProviderInfo = z.infer<typeof ProviderInfoSchema>;
export type Zone = z.infer<typeof ZoneSchema>;
export type Self = z.infer<typeof SelfSchema>;
export type Organisation = z.infer<typeof OrganisationSchema>;
export type Summary = z.infer<typeof SummarySchema>;
export type Addon = z.infer<typeof AddonSchema>;
export type EnvVar = z.infer<typeof EnvVarSchema>;
export type Migration = z.infer<typeof MigrationSchema>;
export type Instance = z.infer<typeof InstanceSchema>;
export type Backup = z.infer<typeof BackupSchema>;
export type DatabaseInfo = z.infer<typeof DatabaseInfoSchema>;
export type Pulsar = z.infer<typeof PulsarSchema>;
export type PulsarCluster = z.infer<typeof PulsarClusterSchema>;
export type MateriaKv = z.infer<typeof MateriaKvSchema>;
export type OperatorInfo = z.infer<typeof OperatorSchema>;

/** `$[0].plans[2].id` from a zod issue path. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '$';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}
