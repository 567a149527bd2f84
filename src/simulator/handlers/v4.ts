// Provider-specific v4 reads: database details (status PROVISIONING -> ACTIVE), Pulsar, Materia KV, operators and
// the config provider's env. These have no owner in the path (except Materia), so ownership is checked on the
// add-on found, and a foreign add-on is indistinguishable from a missing one.
import { json, v4Error, type Reply } from '../http.ts';
import type { RouteContext } from '../router.ts';
import type { EnvVar, SimulatedAddon } from '../types.ts';
import {
  configProviderView,
  databaseView,
  kvView,
  operatorView,
  PULSAR_CLUSTERS,
  pulsarView,
  versionCheckView,
} from '../views.ts';
import { accountOf, canActOn, isRecord, type HandlerDeps } from './context.ts';

const DB_PROVIDERS = ['postgresql-addon', 'mysql-addon', 'mongodb-addon', 'es-addon', 'redis-addon'];
/** v4 path segment -> v2 provider id (the path is always addon-<name>). */
const OPERATORS: Record<string, string> = {
  'addon-keycloak': 'keycloak',
  'addon-metabase': 'metabase',
  'addon-matomo': 'addon-matomo',
  'addon-otoroshi': 'otoroshi',
};

function notFound(id: string): Reply {
  return v4Error(404, 'clever.addon.not-found', `Add-on ${id} not found`, { addonId: id });
}

export function registerV4(deps: HandlerDeps): void {
  const { router, service, now } = deps;

  /** Finds an add-on of the given provider that the caller may see. */
  const lookup = (ctx: RouteContext, providerId: string, param: string): SimulatedAddon | undefined => {
    const addon = service.findAny(ctx.params[param] ?? '');
    if (!addon || addon.providerId !== providerId || !canActOn(accountOf(ctx), addon.ownerId)) return undefined;
    return addon;
  };

  for (const providerId of DB_PROVIDERS) {
    router.add('GET', `/v4/addon-providers/${providerId}/addons/{addonId}`, (ctx) => {
      const addon = lookup(ctx, providerId, 'addonId');
      return addon ? json(databaseView(addon, now())) : notFound(ctx.params.addonId ?? '');
    });
  }

  router.add('GET', '/v4/addon-providers/addon-pulsar/addons/{realId}', (ctx) => {
    const addon = lookup(ctx, 'addon-pulsar', 'realId');
    return addon ? json(pulsarView(addon)) : notFound(ctx.params.realId ?? '');
  });
  router.add('GET', '/v4/addon-providers/addon-pulsar/clusters/{clusterId}', (ctx) => {
    const cluster = PULSAR_CLUSTERS[ctx.params.clusterId ?? ''];
    return cluster
      ? json(cluster)
      : v4Error(404, 'clever.pulsar.cluster-not-found', `Cluster ${ctx.params.clusterId} not found`, {
          clusterId: ctx.params.clusterId,
        });
  });

  router.add('GET', '/v4/materia/organisations/{ownerId}/materia/databases/{realId}', (ctx) => {
    const ownerId = ctx.params.ownerId ?? '';
    if (!canActOn(accountOf(ctx), ownerId)) {
      return v4Error(403, 'clever.iam.forbidden', `You don't have access to ${ownerId}`, { ownerId });
    }
    const addon = lookup(ctx, 'kv', 'realId');
    return addon && addon.ownerId === ownerId ? json(kvView(addon, now())) : notFound(ctx.params.realId ?? '');
  });

  for (const [segment, providerId] of Object.entries(OPERATORS)) {
    router.add('GET', `/v4/addon-providers/${segment}/addons/{realId}`, (ctx) => {
      const addon = lookup(ctx, providerId, 'realId');
      return addon ? json(operatorView(addon)) : notFound(ctx.params.realId ?? '');
    });
    // `clever keycloak|metabase|matomo|otoroshi version check|update`: the installed version against the ones
    // the provider offers (`installed`, `latest`, `needUpdate`, `available`, as the CLI reads them).
    router.add('GET', `/v4/addon-providers/${segment}/addons/{realId}/version/check`, (ctx) => {
      const addon = lookup(ctx, providerId, 'realId');
      return addon ? json(versionCheckView(addon)) : notFound(ctx.params.realId ?? '');
    });
    router.add('POST', `/v4/addon-providers/${segment}/addons/{realId}/version/update`, (ctx) => {
      const addon = lookup(ctx, providerId, 'realId');
      if (!addon) return notFound(ctx.params.realId ?? '');
      const target = isRecord(ctx.body) ? ctx.body.targetVersion : undefined;
      const { available } = versionCheckView(addon);
      if (typeof target !== 'string' || !available.includes(target)) {
        return v4Error(400, 'clever.addon.invalid-version', `targetVersion: expected one of ${available.join(', ')}`, {
          available,
        });
      }
      service.setVersion(addon, target);
      return json(operatorView(addon));
    });
  }

  router.add('GET', '/v4/addon-providers/config-provider/addons/{realId}', (ctx) => {
    const addon = lookup(ctx, 'config-provider', 'realId');
    return addon ? json(configProviderView(addon)) : notFound(ctx.params.realId ?? '');
  });
  router.add('GET', '/v4/addon-providers/config-provider/addons/{realId}/env', (ctx) => {
    const addon = lookup(ctx, 'config-provider', 'realId');
    return addon ? json(addon.env) : notFound(ctx.params.realId ?? '');
  });
  router.add('PUT', '/v4/addon-providers/config-provider/addons/{realId}/env', (ctx) => {
    const addon = lookup(ctx, 'config-provider', 'realId');
    if (!addon) return notFound(ctx.params.realId ?? '');
    const env = parseEnvArray(ctx.body);
    if (typeof env === 'string') return v4Error(400, 'clever.config-provider.invalid-env', env, {});
    service.replaceEnv(addon, env);
    return json(addon.env);
  });
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** The full replacement array, or an error message. */
function parseEnvArray(body: unknown): EnvVar[] | string {
  if (!Array.isArray(body)) return 'body: expected an array of {"name","value"}';
  const seen = new Set<string>();
  const out: EnvVar[] = [];
  for (const [i, item] of body.entries()) {
    const rec = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
    const { name, value } = rec;
    if (typeof name !== 'string' || !ENV_NAME.test(name)) return `body[${i}].name: invalid variable name`;
    if (typeof value !== 'string') return `body[${i}].value: must be a string`;
    if (seen.has(name)) return `body[${i}].name: duplicate variable ${name}`;
    seen.add(name);
    out.push({ name, value });
  }
  return out;
}
