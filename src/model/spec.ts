// Building blocks of add-on specs. Every field carries a description (it ends up in `kubectl explain`), and rules
// that Clever cannot honour later (changing region, organisation, encryption) are CEL transition rules, so the API
// server refuses the edit at admission instead of the operator discovering it after the fact.
//
// Upstream compatibility: every manifest valid for the upstream operator's CRDs must stay valid here, so fields the
// upstream requires are optional here (with defaults or values resolved at reconcile time), and upstream's integer
// version codes are accepted next to version strings.
import { z } from 'zod';

type CelRule = { rule: string; message: string };
const cel = (...rules: CelRule[]) => ({ 'x-kubernetes-validations': rules });
const immutable = (field: string): CelRule => ({ rule: 'self == oldSelf', message: `${field} is immutable` });

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const organisationField = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .meta({
    description:
      'Clever Cloud owner of the add-on: an organisation id (orga_...) or a personal space (user_...). ' +
      'Defaults to the organisation of the operator configuration, else the personal space of the credentials. ' +
      'Immutable once the add-on exists (status.addonId): an add-on cannot move between owners; before that it ' +
      'can be corrected. The rule sits on the resource root (src/model/crd.ts), where status is visible.',
  });

export const deletionPolicyField = z
  .enum(['Delete', 'Orphan'])
  .default('Delete')
  .meta({
    description:
      'What happens to the Clever Cloud add-on when this resource is deleted: Delete removes it (and its data); ' +
      'Orphan leaves it running and billed, detached from Kubernetes.',
  });

export const credentialsRefField = z
  .object({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(DNS_SUBDOMAIN)
      .meta({ description: 'Name of a Secret in the same namespace as this resource.' }),
  })
  .optional()
  .meta({
    description:
      'Clever Cloud credentials for this resource only: a Secret in the same namespace with keys token and secret ' +
      '(OAuth1, optionally consumerKey and consumerSecret), or apiToken. Overrides the namespace and global ' +
      'configuration. Secrets of other namespaces can never be used.',
  });

const labelMap = (what: string) =>
  z
    .record(z.string(), z.string())
    .optional()
    .meta({ description: `${what} added to the connection Secret.` });

export const ROLLOUT_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Instance'] as const;

export const secretField = z
  .object({
    name: z.string().min(1).max(253).regex(DNS_SUBDOMAIN).optional().meta({
      description: 'Name of the connection Secret. Default: <resource name>-secrets (as the upstream operator).',
    }),
    labels: labelMap('Labels'),
    annotations: labelMap('Annotations'),
    dialects: z
      .array(z.enum(['clever', 'serviceBinding', 'consumer']).meta({ description: 'A dialect.' }))
      .min(1)
      .optional()
      .meta({
        description:
          'Which keys the Secret holds: clever (the add-on environment verbatim, e.g. POSTGRESQL_ADDON_HOST), ' +
          'serviceBinding (servicebinding.io keys type, provider, host, port, username, password, database, uri) ' +
          'and consumer (DATABASE_URL, REDIS_URL, AWS_*). Default: all three.',
      }),
    template: z
      .record(
        z
          .string()
          .regex(/^[-._a-zA-Z0-9]+$/)
          .max(253),
        z.string().max(4096),
      )
      .optional()
      .meta({
        description:
          'Extra keys rendered from the add-on values: "{{ NAME }}" or "{{ NAME | filter }}" where NAME is any key ' +
          'of the three dialects and filters are urlencode, base64, upper, lower, trim. An unknown NAME is an ' +
          'error in status, never an empty value. Example: JDBC_URL: "jdbc:postgresql://{{ host }}:{{ port }}/{{ database }}".',
      }),
    rolloutRestart: z
      .array(
        z
          .object({
            kind: z.enum(ROLLOUT_KINDS).meta({
              description:
                'Deployment, StatefulSet or DaemonSet (apps/v1), or Instance (a Paperclip paperclip.inc/v1alpha1 Instance).',
            }),
            name: z.string().min(1).max(253).meta({ description: 'Name of the workload, in this namespace.' }),
          })
          .meta({ description: 'A workload to restart.' }),
      )
      .max(32)
      .optional()
      .meta({
        description:
          'Workloads restarted when the Secret content changes (credential rotation): the operator sets the ' +
          'annotation clever-cloud.com/secret-hash.<kind>.<name> on their pod template (Paperclip: spec.podAnnotations).',
      }),
  })
  .optional()
  .meta({ description: 'The connection Secret the operator writes with the add-on credentials.' });

