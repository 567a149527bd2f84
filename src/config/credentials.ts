// Turning configuration into Clever Cloud credentials, from the three places they can come from:
//   spec.credentialsRef (a Secret next to the resource) > the namespace Secret > the global configuration.
// This module parses; fetching Secrets is the reconciler's business (config knows nothing of Kubernetes).
import type { CleverCredentials } from '../clever/index.ts';
import { ConfigError } from './errors.ts';
import { parseConfigText, type Settings, type Sources } from './global.ts';

/** Names of the per-namespace override Secret: the upstream operator's current name, then its former one. */
export const NAMESPACE_SECRET_NAMES = ['clever-kubernetes-operator', 'clever-operator'] as const;

export interface ResolvedCredentials {
  credentials: CleverCredentials;
  apiUrl?: string;
  bridgeUrl?: string;
  /** Default owner for resources without spec.organisation. */
  organisation?: string;
  /** Where these came from, for status messages and `config check` (never a value). */
  source: string;
}

const SIGNATURE_METHODS = ['HMAC-SHA512', 'PLAINTEXT'] as const;

/**
 * Builds credentials from settings. Returns undefined when no credential is configured at all; throws a
 * ConfigError naming the source and key when they are incomplete or contradictory.
 */
export function credentialsFromSettings(
  settings: Settings,
  sources: Sources,
  label: string,
): ResolvedCredentials | undefined {
  const src = (key: keyof Settings) => sources[key] ?? label;
  const token = settings['api.token'];
  const secret = settings['api.secret'];
  const apiToken = settings['api.api-token'];
  if (!token && !secret && !apiToken) return undefined;
  if (apiToken && (token || secret)) {
    throw new ConfigError(
      src('api.api-token'),
      'api.api-token',
      `both an API token and OAuth1 ${token ? 'api.token' : 'api.secret'} (from ${src(token ? 'api.token' : 'api.secret')}) are set; keep one`,
    );
  }
  let credentials: CleverCredentials;
  if (apiToken) {
    credentials = { kind: 'apiToken', apiToken };
  } else {
    if (!token) throw new ConfigError(src('api.secret'), 'api.token', 'is missing (api.secret is set)');
    if (!secret) throw new ConfigError(src('api.token'), 'api.secret', 'is missing (api.token is set)');
    const method = settings['api.signature-method'];
    if (method !== undefined && !(SIGNATURE_METHODS as readonly string[]).includes(method)) {
      throw new ConfigError(
        src('api.signature-method'),
        'api.signature-method',
        `must be one of ${SIGNATURE_METHODS.join(', ')}`,
      );
    }
    const consumerKey = settings['api.consumer-key'];
    const consumerSecret = settings['api.consumer-secret'];
    if (Boolean(consumerKey) !== Boolean(consumerSecret)) {
      const missing = consumerKey ? 'api.consumer-secret' : 'api.consumer-key';
      throw new ConfigError(
        src(consumerKey ? 'api.consumer-key' : 'api.consumer-secret'),
        missing,
        'is missing (set both consumer key and secret, or neither)',
      );
    }
    credentials = {
      kind: 'oauth1',
      token,
      secret,
      ...(consumerKey && consumerSecret ? { consumerKey, consumerSecret } : {}),
      ...(method ? { signatureMethod: method as (typeof SIGNATURE_METHODS)[number] } : {}),
    };
  }
  const source = [
    ...new Set((['api.token', 'api.secret', 'api.api-token'] as const).filter((k) => settings[k]).map(src)),
  ].join(', ');
  return {
    credentials,
    ...(settings['api.endpoint'] ? { apiUrl: settings['api.endpoint'] } : {}),
    ...(settings['api.bridge-endpoint'] ? { bridgeUrl: settings['api.bridge-endpoint'] } : {}),
    ...(settings['api.organisation'] ? { organisation: settings['api.organisation'] } : {}),
    source,
  };
}

const PLAIN_KEYS: Record<string, keyof Settings> = {
  token: 'api.token',
  secret: 'api.secret',
  consumerKey: 'api.consumer-key',
  consumerSecret: 'api.consumer-secret',
  apiToken: 'api.api-token',
  organisation: 'api.organisation',
  endpoint: 'api.endpoint',
  bridgeEndpoint: 'api.bridge-endpoint',
  signatureMethod: 'api.signature-method',
};

/** The upstream operator stores base64 of the config text in `data.config` (so twice encoded); accept both. */
function decodeUpstreamConfig(text: string): { text: string; decoded: boolean } {
  const trimmed = text.trim();
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && trimmed.length % 4 === 0) {
    const decoded = Buffer.from(trimmed, 'base64').toString('utf8');
    if (/^\s*\[|=/.test(decoded)) return { text: decoded, decoded: true };
  }
  return { text, decoded: false };
}

/**
 * Credentials from a Secret's (already base64-decoded) data: plain keys (token, secret, consumerKey,
 * consumerSecret, apiToken, organisation) and/or the upstream `config` key holding a TOML file. Plain keys win.
 */
export function credentialsFromSecretData(data: Record<string, string>, label: string): ResolvedCredentials {
  let settings: Settings = {};
  if (data.config !== undefined) {
    // Parse errors give the line and column in the text as parsed: say so when that is the base64-decoded text.
    const config = decodeUpstreamConfig(data.config);
    settings = parseConfigText(`${label} key config${config.decoded ? ' (base64-decoded)' : ''}`, config.text);
  }
  for (const [key, setting] of Object.entries(PLAIN_KEYS)) {
    const value = data[key]?.trim();
    if (value) settings[setting] = value;
  }
  const resolved = credentialsFromSettings(settings, {}, label);
  if (!resolved) {
    throw new ConfigError(
      label,
      undefined,
      'holds no credentials (expected keys token and secret, or apiToken, or config)',
    );
  }
  return { ...resolved, source: label };
}
