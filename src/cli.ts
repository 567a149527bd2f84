#!/usr/bin/env node
// clever-addon-operator: one binary, several commands. Each command lives in its own module and is loaded only when
// used, so `simulator` starts without loading the Kubernetes client and `--help` starts instantly.
import { redactText } from './redact.ts';

const commands: Record<string, { summary: string; load: () => Promise<{ main(argv: string[]): Promise<number> }> }> = {
  run: {
    summary: 'run the operator (in a cluster, or remotely with --kubeconfig)',
    load: () => import('./commands/run.ts'),
  },
  config: {
    summary: 'config check: show the configuration in use and test the credentials against Clever Cloud',
    load: () => import('./commands/config.ts'),
  },
  crds: {
    summary: 'print or write the CustomResourceDefinitions of every add-on kind',
    load: () => import('./commands/crds.ts'),
  },
  simulator: {
    summary: 'run a local Clever Cloud API simulator (for development, tests and the playground)',
    load: () => import('./simulator/cli.ts'),
  },
  playground: {
    summary: 'local control plane + simulator + operator + examples, in one command (Ctrl-C stops everything)',
    load: () => import('./commands/playground.ts'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'Usage: clever-addon-operator <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `clever-addon-operator <command> --help` for the options of a command.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const mod = await command.load();
  return mod.main(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Errors are written without credential text (docs/safety.md, 9); masking here is the last line of defence.
    console.error(redactText(err instanceof Error ? err.message : String(err)));
    process.exitCode = 1;
  },
);
