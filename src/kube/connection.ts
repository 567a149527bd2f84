// How `run` reaches the API server without loading @kubernetes/client-node. That package's KubeConfig imports its
// whole generated API (about 850 modules): about 75 MiB of resident memory before the operator has seen a single
// object (docs/benchmarks.md, "Footprint"). The operator speaks raw JSON through src/kube/client.ts and needs from a
// kubeconfig only a server, its CA and a credential, so the common cases are read here: the pod's service account,
// and kubeconfigs whose user is a client certificate or a bearer token (inline or in a file). Anything else
// (exec plugins, auth providers such as OIDC, proxies, several $KUBECONFIG files, impersonation) is handed to
// client-node's KubeConfig, imported only then.
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';
import { http1Agent } from '../util/http.ts';
import { parse as parseYaml } from 'yaml';

/** What a request needs: where to send it, and how to authenticate it (asked again per request: tokens rotate). */
export interface KubeConnection {
  readonly server: string;
  authenticate(): Promise<{ headers: Record<string, string>; dispatcher: Dispatcher | undefined }>;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** How long a token read from a file is reused (client-go and client-node re-read every minute too). */
const TOKEN_FILE_TTL_MS = 60_000;

interface TlsSettings {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** A connection with a fixed TLS set-up and an optional bearer token (inline or re-read from a file). */
export class StaticConnection implements KubeConnection {
  readonly server: string;
  private readonly tls: TlsSettings;
  private readonly token: string | undefined;
  private readonly tokenFile: string | undefined;
  private fileToken: { value: string; readAt: number } | undefined;
  private dispatcher: Dispatcher | undefined;

  constructor(options: { server: string; tls?: TlsSettings; token?: string; tokenFile?: string }) {
    this.server = options.server.replace(/\/$/, '');
    this.tls = options.tls ?? {};
    this.token = options.token;
    this.tokenFile = options.tokenFile;
  }

  authenticate(): Promise<{ headers: Record<string, string>; dispatcher: Dispatcher | undefined }> {
    const headers: Record<string, string> = {};
    const token = this.currentToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    // One pool for the connection's lifetime: keep-alive across requests and watches (HTTP/1.1: each watch holds a
    // connection of its own).
    if (!this.dispatcher && this.server.startsWith('https:')) {
      const connect: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(this.tls)) if (v !== undefined) connect[k] = v;
      this.dispatcher = http1Agent({ connect });
    }
    return Promise.resolve({ headers, dispatcher: this.dispatcher });
  }

