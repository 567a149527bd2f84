// The part of undici the operator uses (an Agent and `request`), loaded without undici's index. The index also loads
// fetch, WebSocket, EventSource, the mock agents and the cache stores (the SQLite one with node:sqlite): 12 MiB more
// resident memory in a bare Node process (60 MiB against 72 MiB) for code `run` never calls (docs/benchmarks.md, "CPU
// and memory, second round"). The files below are undici's own layout since version 5; the unit test of this module
// fails if an upgrade moves them.
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';

const require = createRequire(import.meta.url);
const DispatcherClass = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
// What undici's index does: the request API lives on every dispatcher.
Object.assign(DispatcherClass.prototype, require('undici/lib/api/index.js') as object);
const AgentClass = require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;

export type HttpAgentOptions = NonNullable<ConstructorParameters<typeof UndiciAgent>[0]>;

/**
 * A keep-alive connection pool per origin speaking HTTP/1.1, even to servers that offer HTTP/2: in Node, HTTP/2 framing
 * cost a fifth of the operator's CPU for the same requests (docs/benchmarks.md, "CPU and memory, second round").
 */
export function http1Agent(options: HttpAgentOptions = {}): Dispatcher {
  return new AgentClass({ ...options, allowH2: false });
}

let shared: Dispatcher | undefined;

export type HttpRequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  method: Dispatcher.HttpMethod;
  /** Default: one HTTP/1.1 agent shared by every caller that passes none. */
  dispatcher?: Dispatcher;
};

/** undici's `request(url, options)`, on the given dispatcher or the shared HTTP/1.1 agent. */
export function httpRequest(url: string | URL, options: HttpRequestOptions): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  const u = typeof url === 'string' ? new URL(url) : url;
  const target = dispatcher ?? (shared ??= http1Agent());
  return target.request({ ...rest, origin: u.origin, path: `${u.pathname}${u.search}` });
}
