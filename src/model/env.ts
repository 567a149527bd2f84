// Helpers providers use to turn a Clever add-on environment into connection values.

/** Raised when the add-on's environment lacks a variable the binding needs (names the variable, never values). */
export class MissingEnvError extends Error {
  readonly variable: string;
  constructor(variable: string) {
    super(`the add-on environment has no ${variable}`);
    this.name = 'MissingEnvError';
    this.variable = variable;
  }
}

export function need(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new MissingEnvError(name);
  return value;
}

export interface UrlParts {
  scheme: string;
  username?: string;
  password?: string;
  host: string;
  port?: string;
  path?: string;
  query?: Record<string, string>;
}

/**
 * Builds a connection URL with every credential part percent-encoded, so passwords holding `@`, `:`, `/`, `%`,
 * `#` or `?` still parse (libpq, postgres.js, redis clients all decode userinfo).
 */
export function connectionUrl(parts: UrlParts): string {
  const enc = encodeURIComponent;
  const user = parts.username !== undefined ? enc(parts.username) : '';
  const pass = parts.password !== undefined ? `:${enc(parts.password)}` : '';
  const auth = user || pass ? `${user}${pass}@` : '';
  const port = parts.port ? `:${parts.port}` : '';
  const path = parts.path !== undefined ? `/${enc(parts.path)}` : '';
  const query = parts.query ? `?${new URLSearchParams(parts.query).toString()}` : '';
  return `${parts.scheme}://${auth}${parts.host}${port}${path}${query}`;
}

/** An https endpoint for a host that Clever gives without a scheme (Cellar); keeps an explicit scheme if present. */
export function httpsEndpoint(host: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `https://${host}`;
}

export interface DatabaseConnection {
  host: string;
  port: string;
  username: string;
  password: string;
  database: string;
  /** `scheme://user:password@host:port/database`, credentials percent-encoded. */
  url: string;
}

/**
 * The connection of a Clever database add-on whose environment follows the `<PREFIX>_HOST/_PORT/_USER/_PASSWORD/_DB`
 * convention (PostgreSQL, MySQL, MongoDB).
 */
export function databaseConnection(env: Record<string, string>, prefix: string, scheme: string): DatabaseConnection {
  const host = need(env, `${prefix}_HOST`);
  const port = need(env, `${prefix}_PORT`);
  const username = need(env, `${prefix}_USER`);
  const password = need(env, `${prefix}_PASSWORD`);
  const database = need(env, `${prefix}_DB`);
  const url = connectionUrl({ scheme, username, password, host, port, path: database });
  return { host, port, username, password, database, url };
}
