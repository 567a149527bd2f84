// Shared by the application add-ons (Keycloak, Metabase, Matomo, Otoroshi): a URL, sometimes admin credentials.
import type { Binding } from '../src/model/provider.ts';
import { need } from '../src/model/env.ts';

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
