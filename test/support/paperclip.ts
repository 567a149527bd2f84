// The Paperclip Instance CRD (paperclip.inc/v1alpha1, from the Paperclip operator v0.2.0) on the shared test API
// server, for tests that apply examples/paperclip. It is large (~460 KB): server-side apply, like a user would.
import { kubectl } from './kubectl.ts';

export const PAPERCLIP_CRD = 'test/fixtures/paperclip/instances.paperclip.inc-v0.2.0.yaml';

let installed: Promise<void> | undefined;

export function ensurePaperclipCrd(): Promise<void> {
  installed ??= (async () => {
    // Test files run in parallel and each installs it: concurrent applies of the same large object can lose a
    // race (409) or time out under load, so retry a few times before failing the file.
    for (let attempt = 1; ; attempt++) {
      try {
        await kubectl(['apply', '--server-side', '--force-conflicts', '-f', PAPERCLIP_CRD]);
        await kubectl(['wait', '--for=condition=Established', '--timeout=120s', '-f', PAPERCLIP_CRD]);
        return;
      } catch (err) {
        if (attempt >= 3) throw err;
        await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
      }
    }
  })();
  return installed;
}
