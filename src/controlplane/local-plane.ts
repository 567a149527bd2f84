// A real, local Kubernetes control plane (etcd + kube-apiserver), started the way controller-runtime's envtest does:
// free loopback ports, generated certificates, an admin client certificate, RBAC authorization, and a kubeconfig.
// Used by the integration tests and by the playground. There is no controller-manager, scheduler or kubelet: no
// garbage collection, no namespace finalization, no pods running.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClientIdentity, createPlaneCertificates, type PlaneCertificates } from './certs.ts';
import { startSupervised, type Supervised } from './supervised.ts';

export interface PlaneUser {
  name: string;
  groups: string[];
  /** A static bearer token for this user (kube-apiserver --token-auth-file). */
  token: string;
}

export interface LocalPlaneOptions {
  /** Folder holding etcd, kube-apiserver (and kubectl); default: the build script's cache folder. */
  binDir?: string;
  /** Extra users authenticated by static token, e.g. to test RBAC as a service account would see it. */
  users?: PlaneUser[];
  startTimeoutMs?: number;
  log?: (message: string) => void;
  /** Picks the etcd client, etcd peer and kube-apiserver ports; default freePorts. A seam for the port-race test. */
  pickPorts?: (count: number) => Promise<number[]>;
}

export interface LocalPlane {
  server: string;
  /** Kubeconfig of a cluster admin (client certificate, group system:masters). */
  kubeconfigPath: string;
  caCertPem: string;
  workDir: string;
  logsDir: string;
  binDir: string;
  /** Stops the kube-apiserver and starts it again on the same port with the same etcd. */
  restartApiServer(): Promise<void>;
  stop(options?: { keepLogs?: boolean }): Promise<void>;
}

/** Finds the folder where tools/build-control-plane.sh puts the binaries (the script is the single source). */
export function defaultBinDir(): string {
  if (process.env.CLEVER_TESTBIN_DIR) return process.env.CLEVER_TESTBIN_DIR;
  let dir = import.meta.dirname;
  for (let i = 0; i < 6; i++) {
    const script = join(dir, 'tools', 'build-control-plane.sh');
    if (existsSync(script)) return execFileSync('bash', [script, '--print-dir'], { encoding: 'utf8' }).trim();
    dir = dirname(dir);
  }
  throw new Error(
    'cannot find tools/build-control-plane.sh; set CLEVER_TESTBIN_DIR to the folder with kube-apiserver and etcd',
  );
}

function listenEphemeral(): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (typeof addr !== 'object' || !addr) return reject(new Error('no port'));
      resolvePort({ port: addr.port, close: () => new Promise((done) => srv.close(() => done())) });
    });
  });
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/**
 * Distinct free loopback ports. All listeners stay open until every port is known: closing each one before asking
 * for the next lets the kernel hand the same port out twice (CI once gave etcd and kube-apiserver the same one).
 */
export async function freePorts(count: number): Promise<number[]> {
  const held: { port: number; close: () => Promise<void> }[] = [];
  try {
    for (let i = 0; i < count; i++) held.push(await listenEphemeral());
    return held.map((h) => h.port);
  } finally {
    await Promise.all(held.map((h) => h.close()));
  }
}

function probe(url: string, ca?: string): Promise<number> {
  return new Promise((resolveStatus) => {
    const req = (url.startsWith('https') ? httpsRequest : httpRequest)(url, { ca, timeout: 2_000 }, (res) => {
      res.resume();
      resolveStatus(res.statusCode ?? 0);
    });
    req.on('error', () => resolveStatus(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function waitHealthy(proc: Supervised, url: string, timeoutMs: number, ca?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.isRunning()) {
      throw new Error(`${proc.name} exited during start-up; last log lines (${proc.logFile}):\n${proc.tail()}`);
    }
    if ((await probe(url, ca)) === 200) return;
    await sleep(250);
  }
  throw new Error(
    `${proc.name} not healthy at ${url} after ${timeoutMs} ms; last log lines (${proc.logFile}):\n${proc.tail()}`,
  );
}

function kubeconfigJson(server: string, caPem: string, certPem: string, keyPem: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
      users: [{ name: 'admin', user: { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) } }],
      contexts: [{ name: 'local', context: { cluster: 'local', user: 'admin', namespace: 'default' } }],
      'current-context': 'local',
    },
    null,
    2,
  );
}

function portTaken(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e.message.includes('address already in use')) return true;
  }
  return false;
}

/**
 * Starts etcd and kube-apiserver. A free port can still be taken by another process between our probe and the
 * binary's bind; that start-up is retried on fresh ports (up to three attempts) instead of failing the run.
 */
