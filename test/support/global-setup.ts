// One real control plane (etcd + kube-apiserver) for the whole integration run; test files get its kubeconfig
// through vitest's provide/inject and each works in a namespace of its own (see ./kube.ts).
import type { TestProject } from 'vitest/node';
import { startLocalPlane } from '../../src/controlplane/local-plane.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfigPath: string;
    controlPlaneLogsDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const plane = await startLocalPlane({ log: (m) => console.log(`[control-plane] ${m}`) });
  console.log(`[control-plane] up in ${Date.now() - started} ms`);
  project.provide('kubeconfigPath', plane.kubeconfigPath);
  project.provide('controlPlaneLogsDir', plane.logsDir);
  return async () => {
    const failed = project.vitest.state.getCountOfFailedTests();
    await plane.stop({ keepLogs: failed > 0 });
    if (failed > 0) console.log(`[control-plane] there were failures; etcd and kube-apiserver logs: ${plane.logsDir}`);
  };
}
