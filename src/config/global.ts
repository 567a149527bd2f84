// Global configuration: where the operator finds its default Clever Cloud credentials and settings.
//
// Precedence, highest first (per key):
//   1. the file given with --config (when given, the search path below is not read, as upstream does);
//   2. environment variables CLEVER_OPERATOR_<SECTION>_<KEY> (e.g. CLEVER_OPERATOR_API_TOKEN);
//   3. the upstream operator's search path, later entries overriding earlier ones:
//      /usr/share/clever-kubernetes-operator/config.*, /etc/clever-kubernetes-operator/config.*,
//      $HOME/.config/clever-kubernetes-operator/config.*, $HOME/.local/share/clever-kubernetes-operator/config.*,
//      ./config.* (each as .toml, .yaml, .yml or .json);
//   4. clever-tools' login ($HOME/.config/clever-cloud/clever-tools.json: token and secret), for local use.
// Empty strings count as unset: the upstream sample config ships `consumer-key = ""`, which must not mask a value
// from the environment.
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { describeParseLocation, type ConfigFormat } from './parse-errors.ts';

/** Every setting, with its file key (`section.key`) and environment variable. */
export const SETTINGS = {
  'api.token': 'OAuth1 token (with api.secret).',
  'api.secret': 'OAuth1 token secret.',
  'api.consumer-key': 'OAuth1 consumer key; default: the public clever-tools consumer.',
  'api.consumer-secret': 'OAuth1 consumer secret.',
  'api.api-token': 'Clever Cloud API token, sent as a Bearer token to the api-bridge host (instead of OAuth1).',
  'api.signature-method': 'OAuth1 signature method: HMAC-SHA512 (default) or PLAINTEXT.',
  'api.endpoint': 'Clever Cloud API URL; default https://api.clever-cloud.com.',
  'api.bridge-endpoint': 'Clever Cloud api-bridge URL (API tokens); default https://api-bridge.clever-cloud.com.',
  'api.organisation': 'Default owner (orga_... or user_...) for resources without spec.organisation.',
  'operator.listen': 'Upstream setting (address of its HTTP server); accepted and ignored, see metrics/health.',
  'operator.metrics-address': 'Address of the Prometheus /metrics endpoint; default :8080.',
  'operator.health-address': 'Address of /healthz and /readyz; default :8081.',
  'operator.watch-namespaces': 'Comma-separated namespaces to watch; default: all.',
  'operator.drift-interval-seconds': 'How often each add-on is re-checked against Clever Cloud; default 300.',
  'operator.max-concurrent-reconciles': 'Reconciles running at once; default 4.',
  'operator.clever-rate-limit':
    'Clever Cloud calls per second per set of credentials (token bucket); default 10. Raise it for bulk imports.',
  'operator.clever-burst': 'Clever Cloud calls allowed at once above the rate (token bucket size); default 20.',
  'operator.backup-image':
    'Image of the backup and restore Jobs (spec.backup, spec.restoreFrom) when a resource names none; default: ' +
    'the image built from docker/backup-tools.',
  'operator.policy-mode':
    'open (default): namespaces no AddonPolicy selects work as before; strict: nothing is allowed there.',
  'operator.backups':
    'true to act on spec.backup and spec.restoreFrom (needs RBAC on batch CronJobs and Jobs); default: true when ' +
    'operator.backup-image is set, else false.',
  'operator.workload-rollouts':
    'true to restart the workloads listed in spec.secret.rolloutRestart (needs get + patch on Deployments, ' +
    'StatefulSets, DaemonSets); default false.',
  'operator.leader-election-namespace':
    "Namespace of the leader-election Lease; default in a cluster: the pod's namespace. Required outside a cluster.",
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type Settings = Partial<Record<SettingKey, string>>;
export type Sources = Partial<Record<SettingKey, string>>;

export interface LoadedConfig {
  settings: Settings;
  /** Where each setting came from (a file path or an environment variable name), for `config check`. */
  sources: Sources;
}

export function envVarName(key: SettingKey): string {
  return `CLEVER_OPERATOR_${key.replace(/[.-]/g, '_').toUpperCase()}`;
}

/** Aliases accepted in files: upstream Helm charts wrote camelCase keys, which upstream silently ignored. */
const ALIASES: Record<string, string> = {
  consumerKey: 'consumer-key',
  consumerSecret: 'consumer-secret',
  apiToken: 'api-token',
};

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const section = z.record(z.string(), z.union([scalar, z.array(scalar)]));
const fileSchema = z.object({ api: section.optional(), operator: section.optional() }).loose();

/** A parse failure, as the format and the place only (see parse-errors.ts: parser messages quote the text). */
class ParseFailure extends Error {
  readonly where: string;
  constructor(format: ConfigFormat, where: string) {
    super(`cannot be parsed as ${format} (${where})`);
    this.where = where;
  }
}

function parseAs(format: ConfigFormat, text: string): unknown {
  try {
    if (format === 'TOML') return parseToml(text);
    if (format === 'YAML') return parseYaml(text) as unknown;
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ParseFailure(format, describeParseLocation(format, err, text));
  }
}

const isTable = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseFileText(path: string, text: string): unknown {
  const ext = extname(path).toLowerCase();
  if (ext === '.toml') return parseAs('TOML', text);
  if (ext === '.yaml' || ext === '.yml') return parseAs('YAML', text);
  if (ext === '.json') return parseAs('JSON', text);
  // Extension-less files (a mounted Secret key named `config`): try TOML, the upstream format, then YAML. When
  // neither gives a table, both places are reported (a broken TOML text is often a valid YAML string).
  let toml: ParseFailure;
  try {
    return parseAs('TOML', text);
  } catch (err) {
    if (!(err instanceof ParseFailure)) throw err;
    toml = err;
  }
  let yaml: unknown;
  try {
    yaml = parseAs('YAML', text);
  } catch (err) {
    if (!(err instanceof ParseFailure)) throw err;
    throw new ParseFailure('TOML', `${toml.where}; nor as YAML: ${err.where}`);
  }
  if (yaml === null || yaml === undefined || isTable(yaml)) return yaml;
  throw new ParseFailure('TOML', `${toml.where}; nor as YAML: not a mapping`);
}

/**
 * Parses a config text (TOML, YAML or JSON) into settings; errors name the source and the key. A text that does not
 * parse is reported by its line and column only: the text holds credentials, and parsers quote it.
 */
export function parseConfigText(source: string, text: string): Settings {
  let raw: unknown;
  try {
    raw = parseFileText(source, text) ?? {};
  } catch (err) {
    if (err instanceof ParseFailure) throw new ConfigError(source, undefined, err.message);
    throw err;
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(source, issue.path.join('.'), issue.message);
  }
  const settings: Settings = {};
  for (const sectionName of ['api', 'operator'] as const) {
    for (const [rawKey, value] of Object.entries(parsed.data[sectionName] ?? {})) {
      const key = `${sectionName}.${ALIASES[rawKey] ?? rawKey}`;
      if (!(key in SETTINGS)) {
        throw new ConfigError(source, `${sectionName}.${rawKey}`, `unknown setting (known: ${knownKeys(sectionName)})`);
      }
      const text = Array.isArray(value) ? value.join(',') : value;
      if (text !== '') settings[key as SettingKey] = text;
    }
  }
  return settings;
}

function knownKeys(sectionName: string): string {
  return Object.keys(SETTINGS)
    .filter((k) => k.startsWith(`${sectionName}.`))
    .map((k) => k.slice(sectionName.length + 1))
    .join(', ');
}

export interface LoadOptions {
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
  cwd?: string;
  /** Root for the absolute search-path entries (tests point it at a temporary folder). */
  root?: string;
}

export function searchPath(options: LoadOptions = {}): string[] {
  const home = options.home ?? process.env.HOME ?? '/root';
  const root = options.root ?? '/';
  const cwd = options.cwd ?? process.cwd();
  const bases = [
    join(root, 'usr/share/clever-kubernetes-operator/config'),
    join(root, 'etc/clever-kubernetes-operator/config'),
    join(home, '.config/clever-kubernetes-operator/config'),
    join(home, '.local/share/clever-kubernetes-operator/config'),
    join(cwd, 'config'),
  ];
  return bases.flatMap((b) => ['.toml', '.yaml', '.yml', '.json'].map((ext) => b + ext));
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, undefined, `cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function cleverToolsLogin(home: string): Settings {
  const path = join(home, '.config/clever-cloud/clever-tools.json');
  if (!existsSync(path)) return {};
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as { token?: unknown; secret?: unknown };
    if (typeof data.token === 'string' && typeof data.secret === 'string' && data.token && data.secret) {
      return { 'api.token': data.token, 'api.secret': data.secret };
    }
  } catch {
    // An unreadable clever-tools file is not ours to complain about; it is only a convenience fallback.
  }
  return {};
}

export function loadGlobalConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const home = options.home ?? env.HOME ?? '/root';
  const settings: Settings = {};
  const sources: Sources = {};
  const apply = (layer: Settings, source: string) => {
    for (const [k, v] of Object.entries(layer) as [SettingKey, string][]) {
      settings[k] = v;
      sources[k] = source;
    }
  };

  if (!options.configFile) {
    apply(cleverToolsLogin(home), join(home, '.config/clever-cloud/clever-tools.json'));
    for (const path of searchPath({ ...options, home })) {
      if (existsSync(path)) apply(parseConfigText(path, readConfigFile(path)), path);
    }
  }
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const name = envVarName(key);
    const value = env[name];
    if (value !== undefined && value !== '') apply({ [key]: value }, `env ${name}`);
  }
  if (options.configFile)
    apply(parseConfigText(options.configFile, readConfigFile(options.configFile)), options.configFile);
  return { settings, sources };
}
