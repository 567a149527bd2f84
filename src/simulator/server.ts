// The request pipeline shared by the main API and the bridge listeners: route, log, inject faults, parse the body,
// authenticate, run the handler, send. Every response carries a Sozu-Id header like the real front proxies add.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateBearer, authenticateOAuth, type AuthConfig, type AuthResult } from './auth.ts';
import type { FaultEngine } from './faults.ts';
import { v2Error, V2_ERR, type Reply } from './http.ts';
import type { AuthMode, HostKind, RouteMatch, Router } from './router.ts';
import type { RequestLogEntry } from './types.ts';

const MAX_BODY_BYTES = 1024 * 1024;

export interface PipelineDeps {
  router: Router;
  auth: AuthConfig;
  faults: FaultEngine;
  now: () => number;
  log: RequestLogEntry[];
  logLimit: number;
  /** Admin requests (main port, /__simulator/...): not logged, no faults, no auth. */
  admin: (req: IncomingMessage, res: ServerResponse, path: string, body: Buffer) => void;
  sleep: (ms: number) => Promise<void>;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const headers: Record<string, string> = { ...reply.headers };
  let payload: string | undefined;
  if (reply.text !== undefined) {
    payload = reply.text;
    headers['Content-Type'] ??= 'text/plain; charset=utf-8';
  } else if (reply.body !== undefined && reply.status !== 204) {
    payload = JSON.stringify(reply.body);
    headers['Content-Type'] = 'application/json; charset=utf-8';
  }
  if (payload !== undefined) headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

function authenticate(
  mode: AuthMode,
  host: HostKind,
  req: IncomingMessage,
  path: string,
  query: string,
  config: AuthConfig,
): AuthResult {
  const authorization = req.headers.authorization;
  if (!authorization) return { ok: false, message: 'Missing Authorization header' };
  const isBearer = /^Bearer\s/i.test(authorization);
  const proto = String(req.headers['x-forwarded-proto'] ?? '').toLowerCase();
  const signed = {
    method: req.method ?? 'GET',
    scheme: proto === 'https' ? ('https' as const) : ('http' as const),
    host: req.headers.host ?? '',
    path,
    query,
    authorization,
  };
  if (mode === 'bridgeOAuth') return authenticateOAuth(signed, config, true);
  if (host === 'bridge') {
    return isBearer
      ? authenticateBearer(authorization, config)
      : { ok: false, message: 'The api-bridge only accepts Bearer API tokens on this route' };
  }
  return isBearer
    ? { ok: false, message: 'Bearer API tokens are only accepted on the api-bridge' }
    : authenticateOAuth(signed, config);
}

export function createPipeline(
  deps: PipelineDeps,
): (req: IncomingMessage, res: ServerResponse, host: HostKind) => Promise<void> {
  return async (req, res, host) => {
    const at = deps.now();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.slice(0, qi);
    const query = qi < 0 ? '' : url.slice(qi + 1);
    res.setHeader('Sozu-Id', randomUUID());

    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (err) {
      send(res, v2Error(err instanceof BodyTooLarge ? 413 : 400, V2_ERR.badRequest, 'Cannot read request body'));
      return;
    }
    if (host === 'api' && path.startsWith('/__simulator/')) {
      deps.admin(req, res, path, raw);
      return;
    }

    const match = deps.router.match(method, path, host);
    const entry: RequestLogEntry = {
      at,
      method,
      path,
      query,
      route: match?.route.template ?? `${method} <unknown>`,
      status: 0,
      host,
    };
    deps.log.push(entry);
    if (deps.log.length > deps.logLimit) deps.log.splice(0, deps.log.length - deps.logLimit);

    const decision = deps.faults.decide(entry.route);
    if (decision.kinds.length > 0) entry.fault = decision.kinds.join(',');
    if (decision.latencyMs > 0) await deps.sleep(decision.latencyMs);
    const fault = decision.terminal;
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'error') {
      entry.status = fault.status;
      send(res, {
        status: fault.status,
        body: fault.body ?? { id: V2_ERR.internal, message: 'Simulated fault', type: 'error' },
      });
      return;
    }
    if (fault?.kind === 'rateLimit') {
      entry.status = 429;
      send(res, {
        ...v2Error(429, V2_ERR.rateLimited, 'Too many requests'),
        headers: { 'Retry-After': String(fault.retryAfterSeconds) },
      });
      return;
    }

    let reply = dispatch(deps, entry, match, req, host, path, query, raw);
    if (fault?.kind === 'commitThenFail') {
      // The handler ran and its effect is stored; the caller never learns the outcome.
      if (fault.status === undefined) {
        req.socket.destroy();
        return;
      }
      reply = v2Error(fault.status, V2_ERR.internal, 'Simulated failure after the operation was committed');
    }
    entry.status = reply.status;
    send(res, reply);
  };
}

function dispatch(
  deps: PipelineDeps,
  entry: RequestLogEntry,
  match: RouteMatch | undefined,
  req: IncomingMessage,
  host: HostKind,
  path: string,
  query: string,
  raw: Buffer,
): Reply {
  if (!match) return v2Error(404, V2_ERR.notFound, `Not Found: ${req.method ?? 'GET'} ${path}`);
  const { route, params } = match;
  const auth =
    req.headers.authorization || route.auth !== 'none'
      ? authenticate(route.auth, host, req, path, query, deps.auth)
      : undefined;
  if (route.auth !== 'none' && !auth?.ok) {
    return v2Error(401, V2_ERR.unauthorized, auth && !auth.ok ? auth.message : 'Unauthorized');
  }
  const account = auth?.ok ? auth.account : undefined;
  const credential = auth?.ok ? auth.credential : undefined;
  if (account) entry.principal = account.userId;
  let body: unknown;
  if (raw.length > 0) {
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return v2Error(400, V2_ERR.badRequest, 'body: invalid JSON');
    }
  }
  try {
    return route.handler({ req, params, query: new URLSearchParams(query), body, account, credential, host });
  } catch (err) {
    return v2Error(
      500,
      V2_ERR.internal,
      `Internal simulator error: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
