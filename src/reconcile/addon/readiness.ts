// Readiness of a provisioned add-on, one probe per readiness kind a provider definition declares
// (ProviderDefinition.readiness). A new kind of readiness is a new row here, not a new branch in the reconciler.
import type { Addon, CleverClient, DatabaseInfo } from '../../clever/index.ts';
import type { Readiness } from '../../model/provider.ts';

export interface ProbeContext {
  client: CleverClient;
  owner: string;
  addon: Addon;
  /** The v4 database view, read at most once per pass (version and readiness both come from it). */
  databaseInfo(): Promise<DatabaseInfo>;
}

export interface ReadinessProbe {
  ready(ctx: ProbeContext): Promise<boolean>;
  /** The version the add-on runs, for kinds whose provider reports one. */
  version?(ctx: ProbeContext): Promise<string | undefined>;
}

export const READINESS_PROBES: { readonly [K in Readiness['kind']]: ReadinessProbe } = {
  exists: { ready: () => Promise.resolve(true) },
  databaseStatus: {
    ready: async (ctx) => (await ctx.databaseInfo()).status === 'ACTIVE',
    version: async (ctx) => (await ctx.databaseInfo()).version ?? undefined,
  },
  pulsarStatus: { ready: async (ctx) => (await ctx.client.getPulsar(ctx.addon.realId)).status === 'ACTIVE' },
  materiaKvStatus: {
    ready: async (ctx) => (await ctx.client.getMateriaKv(ctx.owner, ctx.addon.realId)).status === 'PROVISIONED',
  },
  instancesUp: {
    ready: async (ctx) => {
      const instances = await ctx.client.getAddonInstances(ctx.owner, ctx.addon.id);
      return instances.length > 0 && instances.every((i) => i.state === 'UP');
    },
  },
};
