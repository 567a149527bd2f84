// Catalogue routes; public like on the real API (clever-tools' doc generator calls them without credentials).
import { providerFullView, providerInfoView } from '../catalogue.ts';
import { json, v2Error, v4Error, V2_ERR } from '../http.ts';
import { findZone, ZONES } from '../zones.ts';
import type { HandlerDeps } from './context.ts';

export function registerCatalogue({ router, catalogue }: HandlerDeps): void {
  const open = { auth: 'none' as const };
  router.add('GET', '/v2/products/addonproviders', () => json(catalogue.all().map(providerFullView)), open);
  router.add(
    'GET',
    '/v2/products/addonproviders/{providerId}',
    (ctx) => {
      const p = catalogue.find(ctx.params.providerId ?? '');
      return p
        ? json(providerFullView(p))
        : v2Error(404, V2_ERR.notFound, `Provider ${ctx.params.providerId} not found`);
    },
    open,
  );
  router.add(
    'GET',
    '/v4/addon-providers/{providerId}',
    (ctx) => {
      const id = ctx.params.providerId ?? '';
      const p = catalogue.find(id);
      const info = p && providerInfoView(p);
      return info
        ? json(info)
        : v4Error(404, 'clever.addon-provider.not-found', `No provider information for ${id}`, { providerId: id });
    },
    open,
  );
  router.add('GET', '/v4/products/zones', () => json(ZONES), open);
  router.add(
    'GET',
    '/v4/products/zones/{name}',
    (ctx) => {
      const z = findZone(ctx.params.name ?? '');
      return z
        ? json(z)
        : v4Error(404, 'clever.zone.not-found', `Zone ${ctx.params.name} not found`, { name: ctx.params.name });
    },
    open,
  );
}
