// Guarantee 9 (docs/safety.md): no credential text in log lines, condition or Event messages, whatever the shape
// of what is logged: nested objects, arrays, errors (with causes), URLs with userinfo, and the message text itself.
import * as k8s from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.ts';
import { isSensitiveKey, redactText, redactValue, stripUserinfo, summariseHttpError } from '../../../src/redact.ts';
import { setCondition } from '../../../src/reconcile/conditions.ts';

const PW = 'pw-Zq81vXk';
const TOKEN = 'tok-7f3a9c21';
const AWS = 'aws-S3cr3t/key+abc';

function capture(): {
  logger: ReturnType<typeof createLogger>;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const text = () => chunks.join('');
  return {
    logger: createLogger({ level: 'debug', format: 'json', destination }),
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('isSensitiveKey', () => {
  it.each([
    'password',
    'DATABASE_PASSWORD',
    'POSTGRESQL_ADDON_PASSWORD',
    'secret',
    'consumerSecret',
    'AWS_SECRET_ACCESS_KEY',
    'CELLAR_ADDON_KEY_SECRET',
    'token',
    'apiToken',
    'api.token',
    'api.api-token',
    'x-api-key',
    'authorization',
    'Authorization',
    'proxy-authorization',
    'cookie',
    'data',
    'stringData',
    'private_key',
  ])('%s is a credential', (key) => expect(isSensitiveKey(key)).toBe(true));

  it.each(['secretName', 'credentialsRef', 'secretHash', 'name', 'host', 'DATABASE_URL', 'AWS_ACCESS_KEY_ID', 'key'])(
    '%s is not',
    (key) => expect(isSensitiveKey(key)).toBe(false),
  );
});

describe('URLs', () => {
  it('stripUserinfo drops user and password, keeps host, port, path and query', () => {
    expect(stripUserinfo(`postgresql://user:${PW}@pg.example:5432/db?sslmode=require`)).toBe(
      'postgresql://pg.example:5432/db?sslmode=require',
    );
    expect(stripUserinfo(`https://${TOKEN}@git.example/repo`)).toBe('https://git.example/repo');
    expect(stripUserinfo(`redis://:${PW}@redis.example:6379`)).toBe('redis://redis.example:6379');
    // An unencoded @ in the password: everything up to the last @ before the host goes.
    expect(stripUserinfo(`mysql://u:p@ss${PW}@db.example/x`)).toBe('mysql://db.example/x');
    expect(stripUserinfo('https://kc.example/admin?email=a@b.example')).toBe(
      'https://kc.example/admin?email=a@b.example',
    );
    expect(stripUserinfo('not a url')).toBe('not a url');
  });

  it('redactText masks the userinfo of every URL in a text', () => {
    const text = `connecting to postgresql://user:${PW}@h1/db and mongodb://admin:${PW}@h2,h3/x`;
    expect(redactText(text)).toBe('connecting to postgresql://***@h1/db and mongodb://***@h2,h3/x');
  });
});

describe('redactText', () => {
  it('masks credential assignments (TOML, OAuth headers, query strings) and JSON members', () => {
    const out = redactText(
      `[api]\ntoken = "${TOKEN}"\nsecret='${PW}'\n` +
        `OAuth oauth_consumer_key="ck", oauth_token="${TOKEN}" ` +
        `?password=${PW}&user=bob {"apiToken":"${TOKEN}","name":"n"}`,
    );
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(PW);
    expect(out).toContain('user=bob');
    expect(out).toContain('"name":"n"');
    expect(out).toContain('token = [redacted]');
  });

  it('masks a quoted value that is never closed, to the end of its line', () => {
    expect(redactText(`[api]\nsecret = "${PW}\nnext = 1`)).toBe('[api]\nsecret = [redacted]\nnext = 1');
  });

  it('masks Bearer and Basic credentials but not prose', () => {
    expect(redactText(`Authorization: Bearer ${TOKEN}`)).toBe('Authorization: Bearer [redacted]');
    expect(redactText('Basic dXNlcjpwYXNz')).toBe('Basic [redacted]');
    expect(redactText('Basic authentication is not supported')).toBe('Basic authentication is not supported');
  });

  it('leaves messages that only name settings alone', () => {
    const message = 'Secret ns/x: api.token: is missing (api.secret is set)';
    expect(redactText(message)).toBe(message);
  });
});

describe('redactValue', () => {
  it('blanks credential keys at any depth, in arrays too, and strips URL userinfo, without mutating the input', () => {
    const input = {
      addon: 'pg',
      env: [
        { name: 'DATABASE_URL', value: `postgresql://u:${PW}@h/db` },
        { POSTGRESQL_ADDON_PASSWORD: PW, AWS_SECRET_ACCESS_KEY: AWS },
      ],
      deep: { a: { b: { c: { d: { headers: { Authorization: `Bearer ${TOKEN}`, accept: 'json' } } } } } },
      DATABASE_URL: `postgresql://u:${PW}@h/db`,
      MYSQL_DSN: `u:${PW}@tcp(h:3306)/db`,
      secret: { data: { password: PW } },
      secretName: 'pg-conn',
      count: 3,
    };
    const copy = JSON.parse(JSON.stringify(input)) as unknown;
    const out = redactValue(input) as typeof input;
    const text = JSON.stringify(out);
    for (const v of [PW, TOKEN, AWS]) expect(text).not.toContain(v);
    expect(out.env[0]).toEqual({ name: 'DATABASE_URL', value: 'postgresql://***@h/db' });
    expect(out.env[1]).toEqual({ POSTGRESQL_ADDON_PASSWORD: '[redacted]', AWS_SECRET_ACCESS_KEY: '[redacted]' });
    expect(out.deep.a.b.c.d.headers).toEqual({ Authorization: '[redacted]', accept: 'json' });
    expect(out.DATABASE_URL).toBe('postgresql://***@h/db');
    expect(out.MYSQL_DSN).toBe('***@tcp(h:3306)/db');
    expect(out.secret).toBe('[redacted]');
    expect(out.secretName).toBe('pg-conn');
    expect(out.count).toBe(3);
    expect(input).toEqual(copy);
  });

  it('turns errors (and their causes and own fields) into redacted plain data', () => {
    const cause = new Error(`connect to redis://:${PW}@r.example failed`);
    const err = Object.assign(new Error(`token = "${TOKEN}" rejected`, { cause }), {
      code: 'E_AUTH',
      config: { password: PW },
    });
    const out = redactValue({ err, list: [err] }) as { err: Record<string, unknown>; list: unknown[] };
    const text = JSON.stringify(out);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(PW);
    expect(out.err).toMatchObject({ type: 'Error', code: 'E_AUTH', config: { password: '[redacted]' } });
    expect(out.err.message).toBe('token = [redacted] rejected');
    expect((out.err.cause as { message: string }).message).toBe('connect to redis://***@r.example failed');
    expect(out.list[0]).toEqual(out.err);
  });

  it('summarises HTTP errors that carry a body: status, reason, kind and name, never the body', () => {
    const body = JSON.stringify({
      kind: 'Status',
      reason: 'Invalid',
      message: `Secret "pg" is invalid: data[x]: Invalid value: "${PW}"`,
      details: { kind: 'secrets', name: 'pg', causes: [{ field: 'data[x]', message: `Invalid value: "${PW}"` }] },
      code: 422,
    });
    const err = new k8s.ApiException<string>(422, `HTTP 422: ${body}`, body, { authorization: `Bearer ${TOKEN}` });
    const out = redactValue({ err }) as { err: Record<string, unknown> };
    expect(JSON.stringify(out)).not.toContain(PW);
    expect(JSON.stringify(out)).not.toContain(TOKEN);
    expect(out.err.message).toBe('HTTP 422 Invalid (secrets pg; fields data[x])');
    expect(out.err).not.toHaveProperty('body');
    expect(out.err).not.toHaveProperty('headers');
    expect(summariseHttpError(500, 'not json')).toBe('HTTP 500');
  });

  it('survives cycles and very deep values', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redactValue(a)).toEqual({ name: 'a', self: '[circular]' });
    let deep: Record<string, unknown> = { password: PW };
    for (let i = 0; i < 30; i++) deep = { next: deep };
    expect(JSON.stringify(redactValue(deep))).not.toContain(PW);
  });
});

