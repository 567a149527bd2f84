// Guarantee 9 (docs/safety.md): status fields derived from an add-on's environment (url, adminUrl, admin_url) never
// carry userinfo, whatever the environment holds: status is readable by roles that cannot read Secrets.
import { describe, expect, it } from 'vitest';
import { providers } from '../../../providers/index.ts';
import { defineProvider, withoutUserinfo } from '../../../src/model/provider.ts';

const USER = 'admin-u5er';
const PW = 'pw-Zq81vXk';

/** An environment where every variable holds a URL with credentials (or, for host variables, a userinfo@host). */
const leakyEnv: Record<string, string> = new Proxy(
  {},
  {
    get: (_t, name) =>
      typeof name === 'string' && /HOST/.test(name) ? `${USER}:${PW}@h.example` : `https://${USER}:${PW}@h.example/p`,
    has: () => true,
  },
);

describe('status fields derived from the environment', () => {
  const withStatus = providers.filter((p) => p.statusFields?.({}) !== undefined);

  it('covers the providers that publish URLs', () => {
    expect(withStatus.map((p) => p.kind).sort()).toEqual(
      expect.arrayContaining(['Cellar', 'ElasticSearch', 'Keycloak', 'Matomo', 'Metabase', 'Otoroshi']),
    );
  });

  it.each(withStatus.map((p) => [p.kind, p] as const))('%s: no userinfo in any status field', (_kind, p) => {
    const fields = p.statusFields!(leakyEnv);
    expect(Object.keys(fields).length).toBeGreaterThan(0);
    for (const value of Object.values(fields)) {
      expect(value).not.toContain(PW);
      expect(value).not.toContain(USER);
      expect(value).toMatch(/^https:\/\/h\.example/);
    }
  });

  it('Keycloak keeps url, adminUrl and admin_url, each without userinfo', () => {
    const keycloak = providers.find((p) => p.kind === 'Keycloak')!;
    expect(
      keycloak.statusFields!({
        CC_KEYCLOAK_URL: `https://${USER}:${PW}@kc.example/`,
        CC_KEYCLOAK_ADMIN_URL: `https://${USER}:${PW}@kc.example/admin`,
      }),
    ).toEqual({
      url: 'https://kc.example/',
      adminUrl: 'https://kc.example/admin',
      admin_url: 'https://kc.example/admin',
    });
  });

  it('defineProvider wraps any statusFields; withoutUserinfo leaves clean values alone', () => {
    const def = defineProvider({
      defaultRegion: 'par',
      statusFields: () => ({ url: `redis://:${PW}@r.example:6379` }),
    } as never);
    expect(def.statusFields?.({})).toEqual({ url: 'redis://r.example:6379' });
    expect(withoutUserinfo({ url: 'https://x.example/a?b=c@d' })).toEqual({ url: 'https://x.example/a?b=c@d' });
  });
});
