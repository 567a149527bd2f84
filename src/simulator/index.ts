// The Clever Cloud API simulator: a real HTTP server (main API + api-bridge) with the add-on endpoints, OAuth1 and
// API-token auth, realistic catalogue and credentials, fault injection and optional persistence. Used by tests,
// benchmarks and the playground (`clever-addon-operator simulator`).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_ACCOUNTS, DEFAULT_CONSUMERS } from './accounts.ts';
import { createAdminHandler } from './admin.ts';
import { CatalogueChanges, type CatalogueChange } from './catalogue-changes.ts';
import { FaultEngine } from './faults.ts';
import { registerAddons } from './handlers/addons.ts';
import { registerCatalogue } from './handlers/catalogue.ts';
import type { HandlerDeps } from './handlers/context.ts';
import { registerIdentity } from './handlers/identity.ts';
import { issuedTokenOwner, registerTokens } from './handlers/tokens.ts';
import { registerV4 } from './handlers/v4.ts';
import { ALNUM } from './rng.ts';
import { Router, type HostKind } from './router.ts';
import { createPipeline } from './server.ts';
import { AddonService } from './service.ts';
import { Store } from './state.ts';
import type { RequestLogEntry, SimulatedAddon, Simulator, SimulatorOptions } from './types.ts';

export * from './types.ts';
export * from './accounts.ts';

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  const accounts = options.accounts ?? DEFAULT_ACCOUNTS;
  const store = new Store(options.stateFile, options.seed);
  const faults = new FaultEngine(options.faults ?? [], store.rng.fork());
  const service = new AddonService(store, {
    now,
    provisioningDelayMs: options.provisioningDelayMs ?? 0,
    listConsistencyDelayMs: options.listConsistencyDelayMs ?? 0,
    migrationStepMs: options.migrationStepMs ?? 0,
    passwordAlphabet: options.passwordAlphabet ?? ALNUM,
    cellarHost: options.cellarHost,
    ...(options.onCellarKeys ? { onCellarKeys: options.onCellarKeys } : {}),
    ...(options.databaseServers ? { databaseServers: options.databaseServers } : {}),
    ...(options.onDatabaseCredentials ? { onDatabaseCredentials: options.onDatabaseCredentials } : {}),
  });
  const router = new Router();
  const catalogue = new CatalogueChanges();
  const deps: HandlerDeps = {
    router,
    service,
    store,
    accounts,
    now,
    paymentRequiredPlans: options.paymentRequiredPlans ?? [],
    catalogue,
  };
  registerCatalogue(deps);
  registerIdentity(deps);
  registerAddons(deps);
  registerV4(deps);
  registerTokens(deps);

  const log: RequestLogEntry[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const copy = (a: SimulatedAddon): SimulatedAddon => structuredClone(a);
  const mustFind = (ref: string): SimulatedAddon => {
    const a = service.findAny(ref);
    if (!a) throw new Error(`simulator: no add-on ${ref}`);
    return a;
  };

  const api = {
    requests: () => log.map((e) => ({ ...e })),
    clearRequests: () => {
      log.length = 0;
    },
    setFaults: (rules: Parameters<FaultEngine['set']>[0]) => faults.set(rules),
    faults: () => faults.list(),
    addons: () => service.all().map(copy),
    deleteAddonBehindBack: (ref: string) => service.delete(mustFind(ref)),
    rotateCredentials: (ref: string) => service.rotate(mustFind(ref)),
    changeCatalogue: (change: CatalogueChange) => catalogue.apply(change),
    catalogueChanges: () => catalogue.list(),
  };

  const pipelineDeps = {
    router,
    faults,
    now,
    log,
    logLimit: options.requestLogLimit ?? 100_000,
    auth: {
      accounts,
      consumers: options.consumers ?? DEFAULT_CONSUMERS,
      now,
      issuedToken: (token: string) => issuedTokenOwner(store.apiTokens, token, now()),
    },
    admin: createAdminHandler(api),
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, ms);
        timers.add(t);
      }),
  };
  const pipeline = createPipeline(pipelineDeps);
  const serve = (kind: HostKind) =>
    createServer((req, res) => {
      pipeline(req, res, kind).catch((err: unknown) => {
        console.error('simulator: request failed', err);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });

  const main = serve('api');
  const bridge = serve('bridge');
  const port = await listen(main, options.port ?? 0, host);
  let bridgePort: number;
  try {
    bridgePort = await listen(bridge, options.bridgePort ?? 0, host);
  } catch (err) {
    await close(main);
    throw err;
  }

  return {
    url: `http://${urlHost(host)}:${port}`,
    bridgeUrl: `http://${urlHost(host)}:${bridgePort}`,
    ...api,
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      store.flush();
      await Promise.all([close(main), close(bridge)]);
    },
  };
}
