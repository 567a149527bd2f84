#!/usr/bin/env node
// clever-addon-operator: one binary, several commands. Each command lives in its own module and is loaded only when
// used, so `simulator` starts without loading the Kubernetes client and `--help` starts instantly.
import { applyHeapFlags } from './heap.ts';
import { redactText } from './redact.ts';

// `run` first re-executes itself with heap flags sized from the container's memory limit when they are not given
// (src/heap.ts): before anything of the operator is loaded, so the restart costs only a bare Node start-up.
if (process.argv[2] === 'run') applyHeapFlags();

interface CommandModule {
  main(argv: string[]): Promise<number>;
}

/** Thrown when a development command's module is not installed (the production image leaves it out). */
class MissingDevCommand extends Error {}

/**
 * A development command: the simulator, the playground and the local control plane are left out of the production
 * build (tsconfig.build.json excludes them). The specifier is computed, not a literal, so that the compiler does not
 * pull the module back into the build by following the import; `.ts` from the sources, `.js` from dist/.
 */
async function loadDev(path: string): Promise<CommandModule> {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`${path}${ext}`, import.meta.url);
  try {
    return (await import(url.href)) as CommandModule;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { url?: string };
    if (e.code === 'ERR_MODULE_NOT_FOUND' && (e.url === url.href || e.message.includes(url.pathname)))
      throw new MissingDevCommand();
    throw err;
  }
}

const commands: Record<string, { summary: string; dev?: boolean; load: () => Promise<CommandModule> }> = {
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
    dev: true,
    load: () => loadDev('./simulator/cli'),
  },
  playground: {
    summary: 'local control plane + simulator + operator + examples, in one command (Ctrl-C stops everything)',
    dev: true,
    load: () => loadDev('./commands/playground'),
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
  let mod: CommandModule;
  try {
    mod = await command.load();
  } catch (err) {
    if (!(err instanceof MissingDevCommand)) throw err;
    console.error(
      `"${name}" is a development command and is not part of this installation: the production image ships only ` +
        'run, config and crds (the simulator, the playground and the local control plane are left out). Run it ' +
        `from a clone of the repository: npm run operator -- ${name}`,
    );
    return 2;
  }
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
