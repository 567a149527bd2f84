// `clever-addon-operator simulator`: runs the simulator in the foreground for local development and the
// playground, until SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  CLEVER_TOOLS_CONSUMER,
  DEV_API_TOKEN,
  DEV_OAUTH_SECRET,
  DEV_OAUTH_TOKEN,
  DEV_ORG_ID,
  DEV_USER_ID,
} from './accounts.ts';
import { parseFaultRules } from './faults.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from './index.ts';

const HELP = `Usage: clever-addon-operator simulator [options]

Runs a local Clever Cloud API simulator (main API + api-bridge). For local use only: its admin endpoints
(/__simulator/...) are unauthenticated, keep it on loopback.

Options:
  --port N                main API port (default 8085, 0 = random)
  --bridge-port N         api-bridge port (default 8086, 0 = random)
  --host HOST             listen address (default 127.0.0.1)
  --state-file FILE       persist state as JSON in FILE (loaded at start if present)
  --provisioning-delay MS time before a new add-on is ready (default 0)
  --list-delay MS         time before a new add-on shows in list responses (default 0)
  --migration-step MS     duration of each migration step (default 0)
  --seed N                seed ids, passwords and fault draws (reproducible runs)
  --faults FILE           initial fault rules (JSON array)
  --cellar-host HOST      value of CELLAR_ADDON_HOST (e.g. a local S3 server)
  -h, --help              show this help
`;

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: expected a non-negative integer, got "${value}"`);
  return n;
}

export function parseCliOptions(argv: string[]): SimulatorOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      'bridge-port': { type: 'string' },
      host: { type: 'string' },
      'state-file': { type: 'string' },
      'provisioning-delay': { type: 'string' },
      'list-delay': { type: 'string' },
      'migration-step': { type: 'string' },
      seed: { type: 'string' },
      faults: { type: 'string' },
      'cellar-host': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const options: SimulatorOptions = {
    host: values.host ?? '127.0.0.1',
    port: int('port', values.port, 8085),
    bridgePort: int('bridge-port', values['bridge-port'], 8086),
    stateFile: values['state-file'],
    provisioningDelayMs: int('provisioning-delay', values['provisioning-delay'], 0),
    listConsistencyDelayMs: int('list-delay', values['list-delay'], 0),
    migrationStepMs: int('migration-step', values['migration-step'], 0),
  };
  if (values['cellar-host'] !== undefined) options.cellarHost = values['cellar-host'];
  if (values.seed !== undefined) options.seed = int('seed', values.seed, 0);
  if (values.faults !== undefined) {
    const file = values.faults;
    try {
      options.faults = parseFaultRules(JSON.parse(readFileSync(file, 'utf8')));
    } catch (err) {
      throw new Error(`--faults ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return options;
}

export function banner(sim: Simulator): string {
  return [
    `Clever Cloud API simulator`,
    `  API:        ${sim.url}`,
    `  api-bridge: ${sim.bridgeUrl}`,
    `  admin:      ${sim.url}/__simulator/health (requests, faults, addons)`,
    ``,
    `Fake credentials (account dev@example.com):`,
    `  user id:          ${DEV_USER_ID}`,
    `  organisation id:  ${DEV_ORG_ID}`,
    `  OAuth consumer:   ${CLEVER_TOOLS_CONSUMER.key} / ${CLEVER_TOOLS_CONSUMER.secret} (clever-tools' public one)`,
    `  OAuth token:      ${DEV_OAUTH_TOKEN} / ${DEV_OAUTH_SECRET}`,
    `  API token:        ${DEV_API_TOKEN} (Bearer, on the api-bridge)`,
    ``,
    `clever-tools against the simulator:`,
    `  export API_HOST=${sim.url} CLEVER_TOKEN=${DEV_OAUTH_TOKEN} CLEVER_SECRET=${DEV_OAUTH_SECRET}`,
    ``,
    `Press Ctrl-C to stop.`,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let options: SimulatorOptions | 'help';
  try {
    options = parseCliOptions(argv);
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  if (options === 'help') {
    console.log(HELP);
    return 0;
  }
  const sim = await startSimulator(options);
  console.log(banner(sim));
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await sim.stop();
  console.log('simulator stopped');
  return 0;
}
