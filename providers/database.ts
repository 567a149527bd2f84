// Shared by the database kinds (PostgreSQL, MySQL, MongoDB, Redis, Elasticsearch): the spec (instance, version and
// encryption options, backup fields for kinds with dump tools), version and create options read from it, readiness
// from the database's own status, and the Version column. Each kind adds its names, binding and tools.
import type { z } from 'zod';
import { databaseConnection } from '../src/model/env.ts';
import {
  defineProvider,
  type Binding,
  type InstanceSpec,
  type ProviderDefinition,
  type ProviderInput,
} from '../src/model/provider.ts';
import { addonSpec, backupSpec, databaseOptions, databaseOptionsField, instanceField } from '../src/model/spec.ts';

/** The part of a database kind's spec the shared functions read. */
export interface DatabaseSpec extends InstanceSpec {
  options: { version?: string | number | undefined; encryption?: boolean | undefined } & Record<string, unknown>;
}

export interface DatabaseKind extends Omit<
  ProviderInput<DatabaseSpec>,
  'spec' | 'readiness' | 'versions' | 'requestedVersion' | 'options' | 'printerColumns'
> {
  /** The description of `.spec`. */
  specDescription: string;
  /** Upstream operator integer version codes and the version each stands for. */
  upstreamCodes: Record<number, string>;
  /** Options of this kind beyond version and encryption, and the create options they become. */
  extraOptions?: { shape: z.ZodRawShape; create(options: DatabaseSpec['options']): Record<string, string> };
}

export function databaseProvider(kind: DatabaseKind): ProviderDefinition<DatabaseSpec> {
  const { specDescription, upstreamCodes, extraOptions, ...rest } = kind;
  const shape = { instance: instanceField('par'), options: databaseOptionsField(extraOptions?.shape) };
  // Kinds with dump and restore tools accept spec.backup and spec.restoreFrom.
  const spec: z.ZodType<DatabaseSpec> = rest.backup
    ? backupSpec(shape, specDescription)
    : addonSpec(shape, specDescription);
  return defineProvider<DatabaseSpec>({
    ...rest,
    spec,
    versions: { upstreamCodes },
    requestedVersion: (s) => s.options.version,
    options: (s) => ({ ...databaseOptions(s.options), ...extraOptions?.create(s.options) }),
    readiness: { kind: 'databaseStatus' },
    printerColumns: [{ name: 'Version', type: 'string', jsonPath: '.status.version', priority: 1 }],
  });
}

/** The environment a database add-on carries under `<PREFIX>_`: what its binding and templates may read. */
export function databaseEnvKeys(prefix: string): string[] {
  return ['HOST', 'PORT', 'DB', 'USER', 'PASSWORD', 'URI', 'VERSION'].map((k) => `${prefix}_${k}`);
}

/**
 * The binding of a database whose environment follows `<PREFIX>_HOST/_PORT/_USER/_PASSWORD/_DB`, with the
 * consumer keys made from its URL.
 */
export function databaseBinding(
  env: Record<string, string>,
  prefix: string,
  scheme: string,
  consumer: (url: string) => Record<string, string>,
): Binding {
  const { host, port, username, password, database, url } = databaseConnection(env, prefix, scheme);
  return {
    serviceBinding: { type: scheme, host, port, username, password, database, uri: url },
    consumer: consumer(url),
  };
}
