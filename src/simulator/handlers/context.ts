// What route handlers share: the state, the domain service, the accounts, and owner-scoping helpers.
import { ownersOf } from '../accounts.ts';
import { v2Error, V2_ERR, type Reply } from '../http.ts';
import type { Handler, RouteContext, Router } from '../router.ts';
import type { CatalogueChanges } from '../catalogue-changes.ts';
import type { AddonService } from '../service.ts';
import type { Store } from '../state.ts';
import type { SimulatorAccount } from '../types.ts';

export interface HandlerDeps {
  router: Router;
  service: AddonService;
  store: Store;
  accounts: SimulatorAccount[];
  now: () => number;
  paymentRequiredPlans: string[];
  /** The catalogue as served, with the changes made while running (retired plans and versions, new versions). */
  catalogue: CatalogueChanges;
}

/** The authenticated account; routes with auth 'user' always have one. */
export function accountOf(ctx: RouteContext): SimulatorAccount {
  if (!ctx.account) throw new Error('simulator bug: handler of an authenticated route called without an account');
  return ctx.account;
}

export function canActOn(account: SimulatorAccount, ownerId: string): boolean {
  return ownersOf(account).includes(ownerId);
}

export type OwnerHandler = (ctx: RouteContext, ownerId: string, account: SimulatorAccount) => Reply;

/**
 * Registers a route under both `/v2/organisations/{ownerId}` and the legacy personal `/v2/self`, checking that the
 * caller may act on the owner.
 */
export function addOwnerRoute(router: Router, method: string, suffix: string, handler: OwnerHandler): void {
  const scoped: Handler = (ctx) => {
    const account = accountOf(ctx);
    const ownerId = ctx.params.ownerId ?? account.userId;
    if (!canActOn(account, ownerId)) {
      return v2Error(403, V2_ERR.forbidden, `You don't have access to the organisation ${ownerId}`);
    }
    return handler(ctx, ownerId, account);
  };
  router.add(method, `/v2/organisations/{ownerId}${suffix}`, scoped);
  router.add(method, `/v2/self${suffix}`, scoped);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
