// Every Clever Cloud call the client makes, as a route template (add-ons, env, migrations, backups, databases). Templates, not URLs, are what
// metrics, logs and errors carry: bounded label cardinality, and no ids or secrets in observability data.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteDef {
  readonly method: HttpMethod;
  readonly template: string;
  /**
   * Responses (and error bodies) may carry secrets: never log or quote them. True for env reads/writes and the
   * v4 reads that return passwords or tokens.
   */
  readonly sensitive: boolean;
}

const route = (method: HttpMethod, template: string, sensitive = false): RouteDef => ({ method, template, sensitive });

const ADDONS = '/v2/organisations/{ownerId}/addons';
const ADDON = `${ADDONS}/{addonId}`;

export const ROUTES = {
  // catalogue
  listAddonProviders: route('GET', '/v2/products/addonproviders'),
  getAddonProvider: route('GET', '/v2/products/addonproviders/{providerId}'),
  getProviderInfo: route('GET', '/v4/addon-providers/{providerId}'),
  listZones: route('GET', '/v4/products/zones'),
  getZone: route('GET', '/v4/products/zones/{name}'),
  // identity
  getSelf: route('GET', '/v2/self'),
  getSummary: route('GET', '/v2/summary'),
  listOrganisations: route('GET', '/v2/organisations'),
  // add-ons (v2)
  listAddons: route('GET', ADDONS),
  createAddon: route('POST', ADDONS),
  getAddon: route('GET', ADDON),
  renameAddon: route('PUT', ADDON),
  deleteAddon: route('DELETE', ADDON),
  getAddonEnv: route('GET', `${ADDON}/env`, true),
  listMigrations: route('GET', `${ADDON}/migrations`),
  createMigration: route('POST', `${ADDON}/migrations`),
  getMigration: route('GET', `${ADDON}/migrations/{migrationId}`),
  getAddonInstances: route('GET', `${ADDON}/instances`),
  listBackups: route('GET', '/v2/backups/{ownerId}/{realId}', true),
  // provider-specific (v4)
  getDatabaseInfo: route('GET', '/v4/addon-providers/{providerId}/addons/{addonId}', true),
  getPulsar: route('GET', '/v4/addon-providers/addon-pulsar/addons/{realId}', true),
  getPulsarCluster: route('GET', '/v4/addon-providers/addon-pulsar/clusters/{clusterId}'),
  getMateriaKv: route('GET', '/v4/materia/organisations/{ownerId}/materia/databases/{realId}', true),
  getOperator: route('GET', '/v4/addon-providers/addon-{kind}/addons/{realId}', true),
  getConfigProviderEnv: route('GET', '/v4/addon-providers/config-provider/addons/{realId}/env', true),
  putConfigProviderEnv: route('PUT', '/v4/addon-providers/config-provider/addons/{realId}/env', true),
} as const satisfies Record<string, RouteDef>;

/**
 * Fills a template. Each value is percent-encoded as one path segment, and an empty value is refused: `{addonId}`
 * = '' would silently turn "get one add-on" into "list add-ons" (or "delete one" into a 405).
 */
export function fillRoute(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = params[name];
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`missing path parameter '${name}' for route ${template}`);
    }
    return encodeURIComponent(value);
  });
}
