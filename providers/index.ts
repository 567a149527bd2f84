// Every add-on kind the operator serves. Adding a provider: one file in this folder, one line here, one example.
import type { ProviderDefinition } from '../src/model/provider.ts';
import cellar from './cellar.ts';
import postgresql from './postgresql.ts';
import redis from './redis.ts';

export const providers: ProviderDefinition[] = [postgresql, redis, cellar] as ProviderDefinition[];
