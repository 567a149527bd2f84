// Every example manifest is accepted by the real API server with our CRDs installed (server-side dry run: schema,
// defaults and CEL rules all apply), so the examples cannot drift from the CRDs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { providers } from '../../providers/index.ts';
import { adminKubeConfig, createTestNamespace } from '../support/kube.ts';
import { kubectl } from '../support/kubectl.ts';
import { ensureCrds } from '../support/operator.ts';
import { ensurePaperclipCrd } from '../support/paperclip.ts';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(f) ? [path] : [];
  });
}

const examples = yamlFiles('examples');

describe('examples', () => {
  let namespace = '';
  beforeAll(async () => {
    await ensureCrds();
    await ensurePaperclipCrd(); // examples/paperclip has a Paperclip Instance
    namespace = await createTestNamespace(adminKubeConfig(), 'examples');
  });

  it('exist for every kind', () => {
    const kinds = new Set(
      examples.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^kind: (\w+)$/gm)].map((m) => m[1])),
    );
    for (const p of providers) expect(kinds, `an example for ${p.kind}`).toContain(p.kind);
  });

  it.each(examples)('%s is accepted by the API server', async (file) => {
    const out = await kubectl(['apply', '--dry-run=server', '-n', namespace, '-f', file]);
    expect(out).toMatch(/(created|configured) \(server dry run\)/);
  });
});
