// Who am I and which owners do I have: /v2/self, /v2/summary, /v2/organisations.
import { json, v2Error, V2_ERR } from '../http.ts';
import { organisationView, selfView, summaryView } from '../views.ts';
import { accountOf, canActOn, type HandlerDeps } from './context.ts';

/** How long the simulator's built-in OAuth tokens are said to live: Clever's CLI tokens last three months. */
const TOKEN_LIFETIME_MS = 90 * 24 * 3600 * 1000;

export function registerIdentity({ router, service, now }: HandlerDeps): void {
  // The built-in tokens never expire here; they are reported as issued when the simulator started.
  const issuedAt = now();
  router.add('GET', '/v2/self', (ctx) => json(selfView(accountOf(ctx))));
  // What `clever profile` asks about the token it signs with (it reads expirationDate).
  router.add('GET', '/v2/self/tokens/current', (ctx) => {
    const account = accountOf(ctx);
    return json({
      token: ctx.credential?.token,
      userId: account.userId,
      creationDate: new Date(issuedAt).toISOString(),
      expirationDate: new Date(issuedAt + TOKEN_LIFETIME_MS).toISOString(),
    });
  });
  router.add('GET', '/v2/self/id', (ctx) => json(accountOf(ctx).userId));
  router.add('GET', '/v2/summary', (ctx) => json(summaryView(accountOf(ctx), (owner) => service.list(owner))));
  router.add('GET', '/v2/organisations', (ctx) => {
    const account = accountOf(ctx);
    return json(account.organisations.map((o) => organisationView(o, account)));
  });
  router.add('GET', '/v2/organisations/{id}', (ctx) => {
    const account = accountOf(ctx);
    const id = ctx.params.id ?? '';
    if (!canActOn(account, id))
      return v2Error(403, V2_ERR.forbidden, `You don't have access to the organisation ${id}`);
    // The personal space answers as an organisation named after the user.
    const org = account.organisations.find((o) => o.id === id) ?? { id, name: account.name };
    return json(organisationView(org, account));
  });
}
