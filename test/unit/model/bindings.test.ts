import { describe, expect, it } from 'vitest';
import { providers } from '../../../providers/index.ts';
import { connectionUrl, MissingEnvError } from '../../../src/model/env.ts';

const byKind = (kind: string) => providers.find((p) => p.kind === kind)!;
const ODD = 'p@ss:w/o%rd#?&=';

describe('connectionUrl', () => {
  it('percent-encodes credentials so that URL parsers give them back intact', () => {
    const url = connectionUrl({
      scheme: 'postgresql',
      username: 'u:ser',
      password: ODD,
      host: 'h',
      port: '5432',
      path: 'db',
    });
    const parsed = new URL(url);
    expect(decodeURIComponent(parsed.username)).toBe('u:ser');
    expect(decodeURIComponent(parsed.password)).toBe(ODD);
    expect(parsed.hostname).toBe('h');
    expect(parsed.port).toBe('5432');
    expect(parsed.pathname).toBe('/db');
  });
});

describe('PostgreSql binding', () => {
  const env = {
    POSTGRESQL_ADDON_HOST: 'abc-postgresql.services.clever-cloud.com',
    POSTGRESQL_ADDON_PORT: '6388',
    POSTGRESQL_ADDON_DB: 'bwf32ifhr5cofspgzrbb',
    POSTGRESQL_ADDON_USER: 'uxw1ikwnp6gflbgp5iun',
    POSTGRESQL_ADDON_PASSWORD: ODD,
  };
  it('gives a libpq DATABASE_URL with sslmode=require and the servicebinding keys', () => {
    const b = byKind('PostgreSql').binding(env);
    const url = new URL(b.consumer.DATABASE_URL!);
    expect(url.protocol).toBe('postgresql:');
    expect(url.searchParams.get('sslmode')).toBe('require');
    expect(decodeURIComponent(url.password)).toBe(ODD);
    expect(b.serviceBinding).toMatchObject({
      type: 'postgresql',
      host: env.POSTGRESQL_ADDON_HOST,
      port: '6388',
      username: env.POSTGRESQL_ADDON_USER,
      password: ODD,
      database: env.POSTGRESQL_ADDON_DB,
    });
  });
  it('names the missing variable, and no value, when the environment is incomplete', () => {
    const { POSTGRESQL_ADDON_HOST: _omitted, ...partial } = env;
    expect(() => byKind('PostgreSql').binding(partial)).toThrow(MissingEnvError);
    expect(() => byKind('PostgreSql').binding(partial)).toThrow('the add-on environment has no POSTGRESQL_ADDON_HOST');
  });
});

describe('Redis binding', () => {
  it('gives a REDIS_URL with the encoded password', () => {
    const b = byKind('Redis').binding({ REDIS_HOST: 'r.example', REDIS_PORT: '4242', REDIS_PASSWORD: ODD });
    const url = new URL(b.consumer.REDIS_URL!);
    expect(url.protocol).toBe('redis:');
    expect(decodeURIComponent(url.password)).toBe(ODD);
    expect(url.port).toBe('4242');
  });
});

describe('Cellar binding', () => {
  it('gives AWS keys, an https endpoint and a non-empty region', () => {
    const b = byKind('Cellar').binding({
      CELLAR_ADDON_HOST: 'cellar-c2.services.clever-cloud.com',
      CELLAR_ADDON_KEY_ID: 'KEY',
      CELLAR_ADDON_KEY_SECRET: 'SECRET',
    });
    expect(b.consumer).toEqual({
      AWS_ACCESS_KEY_ID: 'KEY',
      AWS_SECRET_ACCESS_KEY: 'SECRET',
      AWS_ENDPOINT_URL_S3: 'https://cellar-c2.services.clever-cloud.com',
      AWS_REGION: 'us-east-1',
    });
  });
  it('keeps an explicit scheme (a local S3 server in the playground)', () => {
    const b = byKind('Cellar').binding({
      CELLAR_ADDON_HOST: 'http://127.0.0.1:9000',
      CELLAR_ADDON_KEY_ID: 'K',
      CELLAR_ADDON_KEY_SECRET: 'S',
    });
    expect(b.consumer.AWS_ENDPOINT_URL_S3).toBe('http://127.0.0.1:9000');
  });
});
