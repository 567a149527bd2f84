// Route table with templates. A template such as 'GET /v2/organisations/{ownerId}/addons' is both the matcher
// and the name used in the request log and by fault rules. Literal segments win over parameters.
import type { IncomingMessage } from 'node:http';
import type { Reply } from './http.ts';
import type { SimulatorAccount } from './types.ts';

export type HostKind = 'api' | 'bridge';

/**
 * none: public; user: OAuth1 on the main host, Bearer on the bridge; bridgeOAuth: OAuth1 PLAINTEXT on the bridge
 * (the /api-tokens routes).
 */
export type AuthMode = 'none' | 'user' | 'bridgeOAuth';

export interface RouteContext {
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** Set when the request is authenticated (always for auth 'user'). */
  account?: SimulatorAccount;
  /** The credential an authenticated request was signed with. */
  credential?: { kind: 'oauth1' | 'bearer'; token: string };
  host: HostKind;
}

export type Handler = (ctx: RouteContext) => Reply;

export interface Route {
  method: string;
  path: string;
  template: string;
  auth: AuthMode;
  hosts: HostKind[];
  handler: Handler;
  segments: string[];
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: Handler, options: { auth?: AuthMode; hosts?: HostKind[] } = {}): void {
    this.routes.push({
      method,
      path,
      template: `${method} ${path}`,
      auth: options.auth ?? 'user',
      hosts: options.hosts ?? ['api', 'bridge'],
      handler,
      segments: split(path),
    });
  }

  match(method: string, rawPath: string, host: HostKind): RouteMatch | undefined {
    let segs: string[];
    try {
      segs = split(rawPath).map((s) => decodeURIComponent(s));
    } catch {
      return undefined;
    }
    let best: { match: RouteMatch; score: number[] } | undefined;
    for (const route of this.routes) {
      if (route.method !== method || !route.hosts.includes(host) || route.segments.length !== segs.length) continue;
      const params: Record<string, string> = {};
      const score: number[] = [];
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) {
        const pattern = route.segments[i] ?? '';
        const seg = segs[i] ?? '';
        if (pattern.startsWith('{') && pattern.endsWith('}')) {
          params[pattern.slice(1, -1)] = seg;
          score.push(0);
        } else if (pattern === seg) {
          score.push(1);
        } else {
          ok = false;
        }
      }
      if (!ok) continue;
      if (!best || compare(score, best.score) > 0) best = { match: { route, params }, score };
    }
    return best?.match;
  }
}

/** Lexicographic: a literal earlier in the path beats a parameter. */
function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
