// The Paperclip Instance CRD (paperclip.inc/v1alpha1, from the Paperclip operator v0.2.0) on the shared test API
// server, for tests that apply examples/paperclip. It is large (~460 KB): server-side apply, like a user would.
import { kubectl } from './kubectl.ts';

export const PAPERCLIP_CRD = 'test/fixtures/paperclip/instances.paperclip.inc-v0.2.0.yaml';

let installed: Promise<void> | undefined;

export function ensurePaperclipCrd(): Promise<void> {
  installed ??= (async () => {
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', PAPERCLIP_CRD]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', PAPERCLIP_CRD]);
  })();
  return installed;
}
