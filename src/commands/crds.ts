// `clever-addon-operator crds`: prints the CRDs, writes them into a folder, or checks that a folder is up to date.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { providers } from '../../providers/index.ts';
import { checkCrdFiles, renderCrdFiles, writeCrdFiles } from '../model/crd-files.ts';
import { renderReference } from '../model/reference.ts';

const HELP = `Usage: clever-addon-operator crds [--out DIR] [--reference FILE] [--check]

  (no option)      print every CRD as a multi-document YAML stream (kubectl apply -f -)
  --out DIR        write one file per kind into DIR, removing files of kinds that no longer exist
  --reference FILE write the field reference (Markdown) into FILE
  --check          exit 1 if DIR or FILE differ from what would be generated`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      reference: { type: 'string' },
      check: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.check) {
    if (!values.out && !values.reference) throw new Error('--check needs --out DIR and/or --reference FILE');
    const problems = values.out ? (await checkCrdFiles(values.out, providers)).map((p) => `${values.out}/${p}`) : [];
    if (values.reference && (await readFile(values.reference, 'utf8').catch(() => '')) !== renderReference(providers)) {
      problems.push(`${values.reference} is stale`);
    }
    for (const p of problems) console.error(p);
    if (problems.length > 0) console.error('run `npm run crds` to regenerate');
    return problems.length > 0 ? 1 : 0;
  }
  if (values.out || values.reference) {
    if (values.out) {
      const written = await writeCrdFiles(values.out, providers);
      console.log(`wrote ${written.length} CRDs to ${values.out}`);
    }
    if (values.reference) {
      await mkdir(dirname(values.reference), { recursive: true });
      await writeFile(values.reference, renderReference(providers));
      console.log(`wrote ${values.reference}`);
    }
    return 0;
  }
  process.stdout.write([...renderCrdFiles(providers).values()].join('---\n'));
  return 0;
}