/** The S3 bucket naming rules, as the description and the CEL rules below state them. */
export const bucketNameField = z
  .string()
  .min(3)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/)
  .meta({
    description:
      'Bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or a ' +
      'digit. Bucket names are global on Cellar (shared by every account), so make it yours, e.g. with a prefix.',
    ...cel(
      { rule: "!self.contains('..')", message: 'a bucket name must not contain two adjacent periods' },
      {
        rule: "!self.matches('^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$')",
        message: 'a bucket name must not look like an IP address',
      },
      {
        rule: "!self.startsWith('xn--') && !self.startsWith('sthree-') && !self.endsWith('-s3alias')",
        message: 'a bucket name must not start with xn-- or sthree- nor end with -s3alias',
      },
    ),
  });

/** The fields of object-storage kinds (Cellar): buckets the operator creates and deletes with the add-on. */
export const objectStorageSpecShape = {
  buckets: z
    .array(z.object({ name: bucketNameField }).meta({ description: 'A bucket on this add-on.' }))
    .max(100)
    .optional()
    .meta({
      description:
        'Buckets the operator creates (through the S3 API, once the add-on is ready and before the connection ' +
        'Secret is written) and deletes with the add-on when deletionPolicy is Delete. A bucket that already ' +
        'exists and is reachable with the add-on keys is adopted. Status lists each bucket and its state.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
  bucketDeletionPolicy: z
    .enum(['RequireEmpty', 'DeleteContents'])
    .default('RequireEmpty')
    .meta({
      description:
        'What deleting a bucket does to its objects. RequireEmpty (default): a bucket that holds objects is not ' +
        'deleted; the resource reports Synced=False reason=BucketNotEmpty naming it, and with deletionPolicy ' +
        'Delete the add-on is kept until the bucket is emptied. DeleteContents: its objects are deleted first.',
    }),
  pruneBuckets: z
    .boolean()
    .default(false)
    .meta({
      description:
        'Delete buckets removed from spec.buckets (following bucketDeletionPolicy). Default false: a removed ' +
        'bucket is kept with its objects and no longer managed.',
    }),
};

/** The region each `spec.instance` field defaults to, so a provider's default region is read from its spec. */
const instanceDefaultRegions = new WeakMap<z.ZodType, string>();

/** The default region of a spec's `instance` field (instanceField, regionOnlyInstanceField); undefined without one. */
export function instanceDefaultRegion(spec: z.ZodType): string | undefined {
  const instance: unknown = spec instanceof z.ZodObject ? spec.shape.instance : undefined;
  return instance instanceof z.ZodType ? instanceDefaultRegions.get(instance) : undefined;
}

/** `spec.instance` of kinds that have plans (upstream: region and plan, both required there). */
export function instanceField(defaultRegion: string) {
  const field = z
    .object({
      region: z
        .string()
        .min(1)
        .max(32)
        .default(defaultRegion)
        .meta({
          description:
            `Clever Cloud region (zone) of the add-on, e.g. par, mtl, rbx. Default: ${defaultRegion}. ` +
            'Immutable once the add-on exists (status.addonId); before that a typo can be corrected.',
        }),
      plan: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .meta({
          description:
            'Plan as a slug (xs_sml), a name (XS Small Space) or an id (plan_...), case-insensitive. ' +
            "Default: the provider's cheapest plan. Changing it migrates the add-on; the resolved plan is " +
            'reported in status, never written back here.',
        }),
    })
    .prefault({})
    .meta({ description: 'Where the add-on runs and how big it is.' });
  instanceDefaultRegions.set(field, defaultRegion);
  return field;
}

/** `spec.instance` of kinds without plans (upstream Pulsar and KV: region only). */
export function regionOnlyInstanceField(defaultRegion: string) {
  const field = z
    .object({
      region: z
        .string()
        .min(1)
        .max(32)
        .default(defaultRegion)
        .meta({
          description:
            `Clever Cloud region (zone) of the add-on. Default: ${defaultRegion}. ` +
            'Immutable once the add-on exists (status.addonId); before that a typo can be corrected.',
        }),
      plan: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .meta({ description: "Plan slug, name or id. Default: the provider's only or cheapest plan." }),
    })
    .prefault({})
    .meta({ description: 'Where the add-on runs.' });
  instanceDefaultRegions.set(field, defaultRegion);
  return field;
}

export const versionField = z
  .union([z.number().int(), z.string().min(1).max(32)])
  .optional()
  .meta({
    description:
      'Version of the service, as a string ("17", "8.0", "7.2.4") or as an upstream operator integer code ' +
      '(17, 80, 724). Validated against the versions Clever Cloud currently offers. Default: the provider default. ' +
      'Changing it migrates the add-on.',
  });

export const encryptionField = z
  .boolean()
  .optional()
  .meta({ description: 'Encryption at rest. Default: false. Immutable.', ...cel(immutable('encryption')) });

/** `spec.options` of database kinds (upstream: version and encryption, both required there), and the kind's own. */
export function databaseOptionsField<Extra extends z.ZodRawShape = Record<never, never>>(extra?: Extra) {
  const object = z.object({ version: versionField, encryption: encryptionField, ...(extra as Extra) });
  return object
    .prefault({} as z.input<typeof object>)
    .meta({ description: 'Service options applied when the add-on is created (version changes migrate it).' });
}

/** `spec.options` of kinds that have none (upstream declares an empty object). */
export const emptyOptionsField = z
  .object({})
  .prefault({})
  .meta({ description: 'Reserved for provider options; this kind has none.' });

/** The fields every add-on kind has. */
export const commonSpecShape = {
  organisation: organisationField,
  deletionPolicy: deletionPolicyField,
  credentialsRef: credentialsRefField,
  secret: secretField,
};

export function addonSpec<T extends z.ZodRawShape>(shape: T, description: string) {
  return z.object({ ...commonSpecShape, ...shape }).meta({ description });
}

/** Create options of database kinds, as Clever expects them: strings, and only what the user set. */
export function databaseOptions(options: { encryption?: boolean | undefined }): Record<string, string> {
  return options.encryption === undefined ? {} : { encryption: String(options.encryption) };
}

/** Fields of `spec.options` of application add-ons (Keycloak, Metabase, Otoroshi, Matomo). */
export const applicationVersionField = z
  .string()
  .min(1)
  .max(32)
  .optional()
  .meta({ description: 'Version of the application, among those Clever Cloud offers. Default: the latest.' });

export const accessDomainField = z
  .string()
  .min(1)
  .max(253)
  .optional()
  .meta({ description: 'Custom domain to serve the application on (Clever option access-domain).' });

export const routesDomainField = z
  .string()
  .min(1)
  .max(253)
  .optional()
  .meta({ description: 'Domain for the routes Otoroshi exposes (Clever option routes-domain).' });

/** An options object whose fields are all optional (so an absent `options` parses as `{}`). */
export function optionsObject<T extends z.ZodRawShape>(shape: T) {
  const object = z.object(shape);
  return object
    .prefault({} as z.input<typeof object>)
    .meta({ description: 'Options applied when the add-on is created.' });
}

/** Create options of application add-ons, as Clever expects them. */
export function applicationOptions(options: { accessDomain?: string | undefined; routesDomain?: string | undefined }) {
  const out: Record<string, string> = {};
  if (options.accessDomain) out['access-domain'] = options.accessDomain;
  if (options.routesDomain) out['routes-domain'] = options.routesDomain;
  return out;
}

// Off-platform backups (spec.backup, spec.restoreFrom) for kinds whose provider declares dump/restore tools.

const localName = (what: string) =>
  z
    .string()
    .min(1)
    .max(253)
    .regex(DNS_SUBDOMAIN)
    .meta({ description: `Name of ${what}, in this namespace.` });

const s3BucketName = z
  .string()
  .min(3)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/)
  .meta({ description: 'S3 bucket name.' });

export const backupTargetField = z
  .object({
    cellarRef: z
      .object({
        name: localName('a Cellar resource'),
        bucket: s3BucketName,
      })
      .optional()
      .meta({
        description:
          'A Cellar resource of this namespace: the endpoint and keys come from its connection Secret ' +
          '(status.binding.name, default <cellar>-secrets, consumer keys AWS_*).',
      }),
    s3: z
      .object({
        endpoint: z
          .string()
          .min(1)
          .max(512)
          .regex(/^https?:\/\/[^\s]+$/)
          .meta({ description: 'S3 endpoint URL, e.g. https://s3.fr-par.scw.cloud.' }),
        bucket: s3BucketName,
        region: z
          .string()
          .min(1)
          .max(64)
          .optional()
          .meta({ description: 'S3 region. Default: us-east-1 (what most S3-compatible stores accept).' }),
        credentialsSecretRef: z.object({ name: localName('a Secret') }).meta({
          description: 'A Secret of this namespace with the keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
        }),
      })
      .optional()
      .meta({ description: 'Any S3-compatible store, with credentials from a Secret of this namespace.' }),
  })
  .meta({
    description: 'Where dumps are stored: exactly one of cellarRef or s3.',
    ...cel({ rule: 'has(self.cellarRef) != has(self.s3)', message: 'set exactly one of cellarRef or s3' }),
  });

export const CRON_FIELDS = /^[0-9A-Za-z*/,?-]+( +[0-9A-Za-z*/,?-]+){4}$/;
export const RETENTION = /^[1-9][0-9]{0,4}[hdw]$/;

export const backupField = z
  .object({
    schedule: z
      .string()
      .min(9)
      .max(128)
      .regex(CRON_FIELDS)
      .meta({
        description:
          'When to dump, as a five-field cron expression in UTC (minute hour day-of-month month day-of-week), ' +
          'e.g. "17 3 * * *". Macros (@daily) and CRON_TZ are not accepted: the schedule is always UTC.',
      }),
    retention: z
      .string()
      .max(8)
      .regex(RETENTION)
      .default('30d')
      .meta({
        description:
          'How long dumps are kept, as a number and a unit h (hours), d (days) or w (weeks), e.g. 30d, 12h. ' +
          'Older dumps under the prefix are deleted after each successful backup; the newest is always kept.',
      }),
    target: backupTargetField,
    prefix: z
      .string()
      .max(256)
      .regex(/^[A-Za-z0-9._/-]*$/)
      .optional()
      .meta({
        description:
          'Object key prefix. Default: <namespace>/<name>/. Keys are <prefix><UTC time, e.g. 20250131T031700Z>.<ext>.',
      }),
    suspend: z
      .boolean()
      .optional()
      .meta({ description: 'Stop scheduling new backups (the CronJob is kept, with suspend: true).' }),
    image: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .meta({
        description:
          'Image running the dump: needs sh, the database client tools and the aws CLI. Default: the operator ' +
          'backup image (docker/backup-tools).',
      }),
  })
  .optional()
  .meta({
    description:
      'Off-platform backups: a CronJob the operator owns dumps the database to an S3 bucket on a schedule, ' +
      'with retention. Clever Cloud keeps its own backups as well (see status.platformBackups). Removing this ' +
      'field removes the CronJob (stored dumps are kept).',
  });

export const restoreFromField = z
  .object({
    key: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .meta({ description: 'Object key of the dump to restore, e.g. team/app-db/20250131T031700Z.dump.' }),
    latestOf: z
      .object({
        name: localName('the resource whose backups to restore from'),
        prefix: z
          .string()
          .max(256)
          .regex(/^[A-Za-z0-9._/-]*$/)
          .optional()
          .meta({ description: "That resource's backup prefix. Default: <namespace>/<name>/." }),
      })
      .optional()
      .meta({ description: 'Restore the newest dump under the backup prefix of another resource.' }),
    target: backupTargetField
      .optional()
      .meta({ description: 'Where the dump is. Default: spec.backup.target of this resource.' }),
    image: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .meta({ description: 'Image running the restore. Default: spec.backup.image, else the operator backup image.' }),
  })
  .optional()
  .meta({
    description:
      'Load a dump into the new add-on before it is reported Ready (Ready=False reason Restoring meanwhile). ' +
      'Runs once, as a Job; the result is recorded in status.restore. Can only be set when the resource is created.',
    ...cel({ rule: 'has(self.key) != has(self.latestOf)', message: 'set exactly one of key or latestOf' }),
  });

/** The spec of kinds with backups: the common fields, the kind's own, backup and restoreFrom. */
export function backupSpec<T extends z.ZodRawShape>(shape: T, description: string) {
  return z.object({ ...commonSpecShape, ...shape, backup: backupField, restoreFrom: restoreFromField }).meta({
    description,
    ...cel(
      {
        rule: '!has(self.restoreFrom) || has(oldSelf.restoreFrom)',
        message: 'restoreFrom can only be set when the resource is created',
      },
      {
        rule: '!has(self.restoreFrom) || has(self.restoreFrom.target) || has(self.backup)',
        message: 'restoreFrom needs a target, or spec.backup.target to read from',
      },
    ),
  });
}
