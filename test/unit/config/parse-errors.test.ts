// Guarantee 9 (docs/safety.md): a configuration text that does not parse is reported by source, key, line and
// column only. The parsers' own messages quote the lines around the error, and those lines hold credentials.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { credentialsFromSecretData } from '../../../src/config/credentials.ts';
import { ConfigError } from '../../../src/config/errors.ts';
import { loadGlobalConfig, parseConfigText } from '../../../src/config/global.ts';
import { jsonErrorOffset, locationOf } from '../../../src/config/parse-errors.ts';
import { CredentialsError, Sessions } from '../../../src/reconcile/sessions.ts';

const TOKEN = 'tok-4fa1c0ffee';
const SECRET = 'sec-9b27deadbeef';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('did not throw');
}

function expectNoCredential(err: Error): void {
  for (const v of [TOKEN, SECRET, 'tok-', 'sec-']) {
    expect(err.message).not.toContain(v);
    expect(err.stack ?? '').not.toContain(v);
    expect(JSON.stringify(err)).not.toContain(v);
  }
}

describe('parse errors give the line and the column, never the text', () => {
  it('TOML: an unterminated string on line 2', () => {
    const text = `[api]\ntoken = "${TOKEN}\nsecret = "${SECRET}"\n`;
    const err = thrown(() => parseConfigText('/etc/op/config.toml', text));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe('/etc/op/config.toml: cannot be parsed as TOML (line 2, column 24)');
    expectNoCredential(err);
    expect(err.cause).toBeUndefined();
  });

  it('TOML: a bare value', () => {
    const err = thrown(() => parseConfigText('/c.toml', `[api]\nsecret = ${SECRET}\n`));
    expect(err.message).toMatch(/^\/c\.toml: cannot be parsed as TOML \(line 2, column \d+\)$/);
    expectNoCredential(err);
  });

  it('YAML: a missing closing quote', () => {
    const err = thrown(() => parseConfigText('/c.yaml', `api:\n  token: "${TOKEN}\n  secret: ${SECRET}\n`));
    expect(err.message).toMatch(/^\/c\.yaml: cannot be parsed as YAML \(line \d+, column \d+\)$/);
    expectNoCredential(err);
  });

  it('JSON: errors JSON.parse locates, and the unexpected token it only quotes', () => {
    const missingComma = `{"api": {"token": "${TOKEN}" "secret": "${SECRET}"}}`;
    const e1 = thrown(() => parseConfigText('/c.json', missingComma));
    expect(e1.message).toBe(
      `/c.json: cannot be parsed as JSON (line 1, column ${missingComma.indexOf('"secret"') + 1})`,
    );
    expectNoCredential(e1);
    const bareWord = `{\n  "api": {\n    "secret": ${SECRET}\n  }\n}`;
    const e2 = thrown(() => parseConfigText('/c.json', bareWord));
    expect(e2.message).toBe('/c.json: cannot be parsed as JSON (line 3, column 15)');
    expectNoCredential(e2);
  });

  it('extension-less text (a mounted Secret key): TOML first, and YAML reported too when neither parses', () => {
    const err = thrown(() => parseConfigText('/config', `[api]\ntoken = "${TOKEN}\nsecret = "${SECRET}"\n`));
    expect(err.message).toMatch(/^\/config: cannot be parsed as TOML \(line 2, column 24; nor as YAML: .+\)$/);
    expectNoCredential(err);
  });

  it('a malformed global config file fails loadGlobalConfig with the path, line and column only', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'parse-errors-')), 'config.toml');
    writeFileSync(path, `[api]\ntoken = "${TOKEN}"\nsecret = "${SECRET}\n`);
    const err = thrown(() => loadGlobalConfig({ configFile: path, env: {} }));
    expect(err.message).toBe(`${path}: cannot be parsed as TOML (line 3, column 27)`);
    expectNoCredential(err);
  });
});

describe('namespace Secrets with a malformed config key', () => {
  const toml = `[api]\ntoken = "${TOKEN}"\nsecret = "${SECRET}\n`;

  it('credentialsFromSecretData names the Secret, the key, the line and the column', () => {
    const err = thrown(() => credentialsFromSecretData({ config: toml }, 'Secret ns/clever-kubernetes-operator'));
    expect(err.message).toMatch(
      /^Secret ns\/clever-kubernetes-operator key config: cannot be parsed as TOML \(line 3, column 27; nor as YAML: [^)]+\)$/,
    );
    expectNoCredential(err);
  });

  it('says when the line and column are those of the base64-decoded text (the upstream layout)', () => {
    const err = thrown(() =>
      credentialsFromSecretData({ config: Buffer.from(toml).toString('base64') }, 'Secret ns/clever-operator'),
    );
    expect(err.message).toMatch(
      /^Secret ns\/clever-operator key config \(base64-decoded\): cannot be parsed as TOML \(line 3, column 27/,
    );
    expectNoCredential(err);
  });

  it('Sessions turns it into CredentialsInvalid with the same safe message', async () => {
    const sessions = new Sessions({
      global: undefined,
      readSecret: (_ns, name) => Promise.resolve(name === 'clever-kubernetes-operator' ? { config: toml } : undefined),
    });
    const err = (await sessions.resolve('ns', undefined).catch((e: unknown) => e)) as CredentialsError;
    expect(err).toBeInstanceOf(CredentialsError);
    expect(err.reason).toBe('CredentialsInvalid');
    expect(err.message).toContain('Secret ns/clever-kubernetes-operator key config: cannot be parsed as TOML (line 3');
    expectNoCredential(err);
  });
});

describe('jsonErrorOffset', () => {
  it.each([
    ['{"a": 1}', undefined],
    ['[1, 2.5e3, true, false, null, "x\\u00e9\\n", {}, []]', undefined],
    ['{"a": 1,}', 8],
    ['{"a" 1}', 5],
    ['{"a": tru}', 9],
    ['{"a": "x', 8],
    ['', 0],
    ['{} x', 3],
    ['-', 0],
  ])('%j -> %s', (text, offset) => expect(jsonErrorOffset(text)).toBe(offset));

  it('agrees with JSON.parse on what is valid', () => {
    for (const text of ['{"a":[1,{"b":null}]}', ' "s" ', '01', '1.', '"\\x"', '"a\u0001"', '{"a":1}}']) {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect(jsonErrorOffset(text) === undefined, text).toBe(valid);
    }
  });

  it('locationOf counts lines and columns from 1', () => {
    expect(locationOf('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    expect(locationOf('ab', 0)).toEqual({ line: 1, column: 1 });
  });
});