  private currentToken(): string | undefined {
    if (this.token) return this.token;
    if (!this.tokenFile) return undefined;
    const now = Date.now();
    if (!this.fileToken || now - this.fileToken.readAt > TOKEN_FILE_TTL_MS)
      this.fileToken = { value: readFileSync(this.tokenFile, 'utf8').trim(), readAt: now };
    return this.fileToken.value;
  }
}

/** The pod's service account (what client-node's loadFromCluster does). */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): StaticConnection {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https';
  const server = `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  return new StaticConnection({
    server,
    tls: { ca: readFileSync(join(dir, 'ca.crt')) },
    tokenFile: join(dir, 'token'),
  });
}

interface NamedCluster {
  name: string;
  cluster?: Record<string, unknown>;
}
interface NamedUser {
  name: string;
  user?: Record<string, unknown>;
}
interface NamedContext {
  name: string;
  context?: { cluster?: string; user?: string };
}
interface KubeConfigFile {
  'current-context'?: string;
  clusters?: NamedCluster[];
  users?: NamedUser[];
  contexts?: NamedContext[];
}

/** Cluster fields this module understands; any other (proxy-url, extensions aside) sends the file to client-node. */
const CLUSTER_FIELDS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
  'extensions',
]);
const USER_FIELDS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'tokenFile',
  'extensions',
]);

/**
 * A connection from a kubeconfig text, or undefined when it uses anything beyond a server, a CA and a client
 * certificate or token (the caller then falls back to client-node). Relative file paths are relative to `baseDir`.
 */
export function connectionFromKubeconfig(
  text: string,
  baseDir: string,
  context?: string,
): StaticConnection | undefined {
  const doc = parseYaml(text) as KubeConfigFile | null;
  if (!doc || typeof doc !== 'object') return undefined;
  const contextName = context ?? doc['current-context'];
  const ctx = doc.contexts?.find((c) => c.name === contextName)?.context;
  if (!ctx?.cluster) return undefined;
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  const user = ctx.user === undefined ? {} : doc.users?.find((u) => u.name === ctx.user)?.user;
  if (!cluster || typeof cluster.server !== 'string' || !user) return undefined;
  if (Object.keys(cluster).some((k) => !CLUSTER_FIELDS.has(k))) return undefined;
  if (Object.keys(user).some((k) => !USER_FIELDS.has(k))) return undefined;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const path = (p: string) => (isAbsolute(p) ? p : join(baseDir, p));
  const material = (data: unknown, file: unknown): Buffer | undefined => {
    if (str(data)) return Buffer.from(str(data)!, 'base64');
    if (str(file)) return readFileSync(path(str(file)!));
    return undefined;
  };
  const tls: TlsSettings = {
    ca: material(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: material(user['client-certificate-data'], user['client-certificate']),
    key: material(user['client-key-data'], user['client-key']),
    ...(cluster['insecure-skip-tls-verify'] === true ? { rejectUnauthorized: false } : {}),
    servername: str(cluster['tls-server-name']),
  };
  const tokenFile = str(user.tokenFile);
  return new StaticConnection({
    server: cluster.server,
    tls,
    ...(str(user.token) ? { token: str(user.token)! } : {}),
    ...(tokenFile ? { tokenFile: path(tokenFile) } : {}),
  });
}

/** A connection over client-node's KubeConfig (tests, and kubeconfigs this module leaves to it). */
export function kubeConfigConnection(kc: k8s.KubeConfig): KubeConnection {
  let dispatcher: Dispatcher | undefined;
  // Read per use, as client-node does: a KubeConfig may be loaded or switched after the client is made.
  const server = () => {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    return cluster.server.replace(/\/$/, '');
  };
  return {
    get server() {
      return server();
    },
    async authenticate() {
      // The caller already holds a KubeConfig, so client-node is loaded: importing it here loads nothing new.
      const { RequestContext } = await import('@kubernetes/client-node');
      const ctx = new RequestContext(server(), 'GET');
      await kc.applySecurityAuthentication(ctx);
      dispatcher ??= ctx.getDispatcher();
      return { headers: { ...ctx.getHeaders() }, dispatcher };
    },
  };
}

/** Whether `run` uses the pod's service account (no kubeconfig given, inside a cluster). */
export function usesInClusterConfig(kubeconfig: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return !kubeconfig && Boolean(env.KUBERNETES_SERVICE_HOST) && !env.KUBECONFIG;
}

/** The kubeconfig file `run` reads: the flag, else a single-file $KUBECONFIG, else ~/.kube/config. */
function kubeconfigPath(kubeconfig: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (kubeconfig) return kubeconfig;
  const fromEnv = env.KUBECONFIG;
  if (fromEnv) return fromEnv.includes(':') ? undefined : fromEnv;
  const home = env.HOME ?? env.USERPROFILE;
  return home ? join(home, '.kube', 'config') : undefined;
}

/**
 * The connection `run` uses: in a cluster the service account, else the kubeconfig (flag, $KUBECONFIG,
 * ~/.kube/config) read here when it is simple, by client-node otherwise.
 */
export async function loadConnection(
  kubeconfig: string | undefined,
  context: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<KubeConnection> {
  if (usesInClusterConfig(kubeconfig, env) && !context) return inClusterConnection(env);
  const file = kubeconfigPath(kubeconfig, env);
  if (file) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (kubeconfig) throw err;
    }
    const simple = text === undefined ? undefined : connectionFromKubeconfig(text, dirname(file), context);
    if (simple) return simple;
  }
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else if (usesInClusterConfig(kubeconfig, env)) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (context) kc.setCurrentContext(context);
  if (!kc.getCurrentCluster())
    throw new Error('no Kubernetes cluster configured: pass --kubeconfig or run in a cluster');
  return kubeConfigConnection(kc);
}
