// v2 add-on lifecycle: list, create, get, rename, delete, env, instances, migrations, backups.
import { MIGRATABLE } from '../catalogue.ts';
import { ADDON_NOT_FOUND, json, v2Error, V2_ERR, type Reply } from '../http.ts';
import type { RouteContext } from '../router.ts';
import type { SimulatedAddon } from '../types.ts';
import { checkRegion, resolvePlan, resolveVersion, validateCreate } from '../validate.ts';
import { addonView, backupsView, instancesView, migrationView, planOf } from '../views.ts';
import { accountOf, addOwnerRoute, canActOn, isRecord, type HandlerDeps } from './context.ts';

const DATABASES = new Set(['postgresql-addon', 'mysql-addon', 'mongodb-addon', 'redis-addon', 'es-addon']);

export function registerAddons(deps: HandlerDeps): void {
  const { router, service, now } = deps;

  const withAddon =
    (fn: (ctx: RouteContext, addon: SimulatedAddon, ownerId: string) => Reply) =>
    (ctx: RouteContext, ownerId: string): Reply => {
      const addon = service.find(ownerId, ctx.params.addonId ?? '');
      return addon ? fn(ctx, addon, ownerId) : ADDON_NOT_FOUND();
    };

  addOwnerRoute(router, 'GET', '/addons', (_ctx, ownerId) => json(service.list(ownerId).map(addonView)));

  addOwnerRoute(router, 'POST', '/addons', (ctx, ownerId) => {
    const result = validateCreate(ctx.body);
    if (!result.ok) {
      const { status, message } = result.error;
      return v2Error(status, status === 404 ? V2_ERR.notFound : V2_ERR.badRequest, message);
    }
    const { plan } = result.value;
    const retired = deps.catalogue.retired(result.value.provider.id, plan.id, result.value.version);
    if (retired) return v2Error(400, V2_ERR.badRequest, retired);
    if (deps.paymentRequiredPlans.includes(plan.id) || deps.paymentRequiredPlans.includes(plan.slug)) {
      return {
        status: 402,
        body: {
          id: V2_ERR.paymentRequired,
          message: 'A payment confirmation is required to provision this add-on',
          type: 'error',
          paymentIntent: { id: `pi_${plan.id.slice(5, 17)}`, clientSecret: 'sim_client_secret' },
        },
      };
    }
    return json(addonView(service.create(ownerId, result.value)));
  });

  addOwnerRoute(
    router,
    'GET',
    '/addons/{addonId}',
    withAddon((_ctx, addon) => json(addonView(addon))),
  );

  addOwnerRoute(
    router,
    'PUT',
    '/addons/{addonId}',
    withAddon((ctx, addon) => {
      const name = isRecord(ctx.body) ? ctx.body.name : undefined;
      if (typeof name !== 'string' || name === '') return v2Error(400, V2_ERR.badRequest, 'name: is required');
      return json(addonView(service.rename(addon, name)));
    }),
  );

  addOwnerRoute(
    router,
    'DELETE',
    '/addons/{addonId}',
    withAddon((_ctx, addon) => {
      service.delete(addon);
      return json({ id: 11002, message: 'The addon has been successfully deleted', type: 'success' });
    }),
  );

  addOwnerRoute(
    router,
    'GET',
    '/addons/{addonId}/env',
    withAddon((_ctx, addon) => json(addon.env.map((e) => ({ name: e.name, value: e.value })))),
  );

  addOwnerRoute(
    router,
    'GET',
    '/addons/{addonId}/instances',
    withAddon((_ctx, addon) => json(instancesView(addon, now()))),
  );

  addOwnerRoute(
    router,
    'GET',
    '/addons/{addonId}/applications',
    withAddon(() => json([])),
  );

  addOwnerRoute(
    router,
    'GET',
    '/addons/{addonId}/migrations',
    withAddon((_ctx, addon) => json(addon.migrations.map((m) => migrationView(m, now())))),
  );

  addOwnerRoute(
    router,
    'GET',
    '/addons/{addonId}/migrations/{migrationId}',
    withAddon((ctx, addon) => {
      const m = addon.migrations.find((x) => x.migrationId === ctx.params.migrationId);
      return m ? json(migrationView(m, now())) : v2Error(404, V2_ERR.notFound, 'This migration does not exist.');
    }),
  );

  addOwnerRoute(
    router,
    'POST',
    '/addons/{addonId}/migrations',
    withAddon((ctx, addon) => startMigration(deps, ctx, addon)),
  );

  router.add('GET', '/v2/backups/{ownerId}/{realId}', (ctx) => {
    const ownerId = ctx.params.ownerId ?? '';
    if (!canActOn(accountOf(ctx), ownerId)) {
      return v2Error(403, V2_ERR.forbidden, `You don't have access to the organisation ${ownerId}`);
    }
    const addon = service.find(ownerId, ctx.params.realId ?? '');
    if (!addon) return ADDON_NOT_FOUND();
    return json(DATABASES.has(addon.providerId) ? backupsView(addon) : []);
  });
}

function startMigration(deps: HandlerDeps, ctx: RouteContext, addon: SimulatedAddon): Reply {
  const bad = (message: string) => v2Error(400, V2_ERR.badRequest, message);
  if (!MIGRATABLE.has(addon.providerId)) return bad(`migrations are not available for provider ${addon.providerId}`);
  if (deps.service.runningMigration(addon)) return v2Error(409, V2_ERR.conflict, 'A migration is already in progress');
  const body = isRecord(ctx.body) ? ctx.body : {};
  const { provider, plan: current } = planOf(addon);
  const planRef = body.planId ?? current.id;
  const region = body.region ?? addon.region;
  if (typeof planRef !== 'string') return bad('planId: must be a plan id');
  if (typeof region !== 'string') return bad('region: must be a string');
  if (body.version !== undefined && typeof body.version !== 'string') return bad('version: must be a string');
  const plan = resolvePlan(provider, planRef, 'planId');
  if (!plan.ok) return v2Error(plan.error.status, V2_ERR.badRequest, plan.error.message);
  const regionError = checkRegion(provider, plan.value, region);
  if (regionError) return bad(regionError.message);
  // Without a requested version, keep the current one when the target plan offers it.
  let requested: string | undefined = body.version;
  if (requested === undefined && addon.version !== undefined) {
    const keep = resolveVersion(provider, plan.value, addon.version, 'version');
    if (keep.ok) requested = addon.version;
  }
  const version = resolveVersion(provider, plan.value, requested, 'version');
  if (!version.ok) return bad(version.error.message);
  if (plan.value.id === current.id && region === addon.region && version.value === addon.version) {
    return bad('nothing to migrate: plan, region and version are unchanged');
  }
  const m = deps.service.startMigration(addon, { planId: plan.value.id, region, version: version.value });
  return json(migrationView(m, deps.now()));
}
