// The api-bridge's own /api-tokens routes (OAuth1 PLAINTEXT): issue, list, update and revoke Bearer API tokens.
import { json, type Reply } from '../http.ts';
import type { IssuedApiToken } from '../state.ts';
import { accountOf, isRecord, type HandlerDeps } from './context.ts';

function tokenView(t: IssuedApiToken, now: number): Record<string, unknown> {
  return {
    apiTokenId: t.apiTokenId,
    userId: t.userId,
    creationDate: t.creationDate,
    expirationDate: t.expirationDate,
    ip: t.ip,
    name: t.name,
    ...(t.description !== undefined ? { description: t.description } : {}),
    state: Date.parse(t.expirationDate) > now ? 'ACTIVE' : 'EXPIRED',
  };
}

/** The user id of a live issued token, for Bearer authentication. */
export function issuedTokenOwner(tokens: IssuedApiToken[], token: string, now: number): string | undefined {
  const t = tokens.find((x) => x.token === token && !x.revoked);
  return t && Date.parse(t.expirationDate) > now ? t.userId : undefined;
}

export function registerTokens({ router, store, now }: HandlerDeps): void {
  const bridge = { auth: 'bridgeOAuth' as const, hosts: ['bridge' as const] };
  const invalid = (code: string): Reply => ({ status: 401, body: { code } });

  router.add(
    'POST',
    '/api-tokens',
    (ctx) => {
      const account = accountOf(ctx);
      const b = isRecord(ctx.body) ? ctx.body : {};
      if (b.email !== account.email || b.password !== account.password) return invalid('invalid-credential');
      if (typeof b.name !== 'string' || b.name === '') return { status: 400, body: { code: 'invalid-name' } };
      const expiration = typeof b.expirationDate === 'string' ? Date.parse(b.expirationDate) : NaN;
      if (!Number.isFinite(expiration) || expiration <= now()) {
        return { status: 400, body: { code: 'invalid-expiration-date' } };
      }
      const t: IssuedApiToken = {
        apiTokenId: `apitoken_${store.rng.uuid()}`,
        userId: account.userId,
        token: `sim_${store.rng.string(48)}`,
        name: b.name,
        description: typeof b.description === 'string' ? b.description : undefined,
        creationDate: new Date(now()).toISOString(),
        expirationDate: new Date(expiration).toISOString(),
        ip: ctx.req.socket.remoteAddress ?? '127.0.0.1',
        revoked: false,
      };
      store.apiTokens.push(t);
      store.changed();
      const { userId: _u, ip: _ip, ...rest } = tokenView(t, now());
      return json({ apiToken: t.token, ...rest });
    },
    bridge,
  );

  router.add(
    'GET',
    '/api-tokens',
    (ctx) => {
      const userId = accountOf(ctx).userId;
      return json(store.apiTokens.filter((t) => t.userId === userId && !t.revoked).map((t) => tokenView(t, now())));
    },
    bridge,
  );

  const own = (userId: string, id: string | undefined) =>
    store.apiTokens.find((t) => t.apiTokenId === id && t.userId === userId && !t.revoked);

  router.add(
    'PUT',
    '/api-tokens/{apiTokenId}',
    (ctx) => {
      const t = own(accountOf(ctx).userId, ctx.params.apiTokenId);
      if (!t) return { status: 404, body: { code: 'api-token-not-found' } };
      const b = isRecord(ctx.body) ? ctx.body : {};
      if (typeof b.name === 'string' && b.name !== '') t.name = b.name;
      if (typeof b.description === 'string') t.description = b.description;
      store.changed();
      return json(tokenView(t, now()));
    },
    bridge,
  );

  router.add(
    'DELETE',
    '/api-tokens/{apiTokenId}',
    (ctx) => {
      const t = own(accountOf(ctx).userId, ctx.params.apiTokenId);
      if (!t) return { status: 404, body: { code: 'api-token-not-found' } };
      t.revoked = true;
      store.changed();
      return { status: 204 };
    },
    bridge,
  );
}