describe('redactValue fast path (plain data with nothing to blank is returned as is, not copied)', () => {
  it('returns clean plain data itself, and copies as soon as anything needs blanking', () => {
    const clean = { resource: 'ns/pg', attempt: 3, tags: ['a', 'b'], nested: { url: 'https://api.example/v2' } };
    expect(redactValue(clean)).toBe(clean);
    const dirty = { ...clean, password: PW };
    expect(redactValue(dirty)).not.toBe(dirty);
    expect(JSON.stringify(redactValue(dirty))).not.toContain(PW);
  });

  it('a credential nested deeper than a quick look would go is still found: keys, text and URLs', () => {
    let deep: Record<string, unknown> = { DATABASE_PASSWORD: PW };
    for (let i = 0; i < 10; i++) deep = { level: i, items: [deep] };
    expect(JSON.stringify(redactValue(deep))).not.toContain(PW);
    let text: unknown = [`connect with token=${TOKEN}`];
    for (let i = 0; i < 9; i++) text = { wrap: text };
    expect(JSON.stringify(redactValue(text))).not.toContain(TOKEN);
    let dsn: unknown = { dsn: `user:${PW}@tcp(db:3306)/app` };
    for (let i = 0; i < 9; i++) dsn = [dsn];
    expect(JSON.stringify(redactValue(dsn))).not.toContain(PW);
  });

  it('beyond the depth bound, and with cycles, the full path answers (never the raw value)', () => {
    let deep: Record<string, unknown> = { note: `Bearer ${TOKEN}abc` };
    for (let i = 0; i < 20; i++) deep = { d: deep };
    const out = JSON.stringify(redactValue(deep));
    expect(out).not.toContain(TOKEN);
    expect(out).toContain('[too deep]');
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    expect(redactValue(cyclic)).toEqual({ name: 'x', self: '[circular]' });
    // Many references to one branch: answered at once, not by walking every path to it.
    const shared: Record<string, unknown> = { leaf: 1 };
    let wide: Record<string, unknown> = shared;
    for (let i = 0; i < 12; i++) wide = Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`k${k}`, wide]));
    const started = Date.now();
    expect(redactValue(wide)).toBe(wide);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('class instances, Maps, Buffers and objects with toJSON never take the fast path', () => {
    class Holder {
      secret = PW;
    }
    expect(JSON.stringify(redactValue({ h: new Holder() }))).not.toContain(PW);
    expect(JSON.stringify(redactValue({ m: new Map([['token', TOKEN]]) }))).not.toContain(TOKEN);
    expect(redactValue({ b: Buffer.from(PW) })).toEqual({ b: `[${PW.length} bytes]` });
    const custom = { toJSON: () => ({ apiToken: TOKEN }) };
    expect(JSON.stringify(redactValue({ custom }))).not.toContain(TOKEN);
  });

  it('redactText returns text without any credential word or @ untouched, and still masks the rest', () => {
    const plain = 'reconciled ns/pg in 12 ms (requeue after 300 s)';
    expect(redactText(plain)).toBe(plain);
    expect(redactText(`AUTHORIZATION: Bearer ${TOKEN}`)).not.toContain(TOKEN);
    expect(redactText(`postgresql://u:${PW}@h/db`)).not.toContain(PW);
    expect(redactText(`API-KEY=${TOKEN}`)).not.toContain(TOKEN);
  });
});

