import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { credentialsFromSecretData, credentialsFromSettings } from '../../../src/config/credentials.ts';
import { ConfigError } from '../../../src/config/errors.ts';
import { envVarName, loadGlobalConfig, parseConfigText } from '../../../src/config/global.ts';

function sandbox(files: Record<string, string>): { root: string; home: string; cwd: string } {
  const root = mkdtempSync(join(tmpdir(), 'config-test-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return { root, home: join(root, 'home'), cwd: join(root, 'work') };
}

const UPSTREAM_TOML = `[api]
token = "file-token"
secret = "file-secret"
consumer-key = ""
consumer-secret = ""

[operator]
listen = "0.0.0.0:8000"
`;

describe('global configuration precedence', () => {
  it('reads an upstream config file unchanged from the upstream search path', () => {
    const s = sandbox({ 'etc/clever-kubernetes-operator/config.toml': UPSTREAM_TOML });
    const { settings, sources } = loadGlobalConfig({ ...s, env: {} });
    expect(settings).toEqual({
      'api.token': 'file-token',
      'api.secret': 'file-secret',
      'operator.listen': '0.0.0.0:8000',
    });
    expect(sources['api.token']).toBe(join(s.root, 'etc/clever-kubernetes-operator/config.toml'));
  });

  it('lets later search-path entries override earlier ones, key by key', () => {
    const s = sandbox({
      'usr/share/clever-kubernetes-operator/config.toml': '[api]\ntoken = "a"\nsecret = "a"\n',
      'home/.config/clever-kubernetes-operator/config.yaml': 'api:\n  token: b\n',
      'work/config.json': '{"api": {"organisation": "orga_x"}}',
    });
    const { settings } = loadGlobalConfig({ ...s, env: {} });
    expect(settings).toEqual({ 'api.token': 'b', 'api.secret': 'a', 'api.organisation': 'orga_x' });
  });

  it('puts environment variables above the search path, and empty strings do not mask anything', () => {
    const s = sandbox({ 'etc/clever-kubernetes-operator/config.toml': UPSTREAM_TOML });
    const env = {
      CLEVER_OPERATOR_API_TOKEN: 'env-token',
      CLEVER_OPERATOR_API_CONSUMER_KEY: 'ck',
      CLEVER_OPERATOR_API_SECRET: '',
    };
    const { settings, sources } = loadGlobalConfig({ ...s, env });
    expect(settings['api.token']).toBe('env-token');
    expect(sources['api.token']).toBe('env CLEVER_OPERATOR_API_TOKEN');
    expect(settings['api.secret']).toBe('file-secret');
    expect(settings['api.consumer-key']).toBe('ck');
  });

  it('puts --config above environment variables and skips the search path', () => {
    const s = sandbox({
      'etc/clever-kubernetes-operator/config.toml': '[api]\norganisation = "orga_search"\n',
      'given.yaml': 'api:\n  token: given\n  secret: given\n',
    });
    const env = { CLEVER_OPERATOR_API_TOKEN: 'env', CLEVER_OPERATOR_API_SIGNATURE_METHOD: 'PLAINTEXT' };
    const { settings } = loadGlobalConfig({ ...s, env, configFile: join(s.root, 'given.yaml') });
    expect(settings).toEqual({ 'api.token': 'given', 'api.secret': 'given', 'api.signature-method': 'PLAINTEXT' });
  });

  it("falls back to clever-tools' login for local use", () => {
    const s = sandbox({
      'home/.config/clever-cloud/clever-tools.json': '{"token":"ct","secret":"cs","expirationDate":"x"}',
    });
    expect(loadGlobalConfig({ ...s, env: {} }).settings).toEqual({ 'api.token': 'ct', 'api.secret': 'cs' });
  });

  it('maps every setting to a CLEVER_OPERATOR_ variable', () => {
    expect(envVarName('api.consumer-secret')).toBe('CLEVER_OPERATOR_API_CONSUMER_SECRET');
    expect(envVarName('api.api-token')).toBe('CLEVER_OPERATOR_API_API_TOKEN');
  });
});

describe('configuration errors name the source and the key', () => {
  it('rejects an unknown key with the list of known ones', () => {
    expect(() => parseConfigText('/etc/x/config.toml', '[api]\ntokn = "x"\n')).toThrow(
      /^\/etc\/x\/config\.toml: api\.tokn: unknown setting \(known: token, secret,/,
    );
  });
  it('rejects a file that does not parse', () => {
    expect(() => parseConfigText('/c.toml', '[api\n')).toThrow(/^\/c\.toml: cannot be parsed/);
  });
  it('rejects a section of the wrong type', () => {
    expect(() => parseConfigText('/c.json', '{"api": ["x"]}')).toThrow(ConfigError);
  });
  it('rejects a missing file given with --config', () => {
    expect(() => loadGlobalConfig({ configFile: '/nonexistent/c.toml', env: {} })).toThrow(
      '/nonexistent/c.toml: cannot be read: ENOENT',
    );
  });
  it('accepts the camelCase keys upstream Helm charts wrote', () => {
    expect(parseConfigText('/c.yaml', 'api:\n  consumerKey: k\n  consumerSecret: s\n')).toEqual({
      'api.consumer-key': 'k',
      'api.consumer-secret': 's',
    });
  });
});

describe('credentialsFromSettings', () => {
  it('builds OAuth1 credentials, with the public consumer when none is set', () => {
    const r = credentialsFromSettings(
      { 'api.token': 't', 'api.secret': 's' },
      { 'api.token': 'env A', 'api.secret': 'file B' },
      'global',
    );
    expect(r?.credentials).toEqual({ kind: 'oauth1', token: 't', secret: 's' });
    expect(r?.source).toBe('env A, file B');
  });
  it('builds API-token credentials', () => {
    expect(credentialsFromSettings({ 'api.api-token': 'a' }, {}, 'g')?.credentials).toEqual({
      kind: 'apiToken',
      apiToken: 'a',
    });
  });
  it('returns undefined when nothing is configured', () => {
    expect(credentialsFromSettings({ 'api.organisation': 'orga_x' }, {}, 'g')).toBeUndefined();
  });
  it.each([
    [{ 'api.token': 't' }, 'api.secret: is missing'],
    [{ 'api.token': 't', 'api.secret': 's', 'api.api-token': 'a' }, 'api.api-token: both an API token'],
    [{ 'api.token': 't', 'api.secret': 's', 'api.consumer-key': 'k' }, 'api.consumer-secret: is missing'],
    [
      { 'api.token': 't', 'api.secret': 's', 'api.signature-method': 'HMAC-SHA1' },
      'api.signature-method: must be one of',
    ],
  ])('refuses %j naming the key', (settings, message) => {
    expect(() => credentialsFromSettings(settings, {}, 'global config')).toThrow(message);
  });
  it('never puts a credential value into an error message', () => {
    try {
      credentialsFromSettings(
        { 'api.token': 'tok-VALUE', 'api.secret': 'sec-VALUE', 'api.api-token': 'api-VALUE' },
        {},
        'g',
      );
    } catch (err) {
      expect(String(err)).not.toMatch(/VALUE/);
      return;
    }
    throw new Error('expected an error');
  });
});

describe('credentialsFromSecretData', () => {
  it('reads plain keys', () => {
    const r = credentialsFromSecretData(
      { token: 't', secret: 's', consumerKey: 'k', consumerSecret: 'c', organisation: 'orga_1' },
      'Secret ns/creds',
    );
    expect(r).toEqual({
      credentials: { kind: 'oauth1', token: 't', secret: 's', consumerKey: 'k', consumerSecret: 'c' },
      organisation: 'orga_1',
      source: 'Secret ns/creds',
    });
  });
  it('reads the upstream config key, plain or base64-encoded once more as upstream requires', () => {
    const plain = credentialsFromSecretData({ config: UPSTREAM_TOML }, 'Secret ns/clever-kubernetes-operator');
    const doubled = credentialsFromSecretData({ config: Buffer.from(UPSTREAM_TOML).toString('base64') }, 'S');
    expect(plain.credentials).toEqual({ kind: 'oauth1', token: 'file-token', secret: 'file-secret' });
    expect(doubled.credentials).toEqual(plain.credentials);
  });
  it('reads an API token', () => {
    expect(credentialsFromSecretData({ apiToken: 'a\n' }, 'S').credentials).toEqual({
      kind: 'apiToken',
      apiToken: 'a',
    });
  });
  it('explains what it expected when the Secret holds nothing usable', () => {
    expect(() => credentialsFromSecretData({ password: 'x' }, 'Secret ns/creds')).toThrow(
      'Secret ns/creds: holds no credentials (expected keys token and secret, or apiToken, or config)',
    );
  });
});
