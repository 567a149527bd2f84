// Shared by the application add-ons (Keycloak, Metabase, Matomo, Otoroshi): the spec (instance, and options among
// version, access domain and routes domain), readiness from their instances, a URL in the binding and in status,
// sometimes admin credentials. Each kind adds its names and which variables hold its URLs and credentials.
import type { z } from 'zod';
import { need } from '../src/model/env.ts';
import {
  defineProvider,
  type Binding,
  type InstanceSpec,
  type ProviderDefinition,
  type ProviderInput,
} from '../src/model/provider.ts';
import {
  accessDomainField,
  addonSpec,
  applicationOptions,
  applicationVersionField,
  instanceField,
  optionsObject,
  routesDomainField,
} from '../src/model/spec.ts';

/** The part of an application kind's spec the shared functions read. */
export interface ApplicationSpec extends InstanceSpec {
  options: { version?: string | undefined; accessDomain?: string | undefined; routesDomain?: string | undefined };
}

export interface ApplicationKind extends Omit<
  ProviderInput<ApplicationSpec>,
  'spec' | 'readiness' | 'requestedVersion' | 'options' | 'binding' | 'statusFields' | 'printerColumns'
> {
  /** The description of `.spec`. */
  specDescription: string;
  /** The spec has options.version (the application's version among those Clever offers). */
  versioned: boolean;
  /** The spec has options.routesDomain. */
  routesDomain?: boolean;
  /** servicebinding.io `type` of the Secret. */
  bindingType: string;
  /** The variable holding the application's URL, and the one holding its admin URL if any. */
  urlVar: string;
  adminUrlVar?: string;
  /** The variables holding the initial admin credentials, if the add-on has any. */
  credentials?: { username: string; password: string };
}

export function applicationProvider(kind: ApplicationKind): ProviderDefinition<ApplicationSpec> {
  const { specDescription, versioned, routesDomain, bindingType, urlVar, adminUrlVar, credentials, ...rest } = kind;
  const fields = {
    ...(versioned ? { version: applicationVersionField } : {}),
    accessDomain: accessDomainField,
    ...(routesDomain ? { routesDomain: routesDomainField } : {}),
  };
  // Which optional fields a kind has varies, which zod cannot infer: their type is stated instead.
  const options = optionsObject(fields) as z.ZodType<ApplicationSpec['options']>;
  const spec: z.ZodType<ApplicationSpec> = addonSpec({ instance: instanceField('par'), options }, specDescription);
  return defineProvider<ApplicationSpec>({
    ...rest,
    spec,
    ...(versioned ? { requestedVersion: (s: ApplicationSpec) => s.options.version } : {}),
    options: (s) => applicationOptions(s.options),
    readiness: { kind: 'instancesUp' },
    binding: (env) => applicationBinding(bindingType, env, urlVar, credentials),
    statusFields: (env) => urlStatus(env, urlVar, adminUrlVar),
    printerColumns: [{ name: 'URL', type: 'string', jsonPath: '.status.url' }],
  });
}

export function applicationBinding(
  type: string,
  env: Record<string, string>,
  urlVar: string,
  credentials?: { username: string; password: string },
): Binding {
  const uri = need(env, urlVar);
  return {
    serviceBinding: {
      type,
      uri,
      host: new URL(uri).host,
      ...(credentials && env[credentials.username] ? { username: env[credentials.username] } : {}),
      ...(credentials && env[credentials.password] ? { password: env[credentials.password] } : {}),
    },
    consumer: {},
  };
}

/** `url` (and `adminUrl`, plus upstream's `admin_url`) for status, from the add-on's environment. */
export function urlStatus(env: Record<string, string>, urlVar: string, adminVar?: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (env[urlVar]) out.url = env[urlVar];
  if (adminVar && env[adminVar]) {
    out.adminUrl = env[adminVar];
    out.admin_url = env[adminVar];
  }
  return out;
}