describe('createLogger', () => {
  it('redacts merging objects at any depth, errors, the message and its format arguments', () => {
    const { logger, text, lines } = capture();
    logger.info({ config: { api: { token: TOKEN, secret: PW } }, env: [{ AWS_SECRET_ACCESS_KEY: AWS }] }, 'loaded');
    logger.warn({ err: new Error(`bad DATABASE_URL postgresql://u:${PW}@h/db`) });
    logger.error(new Error(`secret = "${PW}"`));
    logger.info(`connecting to postgresql://u:${PW}@h/db as %s`, `https://u:${TOKEN}@x`);
    logger.child({ url: `https://u:${PW}@child.example` }).info('child');
    logger.debug({ headers: { authorization: `Bearer ${TOKEN}` } }, 'request');
    const out = text();
    for (const v of [PW, TOKEN, AWS]) expect(out).not.toContain(v);
    const [loaded, warned, errored, connecting, child, request] = lines();
    expect(loaded).toMatchObject({
      msg: 'loaded',
      config: { api: { token: '[redacted]', secret: '[redacted]' } },
      env: [{ AWS_SECRET_ACCESS_KEY: '[redacted]' }],
    });
    expect(warned).toMatchObject({ msg: 'bad DATABASE_URL postgresql://***@h/db', err: { type: 'Error' } });
    expect(errored).toMatchObject({
      msg: 'secret = [redacted]',
      err: { type: 'Error', message: 'secret = [redacted]' },
    });
    expect(connecting!.msg).toBe('connecting to postgresql://***@h/db as https://***@x');
    expect(child).toMatchObject({ url: 'https://***@child.example', msg: 'child' });
    expect(request).toMatchObject({ headers: { authorization: '[redacted]' } });
  });
});

describe('condition messages', () => {
  it('setCondition masks credential text as a last line of defence', () => {
    const [c] = setCondition(
      undefined,
      'Synced',
      { status: 'False', reason: 'ReconcileError', message: `could not reach https://admin:${PW}@kc.example` },
      1,
      new Date(0),
    );
    expect(c!.message).toBe('could not reach https://***@kc.example');
  });
});
