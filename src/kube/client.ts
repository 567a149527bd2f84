// A raw JSON client for the kube-apiserver on undici's request (not its fetch: the WHATWG layer of Request objects,
// web streams and signals cost about a third of the operator's CPU per API call, measured in docs/benchmarks.md). Raw JSON because client-node's typed models serialize
// through an ObjectSerializer that drops unknown keys (fatal for custom resources) and because its Watch aborts
// every watch after 30 s of silence and has no bookmarks. `run` connects through src/kube/connection.ts and never
// loads client-node's index; a client-node KubeConfig (tests, tools) is accepted too.
import type * as k8s from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';
import { httpRequest } from '../util/http.ts';
import { ApiException } from './api-exception.ts';
import { kubeConfigConnection, type KubeConnection } from './connection.ts';
import type { Status, WatchEvent } from './types.ts';
import { parseApiVersion } from './types.ts';

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** Serialized as JSON. */
  body?: unknown;
  /** Defaults to application/json when a body is sent. */
  contentType?: string;
  signal?: AbortSignal;
  /** Per-request timeout (default: the client's, 30 s). */
  timeoutMs?: number;
  /** A 404 answers `undefined` instead of throwing (reads that expect to find nothing often: no error built). */
  notFoundAsUndefined?: boolean;
}

export interface KubeClientOptions {
  requestTimeoutMs?: number;
}

export interface ResolvedKind {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/** What a client is made from: a connection, or client-node's KubeConfig. */
export type KubeTarget = k8s.KubeConfig | KubeConnection;

const clients = new WeakMap<KubeTarget, KubeClient>();

type HttpMethod = `${k8s.HttpMethod}`;

function isConnection(target: KubeTarget): target is KubeConnection {
  return typeof (target as Partial<KubeConnection>).authenticate === 'function';
}

export class KubeClient {
  readonly connection: KubeConnection;
  private readonly requestTimeoutMs: number;
  private readonly discovery = new Map<string, Promise<ApiResourceList>>();

  constructor(target: KubeTarget, options: KubeClientOptions = {}) {
    this.connection = isConnection(target) ? target : kubeConfigConnection(target);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /** The shared client of a KubeConfig or connection (so helpers that take one reuse one connection pool). */
  static for(target: KubeTarget | KubeClient): KubeClient {
    if (target instanceof KubeClient) return target;
    let client = clients.get(target);
    if (!client) {
      client = new KubeClient(target);
      clients.set(target, client);
    }
    return client;
  }

  /** The API server's URL. */
  get server(): string {
    return this.connection.server;
  }

  private async prepare(
    path: string,
    query: Record<string, QueryValue> | undefined,
  ): Promise<{ url: URL; headers: Record<string, string>; dispatcher: Dispatcher | undefined }> {
    const url = new URL(this.connection.server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    // Re-applied per request: exec/token-file credentials rotate. The connection keeps one pool (keep-alive).
    const { headers, dispatcher } = await this.connection.authenticate();
    return { url, headers: { ...headers }, dispatcher };
  }

  /** Sends one request and returns the parsed JSON body. Non-2xx responses throw `ApiException` (body: text). */
  async request<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const { url, headers, dispatcher } = await this.prepare(path, options.query);
    headers.Accept = 'application/json';
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['Content-Type'] = options.contentType ?? 'application/json';
    }
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.requestTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const res = await httpRequest(url, { method, headers, body, dispatcher, signal });
    const text = await res.body.text();
    if (res.statusCode === 404 && options.notFoundAsUndefined) return undefined as T;
    if (res.statusCode < 200 || res.statusCode > 299)
      throw apiException(res.statusCode, method, path, text, res.headers);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * Streams a watch. Calls `onEvent` for every event line and resolves when the server ends the stream (its
   * `timeoutSeconds` elapsed); rejects on HTTP errors, network errors and when `signal` aborts.
   */
  async watch(
    path: string,
    query: Record<string, QueryValue>,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const { url, headers, dispatcher } = await this.prepare(path, { ...query, watch: 'true' });
    headers.Accept = 'application/json';
    const res = await httpRequest(url, { method: 'GET', headers, dispatcher, signal });
    if (res.statusCode !== 200) {
      throw apiException(res.statusCode, 'GET', path, await res.body.text(), res.headers);
    }
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      // Lines are parsed where they lie; the unfinished tail is kept once per chunk (not the rest of the buffer
      // copied again after every line: quadratic when a chunk carries many events, as after a reconnect).
      let start = 0;
      let nl: number;
      while ((nl = buffered.indexOf('\n', start)) >= 0) {
        const line = buffered.slice(start, nl).trim();
        start = nl + 1;
        if (line !== '') onEvent(JSON.parse(line) as WatchEvent);
      }
      buffered = start === 0 ? buffered : buffered.slice(start);
    }
  }

  /** Maps apiVersion + kind to the REST resource through discovery (cached per group/version). */
  async resolveKind(apiVersion: string, kind: string): Promise<ResolvedKind> {
    const { group, version } = parseApiVersion(apiVersion);
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    let list = this.discovery.get(path);
    if (!list) {
      list = this.request<ApiResourceList>('GET', path);
      this.discovery.set(path, list);
      // A failed lookup must not be cached (the CRD may be installed a moment later).
      list.catch(() => this.discovery.delete(path));
    }
    const found = (await list).resources.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!found) {
      // The kind may be new since the cached discovery; retry once without the cache.
      this.discovery.delete(path);
      const fresh = await this.request<ApiResourceList>('GET', path);
      this.discovery.set(path, Promise.resolve(fresh));
      const again = fresh.resources.find((r) => r.kind === kind && !r.name.includes('/'));
      if (!again) throw new Error(`the API server does not serve kind ${kind} in ${apiVersion}`);
      return { group, version, plural: again.name, namespaced: again.namespaced };
    }
    return { group, version, plural: found.name, namespaced: found.namespaced };
  }
}

function apiException(
  code: number,
  method: string,
  path: string,
  text: string,
  headers: Record<string, string | string[] | undefined>,
): ApiException<string> {
  let message = text;
  try {
    message = (JSON.parse(text) as Status).message ?? text;
  } catch {
    // not a Status: keep the text
  }
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
  return new ApiException<string>(code, `HTTP ${code} ${method} ${path}: ${message.slice(0, 500)}`, text, h);
}
