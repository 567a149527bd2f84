// Every add-on kind the operator serves. Adding a provider: one file in this folder, one line here, one example.
import type { ProviderDefinition } from '../src/model/provider.ts';
import azimutt from './azimutt.ts';
import cellar from './cellar.ts';
import configProvider from './config-provider.ts';
import elasticsearch from './elasticsearch.ts';
import fsbucket from './fsbucket.ts';
import keycloak from './keycloak.ts';
import kv from './kv.ts';
import matomo from './matomo.ts';
import metabase from './metabase.ts';
import mongodb from './mongodb.ts';
import mysql from './mysql.ts';
import otoroshi from './otoroshi.ts';
import postgresql from './postgresql.ts';
import pulsar from './pulsar.ts';
import redis from './redis.ts';

export const providers = [
  postgresql,
  redis,
  cellar,
  mysql,
  mongodb,
  elasticsearch,
  pulsar,
  kv,
  configProvider,
  keycloak,
  metabase,
  matomo,
  otoroshi,
  azimutt,
  fsbucket,
] as ProviderDefinition[];
