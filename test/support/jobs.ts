// Jobs without a kubelet or controller-manager. The real API server stores CronJobs and Jobs, but nothing here runs
// them, so tests stand in for the parts that would:
// * the CronJob controller: a Job named <cronjob>-<scheduled unix minutes> from the CronJob's template;
// * the kubelet: the Job's single container run as a local process, its environment resolved from the API server
//   exactly as a pod's would be (env values, Secret keys, envFrom, the job-name label by fieldRef, $(VAR) references);
// * the Job controller: Complete or Failed written through the status subresource, with the conditions the API
//   server requires.
import { spawn } from 'node:child_process';
import type { KubeClient } from '../../src/kube/client.ts';
import { eventually } from './kube.ts';
import {
  JOB_NAME_LABEL,
  scheduledJobName,
  type CronJobObject,
  type JobObject,
} from '../../src/reconcile/backup/index.ts';

interface EnvVarSpec {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}

interface ContainerSpec {
  command?: string[];
  args?: string[];
  env?: EnvVarSpec[];
  envFrom?: { secretRef?: { name: string; optional?: boolean }; prefix?: string }[];
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: ContainerSpec[] };
}

export interface JobRun {
  exitCode: number;
  /** stdout and stderr, interleaved as written. */
  output: string;
  /** The environment the container got (for assertions; holds secrets, so never print it). */
  env: Record<string, string>;
}

export class JobSimulator {
  private readonly kube: KubeClient;
  private readonly namespace: string;

  constructor(kube: KubeClient, namespace: string) {
    this.kube = kube;
    this.namespace = namespace;
  }

  private get jobsPath(): string {
    return `/apis/batch/v1/namespaces/${this.namespace}/jobs`;
  }

  async list(labelSelector: string): Promise<JobObject[]> {
    return (await this.kube.request<{ items: JobObject[] }>('GET', this.jobsPath, { query: { labelSelector } })).items;
  }

  /** The restore Job the operator created for resource `owner` (waits for it). */
  async restoreJobOf(owner: string, timeoutMs = 30_000): Promise<JobObject> {
    const [job] = await eventually(
      async () => {
        const found = await this.list(`clever-cloud.com/backup-of=${owner},clever-cloud.com/backup-role=restore`);
        return found.length > 0 ? found : undefined;
      },
      timeoutMs,
      `restore Job of ${owner}`,
    );
    return job!;
  }

  async job(name: string): Promise<JobObject> {
    return this.kube.request<JobObject>('GET', `${this.jobsPath}/${name}`);
  }

