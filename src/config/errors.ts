/** A configuration problem, naming where it is (file, env var or Secret) and which key; never a secret value. */
export class ConfigError extends Error {
  readonly source: string;
  readonly key: string | undefined;
  constructor(source: string, key: string | undefined, problem: string) {
    super(key ? `${source}: ${key}: ${problem}` : `${source}: ${problem}`);
    this.name = 'ConfigError';
    this.source = source;
    this.key = key;
  }
}
