// `clever-addon-operator crds`: prints the CRDs, writes them into a folder, or checks that a folder is up to date.
import { parseArgs } from 'node:util';
import { providers } from '../../providers/index.ts';
import { checkCrdFiles, renderCrdFiles, writeCrdFiles } from '../model/crd-files.ts';

const HELP = `Usage: clever-addon-operator crds [--out DIR] [--check]

  (no option)   print every CRD as a multi-document YAML stream (kubectl apply -f -)
  --out DIR     write one file per kind into DIR, removing files of kinds that no longer exist
  --check       with --out: exit 1 if DIR differs from what would be generated`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.check) {
    if (!values.out) throw new Error('--check needs --out DIR');
    const problems = await checkCrdFiles(values.out, providers);
    for (const p of problems) console.error(`${values.out}/${p}`);
    if (problems.length > 0) console.error('run `npm run crds` to regenerate');
    return problems.length > 0 ? 1 : 0;
  }
  if (values.out) {
    const written = await writeCrdFiles(values.out, providers);
    console.log(`wrote ${written.length} CRDs to ${values.out}`);
    return 0;
  }
  process.stdout.write([...renderCrdFiles(providers).values()].join('---\n'));
  return 0;
}