  /** What the CronJob controller creates for the run scheduled at `at`; returns the Job's name. */
  async scheduleRun(cronJobName: string, at: Date): Promise<string> {
    const cj = await this.kube.request<CronJobObject>(
      'GET',
      `/apis/batch/v1/namespaces/${this.namespace}/cronjobs/${cronJobName}`,
    );
    const template = cj.spec!.jobTemplate as { metadata: JobObject['metadata']; spec: Record<string, unknown> };
    const name = scheduledJobName(cronJobName, at);
    await this.kube.request('POST', this.jobsPath, {
      body: {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name,
          labels: template.metadata?.labels,
          annotations: template.metadata?.annotations,
          ownerReferences: [
            { apiVersion: 'batch/v1', kind: 'CronJob', name: cronJobName, uid: cj.metadata!.uid!, controller: true },
          ],
        },
        spec: template.spec,
      },
    });
    return name;
  }

  /** What the Job controller writes when the Job finishes. */
  async finish(name: string, outcome: 'Complete' | 'Failed', at = new Date()): Promise<void> {
    const start = new Date(at.getTime() - 60_000).toISOString();
    const end = at.toISOString();
    const cond = (type: string, reason: string) => ({
      type,
      status: 'True',
      reason,
      message: reason,
      lastProbeTime: end,
      lastTransitionTime: end,
    });
    const status =
      outcome === 'Complete'
        ? {
            startTime: start,
            completionTime: end,
            succeeded: 1,
            conditions: [cond('SuccessCriteriaMet', 'CompletionsReached'), cond('Complete', 'CompletionsReached')],
          }
        : {
            startTime: start,
            failed: 1,
            conditions: [cond('FailureTarget', 'BackoffLimitExceeded'), cond('Failed', 'BackoffLimitExceeded')],
          };
    await this.kube.request('PATCH', `${this.jobsPath}/${name}/status`, {
      body: { status },
      contentType: 'application/merge-patch+json',
    });
  }

  /**
   * Runs the Job's container here, as the kubelet would run it in a pod, then records the outcome as the Job
   * controller would. The tools its command calls (pg_dump, aws, ...) must be on this machine's PATH.
   */
  async run(name: string, options: { timeoutMs?: number } = {}): Promise<JobRun> {
    const job = await this.job(name);
    const template = (job.spec as { template: PodTemplate }).template;
    if (template.spec.containers.length !== 1) throw new Error(`Job ${name}: expected exactly one container`);
    const container = template.spec.containers[0]!;
    const labels = { ...template.metadata?.labels, [JOB_NAME_LABEL]: name, 'job-name': name };
    const env = await this.resolveEnv(container, { name, labels });
    const [command, ...args] = [...(container.command ?? []), ...(container.args ?? [])].map((a) => expand(a, env));
    if (!command) throw new Error(`Job ${name}: the container has no command (the image entrypoint is not known here)`);
    const result = await runProcess(command, args, { ...env, PATH: process.env.PATH ?? '/usr/bin:/bin' }, options);
    await this.finish(name, result.exitCode === 0 ? 'Complete' : 'Failed');
    return { ...result, env };
  }

  private async resolveEnv(
    container: ContainerSpec,
    pod: { name: string; labels: Record<string, string> },
  ): Promise<Record<string, string>> {
    const secrets = new Map<string, Record<string, string> | undefined>();
    const secret = async (secretName: string) => {
      if (!secrets.has(secretName)) {
        const s = await this.kube
          .request<{ data?: Record<string, string> }>(
            'GET',
            `/api/v1/namespaces/${this.namespace}/secrets/${secretName}`,
          )
          .catch((err: unknown) => {
            if ((err as { code?: number }).code === 404) return undefined;
            throw err;
          });
        secrets.set(
          secretName,
          s &&
            Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])),
        );
      }
      return secrets.get(secretName);
    };
    const env: Record<string, string> = {};
    // As in a pod: envFrom first, then env entries, which win and may refer to earlier ones as $(NAME).
    for (const from of container.envFrom ?? []) {
      if (!from.secretRef) throw new Error('only envFrom.secretRef is supported here');
      const data = await secret(from.secretRef.name);
      if (!data && !from.secretRef.optional) {
        throw new Error(`CreateContainerConfigError: secret "${from.secretRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(data ?? {})) env[`${from.prefix ?? ''}${k}`] = v;
    }
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = expand(e.value, env);
      else if (e.valueFrom?.secretKeyRef) {
        const ref = e.valueFrom.secretKeyRef;
        const value = (await secret(ref.name))?.[ref.key];
        if (value === undefined && !ref.optional) {
          throw new Error(`CreateContainerConfigError: key "${ref.key}" of secret "${ref.name}" not found`);
        }
        if (value !== undefined) env[e.name] = value;
      } else if (e.valueFrom?.fieldRef) {
        env[e.name] = fieldValue(e.valueFrom.fieldRef.fieldPath, { ...pod, namespace: this.namespace });
      } else env[e.name] = '';
    }
    return env;
  }
}

function fieldValue(path: string, pod: { name: string; namespace: string; labels: Record<string, string> }): string {
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label) return pod.labels[label[1]!] ?? '';
  if (path === 'metadata.name') return `${pod.name}-local`;
  if (path === 'metadata.namespace') return pod.namespace;
  throw new Error(`fieldRef ${path} is not supported here`);
}

/** Kubernetes' $(VAR) expansion: defined names are replaced, $$ escapes, anything else is left as written. */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) =>
    name === undefined ? '$' : (env[name] ?? m),
  );
}

function runProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  options: { timeoutMs?: number },
): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: env.HOME ?? '/tmp' });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? (signal ? 128 : 1), output });
    });
  });
}