export async function startLocalPlane(options: LocalPlaneOptions = {}): Promise<LocalPlane> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLocalPlaneOnce(options);
    } catch (err) {
      if (attempt >= 3 || !portTaken(err)) throw err;
      options.log?.(`a port was taken during start-up (attempt ${attempt}); retrying on fresh ports`);
    }
  }
}

async function startLocalPlaneOnce(options: LocalPlaneOptions): Promise<LocalPlane> {
  const log = options.log ?? (() => undefined);
  const binDir = options.binDir ?? defaultBinDir();
  for (const bin of ['etcd', 'kube-apiserver']) {
    if (!existsSync(join(binDir, bin))) {
      throw new Error(`${join(binDir, bin)} is missing: run \`npm run controlplane:build\` first`);
    }
  }
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const workDir = await mkdtemp(join(tmpdir(), 'clever-local-plane-'));
  const logsDir = join(workDir, 'logs');
  const certDir = join(workDir, 'certs');
  await mkdir(logsDir);
  await mkdir(certDir);

  let etcd: Supervised | undefined;
  let apiserver: Supervised | undefined;
  const stopAll = async () => {
    await apiserver?.stop();
    await etcd?.stop();
  };

  try {
    const certs: PlaneCertificates = await createPlaneCertificates(certDir);
    const admin = await createClientIdentity(certs, 'admin', ['system:masters']);
    const tokensFile = join(certDir, 'tokens.csv');
    await writeFile(
      tokensFile,
      (options.users ?? []).map((u) => `${u.token},${u.name},${u.name},"${u.groups.join(',')}"`).join('\n') + '\n',
    );

    const [etcdClientPort, etcdPeerPort, apiPort] = (await (options.pickPorts ?? freePorts)(3)) as [
      number,
      number,
      number,
    ];
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    log(`starting etcd on ${etcdUrl}`);
    etcd = startSupervised(
      'etcd',
      join(binDir, 'etcd'),
      [
        `--data-dir=${join(workDir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      join(logsDir, 'etcd.log'),
    );
    await waitHealthy(etcd, `${etcdUrl}/health`, startTimeoutMs);

    const server = `https://127.0.0.1:${apiPort}`;
    const apiArgs = [
      `--etcd-servers=${etcdUrl}`,
      `--cert-dir=${certDir}`,
      `--tls-cert-file=${certs.servingCert}`,
      `--tls-private-key-file=${certs.servingKey}`,
      `--client-ca-file=${certs.caCert}`,
      `--token-auth-file=${tokensFile}`,
      `--secure-port=${apiPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The `kubernetes` Service endpoints would point at a loopback address, which validation rejects.
      '--endpoint-reconciler-type=none',
      `--service-account-issuer=${server}/`,
      `--service-account-key-file=${certs.serviceAccountKey}`,
      `--service-account-signing-key-file=${certs.serviceAccountKey}`,
      '--authorization-mode=RBAC',
      '--allow-privileged=true',
      '--service-cluster-ip-range=10.0.0.0/24',
      // No controller-manager runs, so nothing would create the default ServiceAccount this plugin waits for.
      '--disable-admission-plugins=ServiceAccount',
    ];
    const caCertPem = await readFile(certs.caCert, 'utf8');
    const startApi = async () => {
      log(`starting kube-apiserver on ${server}`);
      apiserver = startSupervised(
        'kube-apiserver',
        join(binDir, 'kube-apiserver'),
        apiArgs,
        join(logsDir, 'kube-apiserver.log'),
      );
      await waitHealthy(apiserver, `${server}/readyz`, startTimeoutMs, caCertPem);
    };
    await startApi();

    const kubeconfigPath = join(workDir, 'kubeconfig');
    await writeFile(
      kubeconfigPath,
      kubeconfigJson(server, caCertPem, await readFile(admin.cert, 'utf8'), await readFile(admin.key, 'utf8')),
      { mode: 0o600 },
    );
    log(`control plane ready at ${server}; kubeconfig ${kubeconfigPath}; logs in ${logsDir}`);

    return {
      server,
      kubeconfigPath,
      caCertPem,
      workDir,
      logsDir,
      binDir: resolve(binDir),
      async restartApiServer() {
        await apiserver?.stop();
        await startApi();
      },
      async stop({ keepLogs = true } = {}) {
        await stopAll();
        // etcd's data (tens of MB of preallocated WAL) and the keys go; the logs stay for post-mortems.
        await rm(join(workDir, 'etcd'), { recursive: true, force: true });
        await rm(certDir, { recursive: true, force: true });
        await rm(kubeconfigPath, { force: true });
        if (!keepLogs) await rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll();
    throw new Error(`local control plane failed to start (logs kept in ${logsDir})`, { cause: err });
  }
}
